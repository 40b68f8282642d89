"""Local fake upstream APIs (CoinPaprika, CoinGecko) for tests and scripts."""
