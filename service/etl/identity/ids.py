"""What a coin's source id says about identity: the slug a source made of the coin's name when it listed the coin.

Source ids never change, so they keep names coins have since dropped: CoinGecko's `binancecoin` and CoinPaprika's
`bnb-binance-coin` are BNB ("Binance Coin" until 2022), `crypto-com-chain` and `cro-cryptocom-chain` are Cronos.
CoinGecko's id is a name slug; CoinPaprika's is `<symbol>-<name slug>`. An id numbered to tell namesakes apart
(CoinGecko `avalanche-2`, CoinPaprika `pepeai1-pepe-ai`) names no one coin, and a CSV coin's id is made from the
row's own name: neither says anything the name does not.
"""
from __future__ import annotations

import re
from functools import lru_cache

from service.etl.identity import names

_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_NUMBERED = re.compile(r"-\d+$")
# a slug this short, or one that is only the symbol or a kind of thing ("token"), is shared by unrelated coins
_MIN_SLUG = 4


@lru_cache(maxsize=1 << 16)
def slug(source: str, coin_id: str, symbol: str) -> str | None:
    """The id's name part compacted (lower case, letters and digits only), or None when it names no one coin."""
    ticker = _NOT_ALNUM.sub("", symbol.lower())
    if source == "coinpaprika":
        prefix, _, rest = coin_id.lower().partition("-")
        if prefix != ticker and prefix.startswith(ticker) and prefix[len(ticker):].isdigit():
            return None  # numbered: CoinPaprika listed a namesake before it
        # a prefix other than today's symbol is the symbol the coin was listed under (`hav-havven`, now SNX);
        # stripped unless that leaves too little (`fetch-ai`)
        body = rest if prefix == ticker or len(_NOT_ALNUM.sub("", rest)) >= _MIN_SLUG else coin_id
    elif source == "coingecko":
        if _NUMBERED.search(coin_id):
            return None
        body = coin_id
    else:
        return None
    compact = _NOT_ALNUM.sub("", body.lower())
    if len(compact) < _MIN_SLUG or compact == ticker or compact in names.FILLER_WORDS:
        return None
    return compact


def agree(a, b) -> bool:
    """Whether one coin's id slug is the other's id slug or one of the other's names, compacted (with and without
    words such as "coin"): `binancecoin` and `bnb-binance-coin`, or `cosmos` and "Cosmos Hub"."""
    slug_a, slug_b = slug(a.source, a.coin_id, a.symbol), slug(b.source, b.coin_id, b.symbol)
    if slug_a is None and slug_b is None:
        return False
    return (slug_a is not None and (slug_a == slug_b or slug_a in names.spellings(b.name))) or \
        (slug_b is not None and slug_b in names.spellings(a.name))
