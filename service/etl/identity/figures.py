"""What a coin's figures say about identity: each figure two coins both carry agrees, contradicts or says nothing.

Figures are compared only when they mean the same thing for both coins: price, market cap and circulating supply
only when both were observed within `SAME_MOMENT`; total and maximum supply, rank and the all-time high also across
time (supply caps rarely move, a top coin stays near the top, an all-time high reached before both observations is
the same event). Rank is weak evidence at best (it follows from the market cap).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

SAME_MOMENT = timedelta(days=2)
PRICE_AGREES, PRICE_CONTRADICTS = Decimal("1.10"), Decimal("1.5")
MARKET_CAP_AGREES = Decimal("1.10")
SUPPLY_AGREES = Decimal("1.02")
MAX_SUPPLY_CONTRADICTS = Decimal("10")
RANK_AGREES = {True: Decimal("1.5"), False: Decimal("2")}  # at the same moment, across time
ATH_PRICE_AGREES = Decimal("2")  # sources whose data start differs record different launch-day highs
ATH_DAYS_AGREE = timedelta(days=3)
ATH_FALLS = Decimal("3")  # a later all-time high can never be lower than an earlier one: a redenomination

AGREES, CONTRADICTS, BORDERLINE = "agrees", "contradicts", "borderline"


@dataclass(frozen=True, slots=True)
class Figures:
    observed_at: datetime
    rank: int | None = None
    price: Decimal | None = None
    market_cap: Decimal | None = None
    circulating_supply: Decimal | None = None
    total_supply: Decimal | None = None
    max_supply: Decimal | None = None
    ath_price: Decimal | None = None
    ath_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    figure: str
    verdict: str  # AGREES, CONTRADICTS or BORDERLINE
    strong: bool  # a round figure both happen to carry (1,000,000,000) is weak evidence
    detail: str

    def __str__(self) -> str:
        return f"{self.figure} {self.verdict} ({self.detail})"


def compare(a: Figures, b: Figures) -> list[Finding]:
    """Every finding of comparing the figures two coins carry; nothing for figures one of them lacks."""
    found: list[Finding] = []
    same_moment = abs(a.observed_at - b.observed_at) <= SAME_MOMENT
    if same_moment:
        _ratio_finding(found, "price", a.price, b.price, PRICE_AGREES, PRICE_CONTRADICTS)
        # sources count circulating supply differently: a market cap far off is borderline, never a contradiction
        _ratio_finding(found, "market cap", a.market_cap, b.market_cap, MARKET_CAP_AGREES, None)
        _equal_finding(found, "circulating supply", a.circulating_supply, b.circulating_supply)
    _equal_finding(found, "total supply", a.total_supply, b.total_supply)
    _equal_finding(found, "max supply", a.max_supply, b.max_supply)
    rank = _ratio(a.rank and Decimal(a.rank), b.rank and Decimal(b.rank))
    if rank is not None and rank <= RANK_AGREES[same_moment]:
        found.append(Finding("rank", AGREES, False, f"{a.rank} vs {b.rank}"))
    ratio = _ratio(a.max_supply, b.max_supply)
    if ratio is not None and ratio > MAX_SUPPLY_CONTRADICTS:
        found.append(Finding("max supply", CONTRADICTS, True, f"{a.max_supply} vs {b.max_supply}"))
    _ath_finding(found, a, b, same_moment)
    return found


def _ratio(x: Decimal | None, y: Decimal | None) -> Decimal | None:
    if x is None or y is None or x <= 0 or y <= 0:
        return None  # a source's 0 means "not known" (CoinPaprika's 0 supply), never a figure
    return max(x, y) / min(x, y)


def _ratio_finding(found, figure, x, y, agrees: Decimal, contradicts: Decimal | None) -> None:
    ratio = _ratio(x, y)
    if ratio is None:
        return
    detail = f"{x} vs {y}"
    if ratio <= agrees:
        found.append(Finding(figure, AGREES, True, detail))
    elif contradicts is not None and ratio > contradicts:
        found.append(Finding(figure, CONTRADICTS, True, detail))
    else:
        found.append(Finding(figure, BORDERLINE, False, detail))


def _equal_finding(found, figure, x, y) -> None:
    ratio = _ratio(x, y)
    if ratio is not None and ratio <= SUPPLY_AGREES:
        found.append(Finding(figure, AGREES, not (_round(x) and _round(y)), f"{x} vs {y}"))


def _round(value: Decimal) -> bool:
    """1, 2 or 5 followed by zeros (or 21,000,000): a figure many unrelated coins carry."""
    digits = value.normalize().as_tuple().digits
    return len(digits) <= 2


def _ath_finding(found, a: Figures, b: Figures, same_moment: bool) -> None:
    if a.ath_price is None or b.ath_price is None or a.ath_at is None or b.ath_at is None:
        return
    if a.ath_price <= 0 or b.ath_price <= 0:
        return
    early, late = sorted((a, b), key=lambda f: f.observed_at)
    detail = f"{a.ath_price} on {a.ath_at:%Y-%m-%d} vs {b.ath_price} on {b.ath_at:%Y-%m-%d}"
    # the later observation's high, reached before the earlier observation, is a high the earlier one saw too
    comparable = same_moment or late.ath_at <= early.observed_at
    close = abs(a.ath_at - b.ath_at) <= ATH_DAYS_AGREE and _ratio(a.ath_price, b.ath_price) <= ATH_PRICE_AGREES
    if comparable and close:
        found.append(Finding("all-time high", AGREES, True, detail))
    elif early.ath_price > late.ath_price * ATH_FALLS:
        found.append(Finding("all-time high", CONTRADICTS, True, detail + ": the later high is far lower"))
