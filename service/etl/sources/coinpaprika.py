"""CoinPaprika: GET /tickers?quotes=USD, one array of every coin."""
from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

from service.etl import normalize as n
from service.etl.drift import Expectation
from service.etl.records import API_QUOTE, Batch
from service.etl.sources.api import ApiSource, items_batch
from service.etl.upstream import TokenBucket, Upstream

NAME = "coinpaprika"
_USD_FIELDS = (
    "price", "volume_24h", "volume_24h_change_24h", "market_cap", "market_cap_change_24h",
    "percent_change_15m", "percent_change_30m", "percent_change_1h", "percent_change_6h",
    "percent_change_12h", "percent_change_24h", "percent_change_7d", "percent_change_30d",
    "percent_change_1y", "ath_price", "ath_date", "percent_from_price_ath",
)
EXPECTED = Expectation(
    required=frozenset({"id", "symbol", "name", "last_updated", "quotes", "quotes.USD", "quotes.USD.price"}),
    known=frozenset({
        "id", "name", "symbol", "rank", "circulating_supply", "total_supply", "max_supply", "beta_value",
        "first_data_at", "last_updated", "quotes", "quotes.USD", *(f"quotes.USD.{f}" for f in _USD_FIELDS),
    }),
)


def normalize_ticker(item: Mapping) -> tuple:
    coin = n.coin_id(item.get("id"))
    symbol = n.symbol(item.get("symbol"))
    name = n.name(item.get("name"), symbol)
    quotes = item.get("quotes")
    usd = quotes.get("USD") if isinstance(quotes, Mapping) else None
    if not isinstance(usd, Mapping):
        raise n.Invalid("quotes.USD is missing")
    return API_QUOTE.row(
        source=NAME, coin_id=coin, observed_at=n.timestamp(item.get("last_updated")),
        match_key=n.match_key(symbol, name), symbol=symbol, name=name, rank=n.rank(item.get("rank")),
        price_usd=n.positive_price(usd.get("price"), "quotes.USD.price"),
        market_cap_usd=n.decimal(usd.get("market_cap"), "quotes.USD.market_cap"),
        volume_24h_usd=n.decimal(usd.get("volume_24h"), "quotes.USD.volume_24h"),
        percent_change_24h=n.decimal(usd.get("percent_change_24h"), "quotes.USD.percent_change_24h", signed=True),
        circulating_supply=n.decimal(item.get("circulating_supply"), "circulating_supply"),
        total_supply=n.decimal(item.get("total_supply"), "total_supply"),
        max_supply=n.decimal(item.get("max_supply"), "max_supply") or None,  # CoinPaprika sends 0 for "no cap"
        percent_change_1h=n.decimal(usd.get("percent_change_1h"), "quotes.USD.percent_change_1h", signed=True),
        percent_change_7d=n.decimal(usd.get("percent_change_7d"), "quotes.USD.percent_change_7d", signed=True),
        ath_price_usd=n.decimal(usd.get("ath_price"), "quotes.USD.ath_price"),
        ath_at=n.optional_timestamp(usd.get("ath_date"), "quotes.USD.ath_date"),
        # CoinPaprika has no fully diluted valuation nor 24 h high and low
    )


class CoinPaprikaSource(ApiSource):
    name = NAME

    async def batches(self, checkpoints: Mapping[str, dict[str, Any]],
                      known: Mapping[str, datetime]) -> AsyncIterator[Batch]:
        items, nbytes = await self.upstream.get_json("tickers", {"quotes": "USD"})
        yield items_batch(NAME, items, expectation=EXPECTED, normalize=normalize_ticker, known=known,
                          columns=API_QUOTE.columns, stream="tickers", position={"fetched": True}, nbytes=nbytes,
                          what="tickers", future_tolerance=self.future_tolerance)


def upstream(settings, session) -> Upstream:
    headers = {"Authorization": settings.coinpaprika_api_key} if settings.coinpaprika_api_key else {}
    rate = settings.coinpaprika_requests_per_second
    return Upstream(NAME, session, settings.coinpaprika_base_url, headers=headers,
                    bucket=TokenBucket(rate, capacity=max(1.0, rate)), max_retries=settings.http_max_retries,
                    retry_after_cap=settings.http_retry_after_cap_seconds)


def build(settings, upstream: Upstream) -> CoinPaprikaSource:
    return CoinPaprikaSource(upstream, future_tolerance=settings.future_tolerance_seconds)
