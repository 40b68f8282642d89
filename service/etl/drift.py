"""Schema drift: the fields a payload really has against those its source is expected to send."""
from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# A missing field is "gone" (not just absent from a few odd records) when most records lack it.
_GONE_SHARE = 0.5
# difflib ratio of the field names: current_price -> current_price_usd scores 0.87, price -> usd_price 0.71,
# while unrelated names (high_24h / low_24h 0.53, symbol / ticker 0) stay below.
_RENAME_CONFIDENCE = 0.6
_MOVED_PENALTY = 0.9


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


def _objects(record: Mapping, prefix: str = "") -> Iterable[str]:
    """Dotted names of the fields of a JSON object that hold objects themselves ("" for the record)."""
    yield prefix.rstrip(".")
    for key, value in record.items():
        if isinstance(value, Mapping):
            yield from _objects(value, f"{prefix}{key}.")


def check(records: list[Mapping], expected: Expectation) -> DriftReport:
    seen, objects = Counter(), Counter()
    for record in records:
        seen.update(set(flat_fields(record)))
        objects.update(set(_objects(record)))
    total = len(records)
    if not total:
        return DriftReport([], [], [], [])

    def gone(name: str) -> bool:
        # A required field is judged against every record; an optional nested one only against the records
        # whose parent is an object (CoinGecko's `roi` is null for most coins, and then has no `roi.times`).
        among = total if name in expected.required else objects[_parent(name)]
        return among > 0 and seen[name] / among < _GONE_SHARE

    missing = sorted(f for f in expected.known | expected.required if gone(f))
    missing_required = [f for f in missing if f in expected.required]
    missing_optional = [f for f in missing if f not in expected.required and seen[f] == 0]
    unknown = sorted(f for f in seen if f not in expected.known and f not in expected.required)
    return DriftReport(
        missing_required=missing_required,
        missing_optional=missing_optional,
        unknown=unknown,
        renamed=renames(missing_required + missing_optional, unknown),
    )


def renames(missing: list[str], unknown: list[str]) -> list[dict]:
    """Pairs each missing field with the most similar new one (each new field used once), best pairs first."""
    pairs = sorted(((_similarity(m, u), m, u) for m in missing for u in unknown), reverse=True)
    found, used_missing, used_unknown = [], set(), set()
    for score, expected_name, candidate in pairs:
        if score < _RENAME_CONFIDENCE:
            break
        if expected_name in used_missing or candidate in used_unknown:
            continue
        used_missing.add(expected_name)
        used_unknown.add(candidate)
        found.append({"expected": expected_name, "seen": candidate, "confidence": round(score, 2)})
    return sorted(found, key=lambda rename: rename["expected"])


def _similarity(expected_name: str, candidate: str) -> float:
    """Name similarity 0..1 of the last parts; a field that also moved to another parent scores a little lower."""
    ratio = difflib.SequenceMatcher(None, _leaf(expected_name), _leaf(candidate)).ratio()
    same_parent = _parent(expected_name).lower() == _parent(candidate).lower()
    return ratio if same_parent else ratio * _MOVED_PENALTY


def _parent(name: str) -> str:
    return name.rpartition(".")[0]


def _leaf(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower()
