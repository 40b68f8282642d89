"""Small coins for rule tests: figures as a payload carries them, observed at one moment unless told."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from service.etl.identity.figures import Figures
from service.etl.identity.rule import Coin

NOW = datetime(2026, 11, 25, 16, 0, tzinfo=timezone.utc)


def coin(source: str, coin_id: str, symbol: str, name: str, price=None, *, when: datetime = NOW,
         market_cap=None, circulating=None, total=None, max_supply=None, ath=None, ath_at=None,
         rank=None) -> Coin:
    def d(value):
        return None if value is None else float(Decimal(str(value)))
    return Coin(source, coin_id, symbol, name, Figures(
        observed_at=when.timestamp(), rank=rank, price=d(price), market_cap=d(market_cap),
        circulating_supply=d(circulating),
        total_supply=d(total), max_supply=d(max_supply), ath_price=d(ath), ath_at=ath_at and ath_at.timestamp()))
