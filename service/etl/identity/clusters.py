"""Groups coins into assets: curated links first, then the rule's links best first, never two coins of one
source in one asset and never two coins a figure or an operator keeps apart; deterministic for the same input."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from service.etl.identity.curated import Curated
from service.etl.identity.rule import AMBIGUOUS, LINK, Coin, Verdict, judge

RULE, CURATED = "rule", "curated"


@dataclass(frozen=True, slots=True)
class Membership:
    coin: Coin
    linked_by: str  # RULE or CURATED
    reason: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """A pair an operator may want to curate: figures borderline, or names that match but figures that do not."""

    symbol: str
    a: Coin
    b: Coin
    verdict: Verdict
    note: str


@dataclass
class Grouping:
    assets: list[list[Membership]] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)


class _Components:
    def __init__(self, coins: list[Coin]):
        self.parent = {c.ref: c.ref for c in coins}
        self.members = {c.ref: [c] for c in coins}

    def root(self, ref: str) -> str:
        while self.parent[ref] != ref:
            self.parent[ref] = self.parent[self.parent[ref]]
            ref = self.parent[ref]
        return ref

    def can_join(self, a: str, b: str, blocked: set[frozenset[str]]) -> bool:
        left, right = self.members[self.root(a)], self.members[self.root(b)]
        if {c.source for c in left} & {c.source for c in right}:
            return False
        return not any(frozenset((x.ref, y.ref)) in blocked for x in left for y in right)

    def join(self, a: str, b: str) -> None:
        ra, rb = sorted((self.root(a), self.root(b)))
        self.parent[rb] = ra
        self.members[ra].extend(self.members.pop(rb))


def group(coins: list[Coin], curated: Curated) -> Grouping:
    """Every coin in exactly one asset; coins compared with the coins sharing their symbol (and with the coins
    curated links name, whatever their symbol)."""
    by_symbol: dict[str, list[Coin]] = defaultdict(list)
    for coin in coins:
        by_symbol[coin.symbol].append(coin)
    buckets = list(by_symbol.values())
    if curated.same:  # curated links may tie symbols together: their buckets are decided as one
        symbol_of = {c.ref: c.symbol for c in coins}
        parent = {symbol: symbol for symbol in by_symbol}

        def root(symbol: str) -> str:
            while parent[symbol] != symbol:
                symbol = parent[symbol]
            return symbol

        for a, b in curated.same:
            if a in symbol_of and b in symbol_of:
                ra, rb = sorted((root(symbol_of[a]), root(symbol_of[b])))
                parent[rb] = ra
        merged: dict[str, list[Coin]] = defaultdict(list)
        for symbol, members in by_symbol.items():
            merged[root(symbol)].extend(members)
        buckets = list(merged.values())
    result = Grouping()
    simple = not curated.same and not curated.apart
    for bucket in sorted(buckets, key=lambda b: min(c.ref for c in b)):
        bucket.sort(key=lambda c: c.ref)
        if len(bucket) == 1 or len({c.source for c in bucket}) == 1:  # most symbols: nothing to compare
            result.assets.extend([_membership(c, (), curated)] for c in bucket)
        elif len(bucket) == 2 and simple:
            _group_pair(*bucket, curated, result)
        else:
            _group_bucket(bucket, curated, result)
    return result


def _group_bucket(coins: list[Coin], curated: Curated, result: Grouping) -> None:
    components = _Components(coins)
    refs = {c.ref for c in coins}
    judged: list[tuple[Coin, Coin, Verdict]] = []
    for i, a in enumerate(coins):
        for b in coins[i + 1:]:
            if a.source != b.source and a.symbol == b.symbol:
                judged.append((a, b, judge(a, b)))
    blocked = {frozenset(pair) for pair in curated.apart if set(pair) <= refs}
    rule_blocked = blocked | {frozenset((a.ref, b.ref)) for a, b, v in judged if v.contradicted}
    accepted: list[tuple[Coin, Coin, str, str]] = []
    for a, b in curated.same:
        if a in refs and b in refs and components.root(a) != components.root(b):
            components.join(a, b)
            accepted.append((_coin(coins, a), _coin(coins, b), CURATED, f"curated in {curated.origin(a, b)}"))
    links = sorted((t for t in judged if t[2].decision == LINK), key=lambda t: (-t[2].score, t[0].ref, t[1].ref))
    lost: dict[frozenset[str], str] = {}
    for a, b, verdict in links:
        if components.root(a.ref) == components.root(b.ref):
            continue
        if components.can_join(a.ref, b.ref, rule_blocked):
            components.join(a.ref, b.ref)
            accepted.append((a, b, RULE, verdict.reason))
        else:
            lost[frozenset((a.ref, b.ref))] = "the rule would link them, but one of them is already in an asset " \
                                               "with a coin of the other's source or a coin kept apart"
    for root in sorted(components.members):
        members = components.members[root]
        result.assets.append([_membership(coin, accepted, curated) for coin in members])
    for a, b, verdict in judged:
        pair = frozenset((a.ref, b.ref))
        if components.root(a.ref) == components.root(b.ref) or pair in blocked:
            continue
        if pair in lost:
            result.candidates.append(Candidate(a.symbol, a, b, verdict, lost[pair]))
        elif verdict.decision == AMBIGUOUS:
            note = "figures contradict" if verdict.contradicted else "not enough agreeing figures"
            result.candidates.append(Candidate(a.symbol, a, b, verdict, note))


def _group_pair(a: Coin, b: Coin, curated: Curated, result: Grouping) -> None:
    """The commonest bucket, one coin of each of two sources: one verdict decides it."""
    verdict = judge(a, b) if a.symbol == b.symbol else None
    if verdict is not None and verdict.decision == LINK:
        result.assets.append([_membership(a, [(a, b, RULE, verdict.reason)], curated),
                              _membership(b, [(a, b, RULE, verdict.reason)], curated)])
        return
    result.assets.extend(([_membership(a, (), curated)], [_membership(b, (), curated)]))
    if verdict is not None and verdict.decision == AMBIGUOUS:
        note = "figures contradict" if verdict.contradicted else "not enough agreeing figures"
        result.candidates.append(Candidate(a.symbol, a, b, verdict, note))


def _coin(coins: list[Coin], ref: str) -> Coin:
    return next(c for c in coins if c.ref == ref)


def _membership(coin: Coin, accepted, curated: Curated) -> Membership:
    for a, b, linked_by, reason in accepted:  # best first: the link that brought the coin in
        if coin.ref in (a.ref, b.ref):
            other = b if coin.ref == a.ref else a
            return Membership(coin, linked_by, f"with {other.ref}: {reason}")
    apart = curated.kept_apart(coin.ref)
    if apart:
        return Membership(coin, CURATED, f"alone; curated apart from {', '.join(apart)}")
    return Membership(coin, RULE, "alone: no coin of another source is this asset by the rule")
