"""A link pass, in one transaction serialized with other passes: one query finds the coins in doubt
(sql/confirm_asset_links.sql: the match key's links it can confirm are left as they are, nothing written); the rule
groups those coins, with every coin of their symbols and assets, into assets (clusters.py); the decisions, reasons
and ambiguous pairs that changed are written. A pass after a run reads the symbols that run wrote."""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

from service.etl.identity.clusters import Grouping, group
from service.etl.identity.curated import Curated
from service.etl.identity.figures import Figures
from service.etl.identity.rule import Coin
from service.sql import SQL

log = logging.getLogger(__name__)
NOTIFY_PAYLOAD = "asset-links"  # where a batch's notification names its source


@dataclass(frozen=True, slots=True)
class LinkSummary:
    coins: int  # judged by this pass
    assets: int  # that they form
    moved: int  # coins now in another asset
    candidates: int


async def store_curated(connection, curated: Curated) -> None:
    """Replaces the database's copy of the curated links (each start-up reads the file again); the coins of the
    lines added or removed are decided again by the next pass."""
    rows = curated.rows()
    async with connection.transaction():
        await connection.execute(SQL.lock_asset_links)
        before = {tuple(r[i] for i in range(5)) for r in await connection.fetch(SQL.select_asset_link_rules)}
        await connection.execute(SQL.delete_asset_link_rules)
        if rows:
            await connection.execute(SQL.insert_asset_link_rules, *(list(column) for column in zip(*rows)))
        changed = before ^ {row[:5] for row in rows}
        coins = sorted({(r[1], r[2]) for r in changed} | {(r[3], r[4]) for r in changed})
        if coins:
            await connection.execute(SQL.reset_link_judgements, *(list(column) for column in zip(*coins)))


async def relink(connection, run_id: int | None = None, *, everything: bool = False,
                 rejudge: bool = False) -> LinkSummary:
    """One link pass over the coins in doubt (sql/confirm_asset_links.sql) among those run `run_id` wrote (None: every
    coin), and every coin their decision touches; `rejudge`: the coins the rule decided before too; `everything`:
    every coin, judged in Python."""
    async with connection.transaction():
        await connection.execute(SQL.lock_asset_links)
        # a run's id is new to the planner's statistics, so it expects one row and probes per coin: hash joins
        nested_loops = await connection.fetchval(SQL.set_nested_loops, "off")
        found = await connection.fetch(SQL.confirm_asset_links, everything, run_id, rejudge)
        await connection.fetchval(SQL.set_nested_loops, nested_loops)
        due_rows = [r for r in found if r["due"]]
        if not due_rows:
            if found:  # nothing to decide, but latest states that name another asset than their link
                await _follow(connection, run_id, (), False)
            return LinkSummary(0, 0, 0, 0)
        symbols = {r["symbol"] for r in due_rows}
        due = {(r["source"], r["coin_id"]) for r in due_rows}
        curated = Curated.from_rows(await connection.fetch(SQL.select_asset_link_rules))
        rows = await _rows_of(connection, symbols, curated, everything)
        current = {(r["source"], r["coin_id"]): r for r in rows}
        grouping = group([_coin(r) for r in rows], curated)
        targets = await _asset_ids(connection, grouping, current)
        # written: what changed, and the due coins' figures (judged now); the others were judged on figures
        # still within tolerance
        written = []
        for members, asset_id in zip(grouping.assets, targets):
            for m in members:
                row = current[(m.coin.source, m.coin.coin_id)]
                decision = (asset_id, m.linked_by, m.reason)
                if decision != (row["asset_id"], row["linked_by"], row["link_reason"]) or \
                        (m.coin.source, m.coin.coin_id) in due:
                    written.append((m.coin.source, m.coin.coin_id, *decision, row["symbol"], row["name"],
                                    row["price_usd"], row["market_cap_usd"], row["observed_at"]))
        if written:
            await connection.execute(SQL.update_asset_links, *(list(column) for column in zip(*written)))
        moved = sum(1 for w in written if w[2] != current[w[:2]]["asset_id"])
        await connection.execute(SQL.delete_asset_link_candidates, None if everything else sorted(symbols))
        if grouping.candidates:
            await connection.execute(SQL.insert_asset_link_candidates, *(list(column) for column in zip(*(
                (c.symbol, c.a.source, c.a.coin_id, c.b.source, c.b.coin_id, c.verdict.decision, c.verdict.score,
                 c.note, c.verdict.evidence) for c in grouping.candidates))))
        await _follow(connection, None if everything else run_id, [w[:2] for w in written], any(
            (w[2], w[3], w[4]) != tuple(current[w[:2]][k] for k in ("asset_id", "linked_by", "link_reason"))
            for w in written))
    summary = LinkSummary(len(rows), len(grouping.assets), moved, len(grouping.candidates))
    if moved:
        log.info("asset links moved", extra={"moved": moved, "coins": summary.coins})
    return summary


