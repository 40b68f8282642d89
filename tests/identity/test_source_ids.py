"""Source ids as evidence: the name slug a source made when it listed a coin, with real ids of the recordings."""
from __future__ import annotations

from datetime import timedelta

import pytest

from service.etl.identity import ids
from service.etl.identity.clusters import group
from service.etl.identity.curated import Curated
from service.etl.identity.rule import AMBIGUOUS, APART, LINK, judge
from tests.identity.builders import NOW, coin

THEN = NOW - timedelta(days=1190)  # the recorded pair is three years apart: prices say nothing


@pytest.mark.parametrize("source, coin_id, symbol, slug", [
    ("coingecko", "binancecoin", "BNB", "binancecoin"),
    ("coinpaprika", "bnb-binance-coin", "BNB", "binancecoin"),
    ("coingecko", "crypto-com-chain", "CRO", "cryptocomchain"),
    ("coinpaprika", "cro-cryptocom-chain", "CRO", "cryptocomchain"),
    ("coinpaprika", "matic-matic-network", "MATIC", "maticnetwork"),
    ("coinpaprika", "hav-havven", "SNX", "havven"),  # listed as HAV: the prefix is a former symbol
    ("coinpaprika", "fetch-ai", "FET", "fetchai"),  # "ai" alone would say nothing: the whole id
    ("coinpaprika", "pepeai1-pepe-ai", "PEPEAI", None),  # numbered: a namesake was listed first
    ("coinpaprika", "asafe2-allsafe", "ASAFE", None),
    ("coingecko", "avalanche-2", "AVAX", None),
    ("coingecko", "elrond-erd-2", "EGLD", None),
    ("coinpaprika", "wax-wax", "WAXP", "waxwax"),
    ("coinpaprika", "xdc-xdc", "XDC", None),  # only the symbol
    ("coinpaprika", "ton-token", "TON", None),  # only a kind of thing
    ("coingecko", "gmx", "GMX", None),
    ("csv", "bnb-binance-coin", "BNB", None),  # made from the row's own name: says nothing more
])
def test_the_slug_of_an_id(source, coin_id, symbol, slug):
    assert ids.slug(source, coin_id, symbol) == slug


@pytest.mark.parametrize("gecko, paprika", [
    (("binancecoin", "BNB", "BNB"), ("bnb-binance-coin", "Binance Coin")),
    (("crypto-com-chain", "CRO", "Cronos"), ("cro-cryptocom-chain", "Crypto.com Coin")),
    (("matic-network", "MATIC", "Polygon"), ("matic-matic-network", "Matic Network")),
])
def test_renamed_twins_of_the_recordings_link_by_their_ids_with_one_weak_figure(gecko, paprika):
    g = coin("coingecko", gecko[0], gecko[1], gecko[2], "300", rank=4)
    p = coin("coinpaprika", paprika[0], gecko[1], paprika[1], "20", rank=3, when=THEN)
    verdict = judge(g, p)
    assert verdict.decision == LINK, verdict.reason
    assert f"ids agree ({gecko[0]} / {paprika[0]})" in verdict.reason


def test_ids_never_outweigh_a_contradicting_figure():
    g = coin("coingecko", "binancecoin", "BNB", "BNB", "300")
    p = coin("coinpaprika", "bnb-binance-coin", "BNB", "Binance Coin", "30")  # 10x at the same moment
    verdict = judge(g, p)
    assert verdict.contradicted and verdict.decision == AMBIGUOUS and "ids agree" in verdict.reason
    assert len(group([g, p], Curated()).assets) == 2


def test_ids_that_do_not_agree_change_nothing():
    toncoin = coin("coingecko", "the-open-network", "TON", "Toncoin", "2.3")
    tokamak = coin("coinpaprika", "ton-tokamak-network", "TON", "Tokamak Network", "1.43", when=THEN)
    assert not ids.agree(toncoin, tokamak)
    verdict = judge(toncoin, tokamak)
    assert verdict.decision == APART and "ids" not in verdict.reason


def test_an_id_may_agree_with_the_other_coins_name_a_csv_coin_is_known_by_its_name():
    gecko = coin("coingecko", "binancecoin", "BNB", "BNB", "300")
    csv = coin("csv", "bnb-binance-coin", "BNB", "Binance Coin", "301")
    assert ids.agree(gecko, csv) and ids.agree(csv, gecko)
    plain = coin("csv", "bnb-bnb", "BNB", "BNB", "301")
    paprika = coin("coinpaprika", "bnb-binance-coin", "BNB", "Binance Coin", "300")
    assert not ids.agree(plain, paprika)  # the CSV id adds nothing to its name, "BNB"
    assert judge(plain, paprika).decision == AMBIGUOUS  # one agreeing price: an operator decides
