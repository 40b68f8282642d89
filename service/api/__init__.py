"""The HTTP API: one module per resource."""
from __future__ import annotations

from service.api import admin, assets, candles, compare, dashboard, data, health, history, metrics, root, runs, stats

ROUTES = [root.routes, health.routes, data.routes, history.routes, assets.routes, stats.routes, runs.routes,
          compare.routes, admin.routes, metrics.routes, candles.routes, dashboard.routes]
