"""The linking rule: whether two coins of different sources sharing a symbol are one real asset, and why."""
from __future__ import annotations

from dataclasses import dataclass, field

from service.etl.identity import ids, names
from service.etl.identity.figures import AGREES, BORDERLINE, CONTRADICTS, Figures, Finding, compare

LINK, AMBIGUOUS, APART = "link", "ambiguous", "apart"
# evidence a name relation needs from the figures before two coins link: strong findings, any findings
_NEEDS = {names.EQUAL: (0, 0), names.RELATED: (0, 1), names.SILENT: (2, 2), names.DIFFERENT: (2, 2)}
_NAME_SCORE = {names.EQUAL: 3, names.RELATED: 2, names.SILENT: 0, names.DIFFERENT: 0}


@dataclass(frozen=True, slots=True)
class Coin:
    source: str
    coin_id: str
    symbol: str
    name: str
    figures: Figures
    ref: str = field(init=False)  # how curated links and reasons name it: source:coin_id

    def __post_init__(self):
        object.__setattr__(self, "ref", f"{self.source}:{self.coin_id}")


@dataclass(frozen=True, slots=True)
class Verdict:
    decision: str  # LINK, AMBIGUOUS (an operator should look) or APART
    score: int  # how strongly the evidence says "same": better links are taken first
    said: str  # what the names say
    findings: tuple[Finding, ...]  # contradictions first, then agreements, then borderline figures
    contradicted: bool = False  # a figure says "different": never in one asset, even through a third coin

    @property
    def reason(self) -> str:
        """Names and which figures agree or not: stable while the verdict is, so links are not rewritten."""
        return "; ".join((self.said, *(f"{f.figure} {f.verdict}" for f in self.findings))) if self.findings \
            else f"{self.said}; no comparable figures"

    @property
    def evidence(self) -> str:
        """The reason with the figures' values, for operators (/identity/candidates)."""
        return "; ".join((self.said, *map(str, self.findings))) if self.findings else self.reason


def judge(a: Coin, b: Coin) -> Verdict:
    """Same symbol assumed. Any contradicting figure keeps them apart, whatever the names or ids say; otherwise
    the names decide how much agreement the figures must show, and source ids that agree count as equal names
    (an id keeps the name the coin was listed under)."""
    relation = names.relation(a.name, b.name, a.symbol)
    said = f"names {relation} ({a.name!r} / {b.name!r})"
    if relation != names.EQUAL and ids.agree(a, b):
        relation = names.EQUAL
        said += f"; ids agree ({a.coin_id} / {b.coin_id})"
    findings = compare(a.figures, b.figures)
    contradictions = [f for f in findings if f.verdict == CONTRADICTS]
    agreements = [f for f in findings if f.verdict == AGREES]
    borderline = [f for f in findings if f.verdict == BORDERLINE]
    ordered = (*contradictions, *agreements, *borderline)
    if contradictions:
        # names that match but figures that do not: exactly what an operator should see
        decision = AMBIGUOUS if relation in (names.EQUAL, names.RELATED) else APART
        return Verdict(decision, -1, said, ordered, contradicted=True)
    strong = sum(1 for f in agreements if f.strong)
    need_strong, need_any = _NEEDS[relation]
    score = _NAME_SCORE[relation] + strong + len(agreements)
    if strong >= need_strong and len(agreements) >= need_any:
        return Verdict(LINK, score, said, ordered)
    if relation in (names.EQUAL, names.RELATED) or agreements or borderline:
        return Verdict(AMBIGUOUS, score, said, ordered)
    return Verdict(APART, score, said, ordered)
