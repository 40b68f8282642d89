"""The HTTP API: one module per resource (schemas and paging helpers beside them); ROUTES is where every route
table is registered. Each route declares its policies on its handler (service.web.policies)."""
from __future__ import annotations

from service.api import (
    admin, assets, candles, compare, dashboard, data, export, gaps, health, history, identity, metrics, rejects,
    root, runs, stats, stream, swagger_ui)

ROUTES = [root.routes, health.routes, data.routes, history.routes, candles.routes, gaps.routes, assets.routes,
          identity.routes, stats.routes, runs.routes, compare.routes, rejects.routes, admin.routes, metrics.routes,
          dashboard.routes, swagger_ui.routes, stream.routes, export.routes]
