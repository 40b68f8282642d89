"""The linking rule: whether two coins of different sources sharing a symbol are one real asset, and why."""
from __future__ import annotations

from dataclasses import dataclass

from service.etl.identity import names
from service.etl.identity.figures import AGREES, BORDERLINE, CONTRADICTS, Figures, compare

LINK, AMBIGUOUS, APART = "link", "ambiguous", "apart"
# evidence a name relation needs from the figures before two coins link: strong findings, weak findings
_NEEDS = {names.EQUAL: (0, 0), names.RELATED: (0, 1), names.SILENT: (2, 0), names.DIFFERENT: (2, 0)}
_NAME_SCORE = {names.EQUAL: 3, names.RELATED: 2, names.SILENT: 0, names.DIFFERENT: 0}


@dataclass(frozen=True, slots=True)
class Coin:
    source: str
    coin_id: str
    symbol: str
    name: str
    figures: Figures

    @property
    def ref(self) -> str:
        return f"{self.source}:{self.coin_id}"


@dataclass(frozen=True, slots=True)
class Verdict:
    decision: str  # LINK, AMBIGUOUS (an operator should look) or APART
    score: int  # how strongly the evidence says "same": better links are taken first
    reason: str
    contradicted: bool = False  # a figure says "different": never in one asset, even through a third coin


def judge(a: Coin, b: Coin) -> Verdict:
    """Same symbol assumed. Any contradicting figure keeps them apart, whatever the names say; otherwise the
    names decide how much agreement the figures must show."""
    relation = names.relation(a.name, b.name, a.symbol)
    findings = compare(a.figures, b.figures)
    said = f"names {relation} ({a.name!r} / {b.name!r})"
    contradictions = [f for f in findings if f.verdict == CONTRADICTS]
    agreements = [f for f in findings if f.verdict == AGREES]
    borderline = [f for f in findings if f.verdict == BORDERLINE]
    evidence = "; ".join(str(f) for f in (*contradictions, *agreements, *borderline)) or "no comparable figures"
    reason = f"{said}; {evidence}"
    if contradictions:
        # names that match but figures that do not: exactly what an operator should see
        decision = AMBIGUOUS if relation in (names.EQUAL, names.RELATED) else APART
        return Verdict(decision, -1, reason, contradicted=True)
    strong = sum(1 for f in agreements if f.strong)
    weak = len(agreements) - strong
    need_strong, need_weak = _NEEDS[relation]
    score = _NAME_SCORE[relation] + 2 * strong + weak
    if strong >= need_strong and strong + weak >= need_strong + need_weak:
        return Verdict(LINK, score, reason)
    if relation in (names.EQUAL, names.RELATED) or agreements or borderline:
        return Verdict(AMBIGUOUS, score, reason)
    return Verdict(APART, score, reason)
