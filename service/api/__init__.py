"""The HTTP API: one module per resource."""
from __future__ import annotations

from service.api import data, health, root

ROUTES = [root.routes, health.routes, data.routes]
