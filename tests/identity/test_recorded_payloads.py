"""The rule on real recorded payloads (tests/fixtures/recorded): CoinGecko's top 100 of 2023-01-08 against
CoinPaprika's 2,620 tickers of 2019-10-04, measured against the hand-checked truth beside this file."""
from __future__ import annotations

from service.etl.identity.clusters import group
from service.etl.identity.curated import Curated, load
from service.settings import KNOWN_SOURCES, PROJECT_ROOT
from tests.identity.recorded import gecko_coins, measure, measure_match_key, paprika_coins, truth


def test_the_rule_alone_links_every_same_symbol_twin_and_nothing_wrong():
    result = measure(gecko_coins() + paprika_coins())  # no curated file: what an outside check measures
    assert result["wrong"] == [] and result["precision"] == 1.0
    assert result["doubled_assets"] == 0
    # 50 of 50 (README "Assets: one real asset"); BNB, Cronos and Polygon, renamed since 2019, link by their ids
    assert result["recall"] >= 0.97, result["missed"]
    assert result["missed"] == []


def test_the_issues_named_coins_link_and_their_namesakes_stay_apart():
    grouping = group(gecko_coins() + paprika_coins(), Curated())
    asset_of = {m.coin.ref: i for i, members in enumerate(grouping.assets) for m in members}
    for gecko, paprika in (("cosmos", "atom-cosmos"), ("hedera-hashgraph", "hbar-hedera-hashgraph"),
                           ("havven", "hav-havven"), ("leo-token", "leo-leo-token"),
                           ("gatechain-token", "gt-gatechain-token"), ("kucoin-shares", "kcs-kucoin-shares")):
        assert asset_of[f"coingecko:{gecko}"] == asset_of[f"coinpaprika:{paprika}"], gecko
    for gecko, paprika in (("uniswap", "uni-uni-coin"), ("uniswap", "uni-universe"), ("leo-token", "leo-leocoin"),
                           ("immutable-x", "imx-impact"), ("gmx", "gmx-goldmaxcoin"), ("blockstack", "stx-stox"),
                           ("bittorrent", "btt-bittorrent"), ("curve-dao-token", "crv-crowdvilla-ownership"),
                           ("polkadot", "dot-polkadot-iou"), ("filecoin", "fil-filecoin-futures")):
        assert asset_of[f"coingecko:{gecko}"] != asset_of[f"coinpaprika:{paprika}"], gecko


def test_renamed_twins_link_by_ids_and_namesakes_stay_offered_to_operators_with_the_evidence():
    result = measure(gecko_coins() + paprika_coins())
    grouping = group(gecko_coins() + paprika_coins(), Curated())
    reason = {m.coin.ref: m.reason for members in grouping.assets for m in members}
    for gecko, paprika in (("binancecoin", "bnb-binance-coin"), ("crypto-com-chain", "cro-cryptocom-chain"),
                           ("matic-network", "matic-matic-network")):
        assert f"ids agree ({gecko} / {paprika})" in reason[f"coingecko:{gecko}"]
    offered = {(c.a.ref, c.b.ref): c for c in result["candidates"]}
    uni = offered[("coingecko:uniswap", "coinpaprika:uni-uni-coin")]
    assert "names silent" in uni.verdict.reason and "total supply agrees" in uni.verdict.reason
    btt = offered[("coingecko:bittorrent", "coinpaprika:btt-bittorrent")]  # ids agree, the supply does not
    assert btt.verdict.contradicted and "max supply contradicts" in btt.verdict.reason


def test_the_truth_file_covers_the_top_100_exactly():
    expected = truth()
    assert set(expected) == {c.coin_id for c in gecko_coins()}
    paprika = {c.coin_id for c in paprika_coins()}
    assert all(p in paprika for p, _ in expected.values() if p)


def test_the_rule_beats_the_match_key_it_replaces_on_the_same_data():
    coins = gecko_coins() + paprika_coins()
    before, after = measure_match_key(coins), measure(coins)
    assert before["recall"] == 0.8 and before["wrong"] == [("bittorrent", "btt-bittorrent")]
    assert after["recall"] > before["recall"] and after["wrong"] == []


def test_with_the_example_curated_file_every_twin_links_renamed_ones_too():
    curated = load(PROJECT_ROOT / "tests" / "identity" / "asset_links.example", KNOWN_SOURCES)
    result = measure(gecko_coins() + paprika_coins(), curated)
    assert result["recall"] == 1.0 and result["wrong"] == [] and result["doubled_assets"] == 0
    assert result["renamed_found"] == result["renamed"] == 2
