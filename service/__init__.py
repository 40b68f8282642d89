"""Crypto market-data service: ingests CoinPaprika, CoinGecko and CSV quotes into PostgreSQL and serves them."""

__version__ = "0.1.0"
SERVICE_NAME = "crypto-market-data"
