"""Links decided as data arrives, through the real pipeline on real recorded payloads: a coin first seen alone
joins its twin when the twin's source runs; links move (rule, curation) without touching history."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from service.etl.identity.clusters import group
from service.etl.identity.curated import Curated
from service.etl.identity.links import apply_curated_links
from service.etl.sources.coingecko import normalize_market
from service.etl.sources.coinpaprika import normalize_ticker
from tests.api.helpers import load_csv
from tests.api.test_routes import get_json
from tests.fakes.upstream import DEFAULT_WHEN, make_gecko_coins, make_paprika_tickers
from tests.identity.conftest import assert_links_hold, asset_of, run
from tests.identity.generated import moved, twins
from tests.identity.recorded import coin_of, gecko_coins, paprika_coins

HISTORY_DIGEST = "SELECT count(*), md5(string_agg(h::text, '|' ORDER BY listing_id, observed_at)) FROM quotes_history h"


async def test_a_coin_first_seen_alone_links_when_its_twin_arrives(pool, id_settings):
    await run(pool, id_settings, "coingecko")
    assert await pool.fetchval("SELECT count(*) FROM asset_sources WHERE source = 'coingecko'") == 100
    alone = await asset_of(pool, "coingecko", "cosmos")
    await run(pool, id_settings, "coinpaprika")
    assert await asset_of(pool, "coinpaprika", "atom-cosmos") == alone  # "Cosmos" joins "Cosmos Hub"
    assert await asset_of(pool, "coinpaprika", "hav-havven") == await asset_of(pool, "coingecko", "havven")
    assert await asset_of(pool, "coinpaprika", "leo-leocoin") != await asset_of(pool, "coingecko", "leo-token")
    uni = {await asset_of(pool, s, c) for s, c in (("coingecko", "uniswap"), ("coinpaprika", "uni-uni-coin"),
                                                   ("coinpaprika", "uni-universe"))}
    assert len(uni) == 3
    await assert_links_hold(pool)


async def test_assets_say_why_each_source_is_in_and_candidates_list_the_ambiguous(pool, id_settings, make_client):
    await run(pool, id_settings, "coingecko", "coinpaprika")
    client = await make_client(id_settings)
    body = await get_json(client, "/assets/atom")
    (asset,) = body["assets"]
    sources = {s["source"]: s for s in asset["sources"]}
    assert set(sources) == {"coingecko", "coinpaprika"}
    assert sources["coingecko"]["linked_by"] == "rule"
    assert sources["coingecko"]["link_reason"].startswith("with coinpaprika:atom-cosmos: names equal")
    body = await get_json(client, "/assets/BTT")
    # the redenominated BitTorrent of 2022 is not the token of 2019 (nor Blocktrade Token)
    assert sorted(len(a["sources"]) for a in body["assets"]) == [1, 1, 1]
    body = await get_json(client, "/assets/bnb")
    (asset,) = body["assets"]  # "BNB" / "Binance Coin": the ids keep the former name
    assert {s["source"] for s in asset["sources"]} == {"coingecko", "coinpaprika"}
    assert "ids agree (binancecoin / bnb-binance-coin)" in asset["sources"][0]["link_reason"]
    body = await get_json(client, "/identity/candidates?symbol=uni")
    (pair,) = body["data"]  # "UNI COIN" is not Uniswap, but a total supply agrees: an operator decides
    assert (pair["a"]["curate"], pair["b"]["curate"]) == ("coingecko:uniswap", "coinpaprika:uni-uni-coin")
    assert pair["verdict"] == "ambiguous" and "names silent" in pair["reason"]
    everything = await get_json(client, "/identity/candidates?limit=3")
    assert len(everything["data"]) == 3 and everything["next_cursor"]
    following = await get_json(client, f"/identity/candidates?limit=3&cursor={everything['next_cursor']}")
    assert following["data"][0] != everything["data"][0]
    bad = await get_json(client, f"/identity/candidates?symbol=ETH&cursor={everything['next_cursor']}", 400)
    assert "cursor" in bad["error"]["fields"]
    assert "limit" in (await get_json(client, "/identity/candidates?limit=0", 400))["error"]["fields"]


async def test_a_curated_link_moves_a_coin_without_touching_history(pool, id_settings):
    await run(pool, id_settings, "coingecko", "coinpaprika")
    before = tuple(await pool.fetchrow(HISTORY_DIGEST))
    together = await asset_of(pool, "coingecko", "cosmos")
    links = id_settings.asset_links_path
    usdp = await asset_of(pool, "coingecko", "paxos-standard")
    assert await asset_of(pool, "coinpaprika", "pax-paxos-standard-token") != usdp  # PAX then, USDP now
    links.write_text("apart coingecko:cosmos coinpaprika:atom-cosmos\n"
                     "same coingecko:paxos-standard coinpaprika:pax-paxos-standard-token\n")
    await apply_curated_links(pool, id_settings)
    assert await asset_of(pool, "coingecko", "cosmos") == together
    assert await asset_of(pool, "coinpaprika", "atom-cosmos") != together
    assert await asset_of(pool, "coinpaprika", "pax-paxos-standard-token") == \
        await asset_of(pool, "coingecko", "paxos-standard")
    row = await pool.fetchrow("SELECT linked_by, link_reason FROM asset_sources "
                              "WHERE coin_id = 'pax-paxos-standard-token'")
    assert row["linked_by"] == "curated" and f"{links}:2" in row["link_reason"]
    assert tuple(await pool.fetchrow(HISTORY_DIGEST)) == before
    await assert_links_hold(pool)
    links.write_text("")
    await apply_curated_links(pool, id_settings)
    assert await asset_of(pool, "coinpaprika", "atom-cosmos") == together  # back, under the asset it had
    assert tuple(await pool.fetchrow(HISTORY_DIGEST)) == before


async def test_an_existing_database_linked_by_the_match_key_is_relinked_at_start_up(
        pool, id_settings, paprika, make_client):
    twins = [t for t in paprika.tickers if t["id"] in ("btc-bitcoin", "eth-ethereum")]
    for ticker in twins[:1]:
        clone = {**ticker, "id": "btc-bitcoin-2", "quotes": {"USD": {**ticker["quotes"]["USD"], "price": 3}}}
        paprika.tickers.append(clone)
    await run(pool, id_settings, "coinpaprika")
    assert await asset_of(pool, "coinpaprika", "btc-bitcoin") != await asset_of(pool, "coinpaprika", "btc-bitcoin-2")
    # as the match key left it before 0010: both coins of one source in one asset, nothing judged
    await pool.execute("UPDATE asset_sources SET asset_id = (SELECT asset_id FROM asset_sources "
                       "WHERE coin_id = 'btc-bitcoin') WHERE coin_id = 'btc-bitcoin-2'")
    await pool.execute("UPDATE asset_sources SET judged_at = NULL, judged_symbol = NULL, judged_name = NULL, "
                       "judged_price = NULL, judged_market_cap = NULL, linked_by = DEFAULT, link_reason = DEFAULT")
    await pool.execute("UPDATE quotes_latest SET asset_id = (SELECT asset_id FROM asset_sources "
                       "WHERE coin_id = 'btc-bitcoin') WHERE coin_id = 'btc-bitcoin-2'")
    client = await make_client(id_settings)
    body = await get_json(client, "/assets/BTC")
    assert sorted(len(a["sources"]) for a in body["assets"]) == [1, 1]
    await assert_links_hold(pool)


async def test_csv_rows_link_on_name_and_price_or_on_price_and_market_cap(pool, id_settings, tmp_path):
    await run(pool, id_settings, "coingecko")  # observed 2023-01-08 ~16:49 UTC
    when = "2023-01-08T16:00:00Z"
    await load_csv(pool, tmp_path / "rows.csv", (
        f"BTC,Bitcoin,16950.1,,,,,{when}\n"  # same name, price agrees: linked
        f"ETH,Ethereum,4000,,,,,{when}\n"  # same name, price 3x off at the same moment: kept apart
        f"DOGE,Doge Two,0.0721,,,,,{when}\n"  # another name, only the price to compare: not enough
        f"ADA,Ouroboros,0.2870,10000000000,,,,{when}\n"  # another name, price and market cap agree
        f"BNB,Binance Coin,264.5,,,,,{when}\n"  # CoinGecko's id `binancecoin` is this name: linked
    ))
    csv = {c: await asset_of(pool, "csv", c) for c in
           ("btc-bitcoin", "eth-ethereum", "doge-doge-two", "ada-ouroboros", "bnb-binance-coin")}
    gecko = {c: await asset_of(pool, "coingecko", c)
             for c in ("bitcoin", "ethereum", "dogecoin", "cardano", "binancecoin")}
    assert csv["btc-bitcoin"] == gecko["bitcoin"]
    assert csv["eth-ethereum"] != gecko["ethereum"]
    assert csv["doge-doge-two"] != gecko["dogecoin"]
    assert csv["ada-ouroboros"] == gecko["cardano"]
    assert csv["bnb-binance-coin"] == gecko["binancecoin"]
    reasons = {r["coin_id"]: r["link_reason"] for r in await pool.fetch(
        "SELECT coin_id, link_reason FROM asset_sources WHERE source = 'csv'")}
    # linked by its match key with nothing contradicting: confirmed in SQL, nothing written
    assert reasons["btc-bitcoin"] == (
        "by the match key: same symbol and name as its asset's other coins, if any; no figure contradicts")
    assert "price agrees" in reasons["ada-ouroboros"] and "market cap agrees" in reasons["ada-ouroboros"]
    candidates = await pool.fetch("SELECT coin_b, note FROM asset_link_candidates WHERE source_b = 'csv'")
    assert {r["coin_b"]: r["note"] for r in candidates}.items() >= {
        "eth-ethereum": "figures contradict", "doge-doge-two": "not enough agreeing figures"}.items()
    await assert_links_hold(pool)


async def _partition(pool) -> set[frozenset[str]]:
    rows = await pool.fetch("SELECT asset_id, source || ':' || coin_id AS ref FROM asset_sources")
    assets: dict[int, set[str]] = {}
    for row in rows:
        assets.setdefault(row["asset_id"], set()).add(row["ref"])
    return {frozenset(refs) for refs in assets.values()}


def _expected(coins) -> set[frozenset[str]]:
    return {frozenset(m.coin.ref for m in members) for members in group(coins, Curated()).assets}


async def test_the_passes_after_runs_make_the_assets_the_rule_makes_on_the_same_payloads(pool, id_settings):
    await run(pool, id_settings, "coinpaprika")
    await run(pool, id_settings, "coingecko")
    assert await _partition(pool) == _expected(gecko_coins() + paprika_coins())


async def test_coins_the_match_key_linked_are_split_where_a_figure_contradicts(pool, id_settings, paprika, gecko):
    # generated payloads: the same names in both sources, unrelated figures (most pairs contradict)
    paprika.tickers = make_paprika_tickers(300, seed=3)
    gecko.coins = make_gecko_coins(300, seed=3)
    await run(pool, id_settings, "coingecko", "coinpaprika")
    coins = [coin_of(normalize_ticker(t)) for t in paprika.tickers]
    coins += [coin_of(normalize_market(c)) for c in gecko.coins]
    expected = _expected(coins)
    assert await _partition(pool) == expected
    assert 0 < sum(1 for refs in expected if len(refs) == 2) < 300  # some linked, some split
    await assert_links_hold(pool)


async def test_runs_after_runs_keep_the_assets_the_rule_makes_as_prices_move(pool, id_settings, paprika, gecko):
    # twins with agreeing figures, confirmed in SQL; then prices move: a little (the confirmations hold), and for
    # a few coins threefold (those links must break), then back
    paprika.tickers = make_paprika_tickers(200, seed=5)
    gecko.coins = twins(paprika.tickers)
    await run(pool, id_settings, "coingecko", "coinpaprika")
    judged = "SELECT count(*) FROM asset_sources WHERE judged_at IS NOT NULL"
    assert await pool.fetchval(judged) == 0  # all 400 confirmed in SQL: nothing went to Python

    def expected():
        coins = [coin_of(normalize_ticker(t)) for t in paprika.tickers]
        return _expected(coins + [coin_of(normalize_market(c)) for c in gecko.coins])

    assert await _partition(pool) == expected() and len(expected()) == 200
    for hours, factor in ((1, None), (2, Decimal(3)), (3, Decimal(1))):
        paprika.tickers = moved(make_paprika_tickers(200, seed=5, when=DEFAULT_WHEN + timedelta(hours=hours)))
        if factor is not None:
            for ticker in paprika.tickers[20:25]:
                ticker["quotes"]["USD"]["price"] *= factor
        await run(pool, id_settings, "coinpaprika")
        if hours == 1:  # prices moved by up to 3 %: still confirmed in SQL
            assert await pool.fetchval(judged) == 0
        assert await _partition(pool) == expected(), hours
        assert len(await _partition(pool)) == (205 if factor == 3 else 200), hours  # five split, then back
        await assert_links_hold(pool)


async def test_the_sql_check_confirms_names_alike_but_for_case_and_sends_namesakes_of_a_source_to_the_rule(
        pool, id_settings, paprika):
    await run(pool, id_settings, "coingecko")
    usdt = next(t for t in paprika.tickers if t["id"] == "usdt-tether")
    usdt["name"] = "TETHER"  # CoinGecko's is "Tether": the same name, case aside
    await run(pool, id_settings, "coinpaprika")
    query = "SELECT asset_id, link_reason, judged_at FROM asset_sources WHERE coin_id = $1"
    row = await pool.fetchrow(query, "usdt-tether")
    assert row["asset_id"] == await asset_of(pool, "coingecko", "tether")
    assert row["judged_at"] is None and row["link_reason"].startswith("by the match key")  # confirmed in SQL
    paprika.tickers.append({**usdt, "id": "usdt-tether-2"})  # a namesake of one source, every figure alike
    await run(pool, id_settings, "coinpaprika")
    for coin_id in ("tether", "usdt-tether", "usdt-tether-2"):  # three coins, two of one source: the rule decides
        assert (await pool.fetchrow(query, coin_id))["judged_at"] is not None, coin_id
    assert await asset_of(pool, "coinpaprika", "usdt-tether") != await asset_of(pool, "coinpaprika", "usdt-tether-2")
    await assert_links_hold(pool)


async def test_links_an_earlier_rule_decided_are_decided_again_at_start_up(pool, id_settings):
    await run(pool, id_settings, "coingecko", "coinpaprika")
    bnb = await asset_of(pool, "coingecko", "binancecoin")
    assert await asset_of(pool, "coinpaprika", "bnb-binance-coin") == bnb
    # as the rule before source ids left them: "BNB" / "Binance Coin" judged apart, each alone
    alone = await pool.fetchval("INSERT INTO assets (symbol, name, match_key) VALUES ('BNB', 'BNB', '@old') "
                                "RETURNING id")
    for table in ("asset_sources", "quotes_latest"):
        await pool.execute(f"UPDATE {table} SET asset_id = $1 WHERE coin_id = 'binancecoin'", alone)
    await pool.execute("UPDATE asset_sources SET link_reason = 'alone: no coin of another source is this asset by "
                       "the rule' WHERE coin_id IN ('binancecoin', 'bnb-binance-coin')")
    await apply_curated_links(pool, id_settings)  # start-up
    assert await asset_of(pool, "coingecko", "binancecoin") == await asset_of(pool, "coinpaprika", "bnb-binance-coin")
    reason = await pool.fetchval("SELECT link_reason FROM asset_sources WHERE coin_id = 'bnb-binance-coin'")
    assert "ids agree" in reason
    await assert_links_hold(pool)
