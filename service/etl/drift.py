"""Schema drift: the fields a payload really has against those its source is expected to send."""
from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# A missing field is "gone" (not just absent from a few odd records) when most records lack it.
_GONE_SHARE = 0.5
_RENAME_CONFIDENCE = 0.6


@dataclass(frozen=True)
class Expectation:
    required: frozenset[str]
    known: frozenset[str]


@dataclass
class DriftReport:
    missing_required: list[str]
    missing_optional: list[str]
    unknown: list[str]
    renamed: list[dict]

    @property
    def breaking(self) -> bool:
        return bool(self.missing_required)

    def as_dict(self) -> dict:
        found = {
            "missing_required": self.missing_required,
            "missing_optional": self.missing_optional,
            "unknown_fields": self.unknown,
            "possible_renames": self.renamed,
        }
        return {key: value for key, value in found.items() if value}

    def describe(self) -> str:
        parts = [f"required field(s) missing: {', '.join(self.missing_required)}"]
        for rename in self.renamed:
            if rename["expected"] in self.missing_required:
                parts.append(
                    f"{rename['expected']!r} may have been renamed to {rename['seen']!r} "
                    f"(confidence {rename['confidence']})")
        return "; ".join(parts)


def flat_fields(record: Mapping, prefix: str = "") -> Iterable[str]:
    """Dotted names of every field of a JSON object, nested objects included."""
    for key, value in record.items():
        name = f"{prefix}{key}"
        yield name
        if isinstance(value, Mapping):
            yield from flat_fields(value, name + ".")


def check(records: list[Mapping], expected: Expectation) -> DriftReport:
    seen = Counter()
    for record in records:
        seen.update(set(flat_fields(record)))
    total = max(len(records), 1)
    gone = sorted(f for f in expected.known if seen[f] / total < _GONE_SHARE and seen[f] < total)
    unknown = sorted(f for f in seen if f not in expected.known)
    missing_required = [f for f in gone if f in expected.required] if records else []
    missing_optional = [f for f in gone if f not in expected.required and seen[f] == 0] if records else []
    return DriftReport(
        missing_required=missing_required,
        missing_optional=missing_optional,
        unknown=unknown,
        renamed=_renames(missing_required + missing_optional, unknown),
    )


def _renames(missing: list[str], unknown: list[str]) -> list[dict]:
    found = []
    for expected_name in missing:
        best, score = None, 0.0
        for candidate in unknown:
            ratio = difflib.SequenceMatcher(None, _leaf(expected_name), _leaf(candidate)).ratio()
            if ratio > score:
                best, score = candidate, ratio
        if best is not None and score >= _RENAME_CONFIDENCE:
            found.append({"expected": expected_name, "seen": best, "confidence": round(score, 2)})
    return found


def _leaf(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower()
