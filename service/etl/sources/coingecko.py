"""CoinGecko: GET /coins/markets?vs_currency=usd, page by page until an empty page or the page cap."""
from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from service.etl import normalize as n
from service.etl.drift import Expectation
from service.etl.records import API_QUOTE, Batch
from service.etl.sources.api import ApiSource, items_batch
from service.etl.upstream import TokenBucket, Upstream

NAME = "coingecko"
PRO_HOST = "pro-api.coingecko.com"
STREAM = "markets"
# asked for with price_change_percentage=1h,7d; CoinGecko then adds these two fields to every coin
_CHANGE_WINDOWS = "1h,7d"
_CHANGE_FIELDS = ("price_change_percentage_1h_in_currency", "price_change_percentage_7d_in_currency")
EXPECTED = Expectation(
    required=frozenset({"id", "symbol", "name", "current_price", "last_updated"}),
    known=frozenset({
        "id", "symbol", "name", "image", "current_price", "market_cap", "market_cap_rank",
        "fully_diluted_valuation", "total_volume", "high_24h", "low_24h", "price_change_24h",
        "price_change_percentage_24h", "market_cap_change_24h", "market_cap_change_percentage_24h",
        "circulating_supply", "total_supply", "max_supply", "ath", "ath_change_percentage", "ath_date",
        "atl", "atl_change_percentage", "atl_date", "roi", "roi.times", "roi.currency", "roi.percentage",
        "last_updated", *_CHANGE_FIELDS,
    }),
)


def normalize_market(item: Mapping) -> tuple:
    coin = n.coin_id(item.get("id"))
    symbol = n.symbol(item.get("symbol"))
    name = n.name(item.get("name"), symbol)
    return API_QUOTE.row(
        source=NAME, coin_id=coin, observed_at=n.timestamp(item.get("last_updated")),
        match_key=n.match_key(symbol, name), symbol=symbol, name=name,
        rank=n.rank(item.get("market_cap_rank"), "market_cap_rank"),
        price_usd=n.positive_price(item.get("current_price"), "current_price"),
        market_cap_usd=n.decimal(item.get("market_cap"), "market_cap"),
        volume_24h_usd=n.decimal(item.get("total_volume"), "total_volume"),
        percent_change_24h=n.decimal(item.get("price_change_percentage_24h"), "price_change_percentage_24h",
                                     signed=True),
        circulating_supply=n.decimal(item.get("circulating_supply"), "circulating_supply"),
        total_supply=n.decimal(item.get("total_supply"), "total_supply"),
        max_supply=n.decimal(item.get("max_supply"), "max_supply"),
        percent_change_1h=n.decimal(item.get(_CHANGE_FIELDS[0]), _CHANGE_FIELDS[0], signed=True),
        percent_change_7d=n.decimal(item.get(_CHANGE_FIELDS[1]), _CHANGE_FIELDS[1], signed=True),
        ath_price_usd=n.decimal(item.get("ath"), "ath"),
        ath_at=n.optional_timestamp(item.get("ath_date"), "ath_date"),
        fully_diluted_valuation_usd=n.decimal(item.get("fully_diluted_valuation"), "fully_diluted_valuation"),
        high_24h_usd=n.decimal(item.get("high_24h"), "high_24h"),
        low_24h_usd=n.decimal(item.get("low_24h"), "low_24h"),
    )


class CoinGeckoSource(ApiSource):
    name = NAME

    def __init__(self, upstream: Upstream, *, per_page: int, max_pages: int, future_tolerance: float):
        super().__init__(upstream, future_tolerance=future_tolerance)
        self.per_page = per_page
        self.max_pages = max_pages

    async def batches(self, checkpoints: Mapping[str, dict[str, Any]],
                      known: Mapping[str, datetime]) -> AsyncIterator[Batch]:
        # A run that died part-way left the next page to fetch; a finished one left page 1.
        page = int(checkpoints.get(STREAM, {}).get("next_page", 1))
        if not 1 <= page <= self.max_pages:
            page = 1
        while page <= self.max_pages:
            items, nbytes = await self.upstream.get_json("coins/markets", {
                "vs_currency": "usd", "order": "market_cap_desc", "per_page": self.per_page, "page": page,
                "price_change_percentage": _CHANGE_WINDOWS})
            last = isinstance(items, list) and (len(items) == 0 or page == self.max_pages)
            position = {"next_page": 1 if last else page + 1}
            yield items_batch(NAME, items, expectation=EXPECTED, normalize=normalize_market, known=known,
                              columns=API_QUOTE.columns, stream=STREAM, position=position, nbytes=nbytes,
                              what=f"coins (page {page})", future_tolerance=self.future_tolerance)
            if last:
                return
            page += 1


def key_header(base_url: str) -> str:
    """Pro keys go to the pro API's host under their own header; every other root takes a demo key."""
    pro = (urlsplit(base_url).hostname or "").lower() == PRO_HOST
    return "x-cg-pro-api-key" if pro else "x-cg-demo-api-key"


def upstream(settings, session) -> Upstream:
    headers = {}
    if settings.coingecko_api_key:
        headers[key_header(settings.coingecko_base_url)] = settings.coingecko_api_key
    rate = settings.coingecko_requests_per_minute / 60
    return Upstream(NAME, session, settings.coingecko_base_url, headers=headers,
                    bucket=TokenBucket(rate, capacity=max(1.0, min(5.0, rate * 10))),
                    max_retries=settings.http_max_retries, retry_after_cap=settings.http_retry_after_cap_seconds)


def build(settings, upstream: Upstream) -> CoinGeckoSource:
    return CoinGeckoSource(upstream, per_page=settings.coingecko_per_page, max_pages=settings.coingecko_max_pages,
                           future_tolerance=settings.future_tolerance_seconds)
