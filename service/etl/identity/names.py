"""What a coin's name says about identity: names normalized, then compared as equal, related, silent or different."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# words that name the kind of thing, not the thing: "Cosmos Hub" is "Cosmos", "Huobi Token" is "Huobi"
FILLER_WORDS = frozenset({"the", "token", "tokens", "coin", "coins", "network", "protocol", "hub"})
_PARENTHESIZED = re.compile(r"\(([^)]*)\)")
_WORD = re.compile(r"[a-z0-9]+")
# a prefix this short says nothing ("uni" of "uniswap" and of "universe")
_MIN_PREFIX = 4

EQUAL, RELATED, SILENT, DIFFERENT = "equal", "related", "silent", "different"


@dataclass(frozen=True, slots=True)
class Name:
    """A name's spellings for comparison: the name without its parenthesized part, and that part (a former
    name: "MultiversX (Elrond)"). Square brackets stay: "Polkadot [IOU]" is not Polkadot."""

    spellings: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, text: str) -> Name:
        lowered = text.lower()
        parts = [_PARENTHESIZED.sub(" ", lowered), *_PARENTHESIZED.findall(lowered)]
        spellings = []
        for part in parts:
            words = tuple(_WORD.findall(part))
            kept = tuple(w for w in words if w not in FILLER_WORDS) or words
            if kept and kept not in spellings:
                spellings.append(kept)
        return cls(tuple(spellings))

    def compact(self) -> set[str]:
        return {"".join(words) for words in self.spellings}


@lru_cache(maxsize=1 << 16)
def spellings(text: str) -> frozenset[str]:
    """A name's spellings compacted, with and without the words naming a kind of thing: "Binance Coin" is
    `binancecoin` and `binance` (what a source id made of the name may read)."""
    lowered = text.lower()
    out = set(Name.of(text).compact())
    for part in (_PARENTHESIZED.sub(" ", lowered), *_PARENTHESIZED.findall(lowered)):
        out.add("".join(_WORD.findall(part)))
    out.discard("")
    return frozenset(out)


@lru_cache(maxsize=1 << 16)  # names rarely change between runs: each pair is normalized once per process
def relation(a: str, b: str, symbol: str) -> str:
    """How two names of coins sharing `symbol` relate: EQUAL, RELATED (one contains or extends the other),
    SILENT (one name is only the symbol: it says nothing) or DIFFERENT."""
    first, second = Name.of(a), Name.of(b)
    compact_a, compact_b = first.compact(), second.compact()
    if compact_a & compact_b:
        return EQUAL
    ticker = symbol.lower()
    if compact_a <= {ticker} or compact_b <= {ticker}:
        return SILENT
    for words_a in first.spellings:
        for words_b in second.spellings:
            if set(words_a) <= set(words_b) or set(words_b) <= set(words_a):
                return RELATED
            short, long = sorted(("".join(words_a), "".join(words_b)), key=len)
            if len(short) >= _MIN_PREFIX and long.startswith(short):
                return RELATED
    return DIFFERENT
