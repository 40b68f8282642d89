"""What a coin's figures say about identity: each figure two coins both carry agrees, contradicts or says nothing.

Figures are compared only when they mean the same thing for both coins: price, market cap and circulating supply
only when both were observed within `SAME_MOMENT`; total and maximum supply, rank and the all-time high also across
time (supply caps rarely move, a top coin stays near the top, an all-time high reached before both observations is
the same event). Rank is weak evidence at best (it follows from the market cap). Thresholds are ratios, so figures
are compared as floats (a link pass compares thousands of pairs; no decision rests on the 17th digit).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

DAY = 86400.0
SAME_MOMENT = 2 * DAY
PRICE_AGREES, PRICE_CONTRADICTS = 1.10, 1.5
MARKET_CAP_AGREES = 1.10
SUPPLY_AGREES = 1.02
MAX_SUPPLY_CONTRADICTS = 10.0
RANK_AGREES = {True: 1.5, False: 2.0}  # at the same moment, across time
ATH_PRICE_AGREES = 2.0  # sources whose data start differs record different launch-day highs
ATH_DAYS_AGREE = 3 * DAY
ATH_FALLS = 3.0  # a later all-time high is never far below an earlier one, unless the coin was redenominated

AGREES, CONTRADICTS, BORDERLINE = "agrees", "contradicts", "borderline"


@dataclass(frozen=True, slots=True)
class Figures:
    """A coin's identifying figures at one moment; times in seconds since the epoch, 0 and None both unknown."""

    observed_at: float
    rank: int | None = None
    price: float | None = None
    market_cap: float | None = None
    circulating_supply: float | None = None
    total_supply: float | None = None
    max_supply: float | None = None
    ath_price: float | None = None
    ath_at: float | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    figure: str
    verdict: str  # AGREES, CONTRADICTS or BORDERLINE
    strong: bool  # a round figure both happen to carry (1,000,000,000) is weak evidence
    left: object
    right: object
    note: str = ""

    def __str__(self) -> str:
        return f"{self.figure} {self.verdict} ({_shown(self.left)} vs {_shown(self.right)}{self.note})"


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
    ratio = _ratio(a.max_supply, b.max_supply)
    if ratio is not None and ratio > MAX_SUPPLY_CONTRADICTS:
        found.append(Finding("max supply", CONTRADICTS, True, a.max_supply, b.max_supply))
    ratio = _ratio(a.rank, b.rank)
    if ratio is not None and ratio <= RANK_AGREES[same_moment]:
        found.append(Finding("rank", AGREES, False, a.rank, b.rank))
    _ath_finding(found, a, b, same_moment)
    return found


def _ratio(x, y) -> float | None:
    if not x or not y or x <= 0 or y <= 0:
        return None  # a source's 0 means "not known" (CoinPaprika's 0 supply), never a figure
    return x / y if x >= y else y / x


def _ratio_finding(found, figure, x, y, agrees: float, contradicts: float | None) -> None:
    ratio = _ratio(x, y)
    if ratio is None:
        return
    if ratio <= agrees:
        found.append(Finding(figure, AGREES, True, x, y))
    elif contradicts is not None and ratio > contradicts:
        found.append(Finding(figure, CONTRADICTS, True, x, y))
    else:
        found.append(Finding(figure, BORDERLINE, False, x, y))


def _equal_finding(found, figure, x, y) -> None:
    ratio = _ratio(x, y)
    if ratio is not None and ratio <= SUPPLY_AGREES:
        found.append(Finding(figure, AGREES, not (_round(x) and _round(y)), x, y))


def _round(value: float) -> bool:
    """1, 2 or 5 followed by zeros (or 21,000,000): a figure many unrelated coins carry."""
    mantissa = f"{value:.12e}".split("e")[0].replace(".", "").rstrip("0")
    return len(mantissa) <= 2


def _ath_finding(found, a: Figures, b: Figures, same_moment: bool) -> None:
    if not _ath_usable(a) or not _ath_usable(b):
        return
    early, late = (a, b) if a.observed_at <= b.observed_at else (b, a)
    # the later observation's high, reached before the earlier observation, is a high the earlier one saw too
    comparable = same_moment or late.ath_at <= early.observed_at
    close = abs(a.ath_at - b.ath_at) <= ATH_DAYS_AGREE and _ratio(a.ath_price, b.ath_price) <= ATH_PRICE_AGREES
    if comparable and close:
        found.append(Finding("all-time high", AGREES, True, (a.ath_price, a.ath_at), (b.ath_price, b.ath_at)))
    elif early.ath_price > late.ath_price * ATH_FALLS:
        found.append(Finding("all-time high", CONTRADICTS, True, (a.ath_price, a.ath_at), (b.ath_price, b.ath_at),
                             ": the later high is far lower"))


def _ath_usable(f: Figures) -> bool:
    """A high reached within two days of the observation, already three times the price, is a spike (a bad tick
    a source may clean later, as CoinPaprika's PAX Gold at 192,278 USD on 2019-10-04): no evidence either way."""
    if not f.ath_price or not f.ath_at or f.ath_price < 0:
        return False
    spike = 0 <= f.observed_at - f.ath_at <= SAME_MOMENT and f.price is not None and f.ath_price > ATH_FALLS * f.price
    return not spike


def _shown(value) -> str:
    if isinstance(value, tuple):  # an all-time high: price and when
        price, at = value
        return f"{_shown(price)} on {datetime.fromtimestamp(at, timezone.utc):%Y-%m-%d}"
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def seconds(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def number(value) -> float | None:
    return None if value is None else float(value)
