"""The HTTP API: one module per resource."""
from __future__ import annotations

from service.api import admin, assets, compare, data, health, history, metrics, rejects, root, runs, stats

ROUTES = [root.routes, health.routes, data.routes, history.routes, assets.routes, stats.routes, runs.routes,
          compare.routes, rejects.routes, admin.routes, metrics.routes]
