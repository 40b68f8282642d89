"""The linking rule on single pairs and small groups: names, figures, never two coins of one source, curated."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from service.etl.identity import names
from service.etl.identity.clusters import CURATED, RULE, group
from service.etl.identity.curated import Curated, parse
from service.etl.identity.rule import AMBIGUOUS, APART, LINK, judge
from tests.identity.builders import NOW, coin

SOURCES = ("coinpaprika", "coingecko", "csv")


@pytest.mark.parametrize("a, b, symbol, relation", [
    ("BNB", "Binance Coin", "BNB", names.SILENT),
    ("Cosmos Hub", "Cosmos", "ATOM", names.EQUAL),
    ("MultiversX (Elrond)", "Elrond", "EGLD", names.EQUAL),  # a parenthesized former name
    ("MultiversX (Elrond)", "MultiversX", "EGLD", names.EQUAL),
    ("Synthetix Network", "Synthetix Network Token", "SNX", names.EQUAL),
    ("Curve DAO", "Curve DAO Token", "CRV", names.EQUAL),
    ("Theta Network", "THETA", "THETA", names.EQUAL),
    ("Hedera", "Hedera Hashgraph", "HBAR", names.RELATED),
    ("Gate", "Gatechain Token", "GT", names.RELATED),
    ("Polkadot", "Polkadot [IOU]", "DOT", names.RELATED),  # brackets stay: an IOU is not the coin
    ("Uniswap", "Universe", "UNI", names.DIFFERENT),  # "uni" is too short a prefix to say anything
    ("Toncoin", "Tokamak Network", "TON", names.DIFFERENT),
])
def test_names_are_compared_after_normalizing(a, b, symbol, relation):
    assert names.relation(a, b, symbol) == relation
    assert names.relation(b, a, symbol) == relation


def test_same_symbol_and_compatible_figures_link_even_when_names_differ():
    gecko = coin("coingecko", "binancecoin", "BNB", "BNB", "874.12", market_cap="127543000000", rank=4)
    paprika = coin("coinpaprika", "bnb-binance-coin", "BNB", "Binance Coin", "873.70", market_cap="126990000000",
                   rank=5)
    verdict = judge(gecko, paprika)
    assert verdict.decision == LINK
    assert "price agrees" in verdict.reason and "market cap agrees" in verdict.reason


def test_names_that_differ_need_two_agreeing_figures_a_price_alone_is_not_enough():
    a = coin("coingecko", "toncoin", "TON", "Toncoin", "5.21")
    b = coin("coinpaprika", "ton-tokamak-network", "TON", "Tokamak Network", "5.30")
    assert judge(a, b).decision == AMBIGUOUS  # one agreeing figure: shown to operators, never linked
    b = coin("coinpaprika", "ton-tokamak-network", "TON", "Tokamak Network", "1.43")
    assert judge(a, b).decision == APART


def test_same_symbol_and_name_with_incompatible_figures_do_not_link():
    gecko = coin("coingecko", "pepe-ai", "PEPEAI", "Pepe AI", "6.0e-9")
    other = coin("coinpaprika", "pepeai2-pepe-ai", "PEPEAI", "Pepe AI", "1.5e-9")
    verdict = judge(gecko, other)
    assert verdict.decision == AMBIGUOUS and verdict.contradicted
    assert "price contradicts" in verdict.reason


def test_two_coins_of_one_source_never_share_an_asset_the_twin_with_compatible_figures_wins():
    coins = [coin("coinpaprika", "pepeai1-pepe-ai", "PEPEAI", "Pepe AI", "6.0e-9"),
             coin("coinpaprika", "pepeai2-pepe-ai", "PEPEAI", "Pepe AI", "1.5e-9"),
             coin("coingecko", "pepe-ai", "PEPEAI", "Pepe AI", "6.1e-9")]
    grouping = group(coins, Curated())
    assets = sorted(sorted(m.coin.ref for m in members) for members in grouping.assets)
    assert assets == [["coingecko:pepe-ai", "coinpaprika:pepeai1-pepe-ai"], ["coinpaprika:pepeai2-pepe-ai"]]
    assert [(c.a.ref, c.b.ref) for c in grouping.candidates] == [("coingecko:pepe-ai", "coinpaprika:pepeai2-pepe-ai")]
    # numbered ids (pepeai1-, pepeai2-) say nothing: the link rests on the names and the price
    assert all("ids agree" not in m.reason for members in grouping.assets for m in members)


def test_two_equally_good_twins_of_one_source_give_one_link_deterministically():
    coins = [coin("coinpaprika", "sft-safex-token", "SFT", "Safex", "0.0151"),
             coin("coinpaprika", "safex-safe-exchange-coin", "SFT", "Safex", "0.0150"),
             coin("coingecko", "safex", "SFT", "Safex", "0.0150")]
    first = group(coins, Curated())
    again = group(list(reversed(coins)), Curated())
    shape = [sorted(m.coin.ref for m in members) for members in first.assets]
    assert shape == [sorted(m.coin.ref for m in members) for members in again.assets]
    assert all(len({m.coin.source for m in members}) == len(members) for members in first.assets)
    assert len(first.assets) == 2
    assert any(c.note.startswith("the rule would link them") for c in first.candidates)


def test_a_coin_kept_apart_by_a_figure_is_not_joined_through_a_third_coin():
    gecko = coin("coingecko", "x", "XYZ", "Xyz", "10")
    paprika = coin("coinpaprika", "xyz-xyz", "XYZ", "Xyz", "10.1")
    csv = coin("csv", "xyz-xyz", "XYZ", "Xyz", "50")  # same name, price 5x off at the same moment
    grouping = group([gecko, paprika, csv], Curated())
    assert sorted(len(members) for members in grouping.assets) == [1, 2]
    alone = next(members for members in grouping.assets if len(members) == 1)
    assert alone[0].coin.source == "csv" and alone[0].linked_by == RULE


def test_figures_of_different_moments_compare_only_what_lasts():
    then = NOW - timedelta(days=1200)
    # prices years apart say nothing; a maximum supply 1000x off says "another token" (a redenomination)
    old = coin("coinpaprika", "btt-bittorrent", "BTT", "BitTorrent", "0.0007", when=then, max_supply="990000000000",
               ath="0.0018769", ath_at=then - timedelta(days=100))
    new = coin("coingecko", "bittorrent", "BTT", "BitTorrent", "0.0000006", max_supply="990000000000000",
               ath="0.00000343", ath_at=NOW - timedelta(days=300))
    assert judge(old, new).contradicted
    same = coin("coinpaprika", "xmr-monero", "XMR", "Monero", "60", when=then, ath="495.836",
                ath_at=datetime(2018, 1, 7, tzinfo=timezone.utc))
    later = coin("coingecko", "monero", "XMR", "Monero", "150", ath="542.33",
                 ath_at=datetime(2018, 1, 9, tzinfo=timezone.utc))
    verdict = judge(same, later)
    assert verdict.decision == LINK and "all-time high agrees" in verdict.reason and "price" not in verdict.reason


def test_curated_links_force_and_forbid():
    # a renamed coin whose ids kept no common name either: only an operator can join it
    gecko = coin("coingecko", "xyzzy", "XYZ", "Xyzzy", "0.9")
    paprika = coin("coinpaprika", "xyz-plugh", "XYZ", "Plugh", "0.02", when=NOW - timedelta(days=1000))
    assert len(group([gecko, paprika], Curated()).assets) == 2
    curated = parse("same coingecko:xyzzy coinpaprika:xyz-plugh  # renamed 2021\n", "links", SOURCES)
    (members,) = group([gecko, paprika], curated).assets
    assert {m.linked_by for m in members} == {CURATED} and "curated in links:1" in members[0].reason
    a = coin("coingecko", "bitcoin", "BTC", "Bitcoin", "90000")
    b = coin("coinpaprika", "btc-bitcoin", "BTC", "Bitcoin", "90010")
    curated = parse("apart coingecko:bitcoin coinpaprika:btc-bitcoin\n", "links", SOURCES)
    grouping = group([a, b], curated)
    assert len(grouping.assets) == 2 and grouping.assets[0][0].linked_by == CURATED


def test_a_curated_link_may_join_coins_whose_symbols_differ():
    old = coin("coinpaprika", "pax-paxos-standard-token", "PAX", "Paxos Standard", "1.0")
    new = coin("coingecko", "paxos-standard", "USDP", "Pax Dollar", "1.0")
    curated = parse("same coinpaprika:pax-paxos-standard-token coingecko:paxos-standard\n", "links", SOURCES)
    assert len(group([old, new], curated).assets) == 1


def test_an_all_time_high_that_is_a_spike_on_the_day_is_no_evidence():
    day = datetime(2019, 10, 4, 10, tzinfo=timezone.utc)
    glitch = coin("coinpaprika", "paxg-pax-gold", "PAXG", "PAX Gold", "1500", when=day, ath="192278.69",
                  ath_at=day - timedelta(hours=3))
    later = coin("coingecko", "pax-gold", "PAXG", "PAX Gold", "1870", ath="2241.37",
                 ath_at=datetime(2021, 5, 17, tzinfo=timezone.utc))
    verdict = judge(glitch, later)
    assert verdict.decision == LINK and "all-time high" not in verdict.reason
    fell = coin("coinpaprika", "paxg-pax-gold", "PAXG", "PAX Gold", "150000", when=day, ath="192278.69",
                ath_at=day - timedelta(hours=3))  # a real high: the later one far below it contradicts
    assert judge(fell, later).contradicted
