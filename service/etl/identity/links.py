"""A link pass: reads every source coin's figures, groups them into assets (clusters.py) and writes only the links
that moved, the reasons and the ambiguous pairs, in one transaction serialized with other passes."""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

from service.etl.identity.clusters import Grouping, Membership, group
from service.etl.identity.curated import Curated
from service.etl.identity.figures import Figures
from service.etl.identity.rule import Coin
from service.sql import SQL

log = logging.getLogger(__name__)
NOTIFY_PAYLOAD = "asset-links"  # where a batch's notification names its source


@dataclass(frozen=True, slots=True)
class LinkSummary:
    coins: int
    assets: int
    moved: int
    candidates: int


async def store_curated(connection, curated: Curated) -> None:
    """Replaces the database's copy of the curated links (each start-up reads the file again)."""
    rows = curated.rows()
    async with connection.transaction():
        await connection.execute(SQL.lock_asset_links)
        await connection.execute(SQL.delete_asset_link_rules)
        if rows:
            await connection.execute(SQL.insert_asset_link_rules, *(list(column) for column in zip(*rows)))


async def relink(connection) -> LinkSummary:
    """One link pass over every coin; returns what it did."""
    async with connection.transaction():
        await connection.execute(SQL.lock_asset_links)
        rows = await connection.fetch(SQL.select_link_coins)
        curated = Curated.from_rows(await connection.fetch(SQL.select_asset_link_rules))
        current = {(r["source"], r["coin_id"]): r for r in rows}
        grouping = group([_coin(r) for r in rows], curated)
        targets = await _asset_ids(connection, grouping, current)
        changes = [(m.coin.source, m.coin.coin_id, asset_id, m.linked_by, m.reason)
                   for members, asset_id in zip(grouping.assets, targets) for m in members
                   if _changed(current[(m.coin.source, m.coin.coin_id)], asset_id, m)]
        if changes:
            await connection.execute(SQL.update_asset_links, *(list(column) for column in zip(*changes)))
            # /assets and /data answers are cached per data generation: a moved link is a new generation
            await connection.execute(SQL.notify_quotes_changed, NOTIFY_PAYLOAD)
        await connection.execute(SQL.delete_asset_link_candidates)
        if grouping.candidates:
            await connection.execute(SQL.insert_asset_link_candidates, *(list(column) for column in zip(*(
                (c.symbol, c.a.source, c.a.coin_id, c.b.source, c.b.coin_id, c.verdict.decision, c.verdict.score,
                 c.note, c.verdict.reason) for c in grouping.candidates))))
    moved = sum(1 for change in changes if current[change[:2]]["asset_id"] != change[2])
    summary = LinkSummary(len(rows), len(grouping.assets), moved, len(grouping.candidates))
    if moved:
        log.info("asset links moved", extra={"moved": moved, "assets": summary.assets})
    return summary


def _coin(row) -> Coin:
    return Coin(row["source"], row["coin_id"], row["symbol"], row["name"], Figures(
        observed_at=row["observed_at"], rank=row["rank"], price=row["price_usd"], market_cap=row["market_cap_usd"],
        circulating_supply=row["circulating_supply"], total_supply=row["total_supply"],
        max_supply=row["max_supply"], ath_price=row["ath_price_usd"], ath_at=row["ath_at"]))


def _changed(row, asset_id: int, membership: Membership) -> bool:
    return (row["asset_id"], row["linked_by"], row["link_reason"]) != (asset_id, membership.linked_by,
                                                                       membership.reason)


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
    for i in order:
        if i not in chosen:
            first = grouping.assets[i][0].coin
            asset_id = await connection.fetchval(SQL.insert_split_asset, first.symbol, first.name, f"@{first.ref}")
            if asset_id in taken:  # that key's asset went to another group: one more, named by its turn
                asset_id = await connection.fetchval(SQL.insert_split_asset, first.symbol, first.name,
                                                     f"@{first.ref}#{len(taken)}")
            chosen[i] = asset_id
            taken.add(asset_id)
    return [chosen[i] for i in range(len(held))]


async def apply_curated_links(pool, settings) -> LinkSummary:
    """At start-up: the curated links file's rules into the database, then a link pass over every coin (which also
    re-links a database the match key linked before this rule existed)."""
    curated = settings.curated_links()
    async with pool.acquire() as connection:
        await store_curated(connection, curated)
        return await relink(connection)
