"""Curated links (the file at ASSET_LINKS_PATH): an operator forces two coins into one asset or keeps them apart.

One rule per line, `same SOURCE:COIN_ID SOURCE:COIN_ID` or `apart SOURCE:COIN_ID SOURCE:COIN_ID`; `#` starts a
comment. A line that cannot be obeyed (unknown word or source, two coins of one source in one asset, a pair both
same and apart) is a `CuratedError` naming the file and line: start-up stops on it.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

VERBS = ("same", "apart")


class CuratedError(ValueError):
    """A line of the curated links file the service cannot obey."""


@dataclass(frozen=True)
class Curated:
    same: tuple[tuple[str, str], ...] = ()
    apart: tuple[tuple[str, str], ...] = ()
    lines: dict[frozenset[str], str] = field(default_factory=dict)

    def origin(self, a: str, b: str) -> str:
        return self.lines.get(frozenset((a, b)), "the curated links")

    def kept_apart(self, ref: str) -> list[str]:
        return sorted(b if a == ref else a for a, b in self.apart if ref in (a, b))

    def rows(self) -> list[tuple[str, str, str, str, str, str]]:
        """(kind, source_a, coin_a, source_b, coin_b, origin) for the database's copy."""
        out = []
        for kind, pairs in (("same", self.same), ("apart", self.apart)):
            for a, b in pairs:
                (sa, ca), (sb, cb) = a.split(":", 1), b.split(":", 1)
                out.append((kind, sa, ca, sb, cb, self.origin(a, b)))
        return out

    @classmethod
    def from_rows(cls, rows) -> Curated:
        same, apart, lines = [], [], {}
        for row in rows:
            a, b = f"{row['source_a']}:{row['coin_a']}", f"{row['source_b']}:{row['coin_b']}"
            (same if row["kind"] == "same" else apart).append((a, b))
            lines[frozenset((a, b))] = row["origin"]
        return cls(tuple(same), tuple(apart), lines)


def load(path: Path, sources: tuple[str, ...]) -> Curated:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CuratedError(f"{path}: cannot be read: {exc}") from None
    return parse(text, str(path), sources)


def parse(text: str, origin: str, sources: tuple[str, ...]) -> Curated:
    same: dict[tuple[str, str], str] = {}
    apart: dict[tuple[str, str], str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"{origin}:{number}"
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if words[0].lower() not in VERBS or len(words) != 3:
            raise CuratedError(f"{where}: expected 'same|apart SOURCE:COIN_ID SOURCE:COIN_ID', got {line.strip()!r}")
        a, b = (_ref(word, where, sources) for word in words[1:])
        if a == b:
            raise CuratedError(f"{where}: names {a} twice")
        pair = tuple(sorted((a, b)))
        if words[0].lower() == "same":
            if a.split(":")[0] == b.split(":")[0]:
                raise CuratedError(f"{where}: {a} and {b} are two coins of one source: never one asset")
            same.setdefault(pair, where)
        else:
            apart.setdefault(pair, where)
    _check_groups(same, apart)
    lines = {frozenset(p): w for p, w in apart.items()} | {frozenset(p): w for p, w in same.items()}
    return Curated(tuple(same), tuple(apart), lines)


def _ref(word: str, where: str, sources: tuple[str, ...]) -> str:
    source, _, coin = word.partition(":")
    if not coin or source.lower() not in sources:
        raise CuratedError(f"{where}: {word!r} is not SOURCE:COIN_ID with SOURCE one of {', '.join(sources)}")
    return f"{source.lower()}:{coin}"


def _check_groups(same: dict, apart: dict) -> None:
    """The `same` lines, chained, must not put two coins of one source, or a pair kept apart, in one asset."""
    parent: dict[str, str] = {}

    def root(ref: str) -> str:
        parent.setdefault(ref, ref)
        while parent[ref] != ref:
            ref = parent[ref]
        return ref

    members: dict[str, list[str]] = defaultdict(list)
    for (a, b), where in same.items():
        ra, rb = root(a), root(b)
        if ra == rb:
            continue
        group = (members.get(ra) or [ra]) + (members.get(rb) or [rb])
        by_source = defaultdict(list)
        for ref in group:
            by_source[ref.split(":")[0]].append(ref)
        clash = next((refs for refs in by_source.values() if len(refs) > 1), None)
        if clash:
            raise CuratedError(f"{where}: would put {' and '.join(sorted(clash))} (one source) in one asset")
        parent[rb] = ra
        members[ra] = group
        members.pop(rb, None)
    for (a, b), where in apart.items():
        if a in parent and b in parent and root(a) == root(b):
            raise CuratedError(f"{where}: {a} and {b} are kept apart here but linked by 'same' lines")