async def _follow(connection, run_id: int | None, coins, changed: bool) -> None:
    """The latest state follows the links of the run's coins and of the coins the pass decided; when anything
    changed, cached /assets and /data answers are dropped (they are cached per data generation)."""
    sources, coin_ids = (list(column) for column in zip(*coins)) if coins else ([], [])
    if await connection.fetchval(SQL.update_latest_asset_ids, run_id, sources, coin_ids) or changed:
        await connection.execute(SQL.notify_quotes_changed, NOTIFY_PAYLOAD)


async def _rows_of(connection, symbols: set[str], curated: Curated, everything: bool) -> list:
    """The coins of `symbols`, widened until every asset they are in and every curated partner is read too (an
    asset is decided whole)."""
    if everything:
        return await connection.fetch(SQL.select_link_coins, None)
    partners = await _curated_symbols(connection, curated)
    rows: list = []
    read: set[str] = set()
    while symbols - read:
        new = sorted(symbols - read)
        read |= set(new)
        batch = await connection.fetch(SQL.select_link_coins, new)
        rows.extend(batch)
        symbols |= {r["symbol"] for r in await connection.fetch(
            SQL.select_asset_symbols, list({r["asset_id"] for r in batch}))}
        for symbol in new:
            symbols |= partners.get(symbol, set())
    return rows


async def _curated_symbols(connection, curated: Curated) -> dict[str, set[str]]:
    """symbol -> the symbols of the coins curated `same` lines tie its coins to."""
    refs = sorted({ref for pair in curated.same for ref in pair})
    if not refs:
        return {}
    found = {f"{r['source']}:{r['coin_id']}": r["symbol"] for r in await connection.fetch(
        SQL.select_coin_symbols, *zip(*(ref.split(":", 1) for ref in refs)))}
    partners: dict[str, set[str]] = {}
    for a, b in curated.same:
        if a in found and b in found:
            partners.setdefault(found[a], set()).add(found[b])
            partners.setdefault(found[b], set()).add(found[a])
    return partners


def _coin(row) -> Coin:
    return Coin(row["source"], row["coin_id"], row["symbol"], row["name"], Figures(
        observed_at=row["observed_epoch"], rank=row["rank"], price=row["price_usd"], market_cap=row["market_cap_usd"],
        circulating_supply=row["circulating_supply"], total_supply=row["total_supply"], max_supply=row["max_supply"],
        ath_price=row["ath_price_usd"], ath_at=row["ath_at"]))


async def _asset_ids(connection, grouping: Grouping, current) -> list[int]:
    """Each group keeps the asset most of its coins are in already (ids stay stable as links move); an asset
    goes to one group only, the group whose coins held it first; a group left without one gets a new asset."""
    held = [Counter(current[(m.coin.source, m.coin.coin_id)]["asset_id"] for m in members)
            for members in grouping.assets]
    order = sorted(range(len(held)), key=lambda i: (min(held[i]), grouping.assets[i][0].coin.ref))
    taken: set[int] = set()
    chosen: dict[int, int] = {}
    for i in order:
        free = [(-count, asset_id) for asset_id, count in held[i].items() if asset_id not in taken]
        if free:
            chosen[i] = min(free)[1]
            taken.add(chosen[i])
    homeless = [i for i in order if i not in chosen]
    turn = 0
    while homeless:
        keys = {i: f"@{grouping.assets[i][0].coin.ref}" + (f"#{turn}" if turn else "") for i in homeless}
        firsts = [grouping.assets[i][0].coin for i in homeless]
        made = {r["match_key"]: r["id"] for r in await connection.fetch(
            SQL.insert_split_assets, [c.symbol for c in firsts], [c.name for c in firsts],
            [keys[i] for i in homeless])}
        for i in list(homeless):
            if made[keys[i]] not in taken:  # else that key's asset went to another group: one more, next turn
                chosen[i] = made[keys[i]]
                taken.add(chosen[i])
                homeless.remove(i)
        turn += 1
    return [chosen[i] for i in range(len(held))]


async def apply_curated_links(pool, settings) -> LinkSummary:
    """At start-up: the curated links file's rules into the database, then a link pass over every coin whose link
    is in doubt and every coin the rule decided before (a rule improved since re-links them; a database the match key
    linked before this rule existed is re-linked too)."""
    curated = settings.curated_links()
    async with pool.acquire() as connection:
        await store_curated(connection, curated)
        return await relink(connection, rejudge=True)
