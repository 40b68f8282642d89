"""Every application-level object, by its typed key."""
from __future__ import annotations

import asyncpg
from aiohttp import web

from service.change_feed import ChangeFeed
from service.etl.scheduler import Scheduler
from service.replicas import ReadRouter
from service.settings import Settings
from service.web.cache import ResponseCache
from service.web.cooldown import TriggerCooldown
from service.web.export_slots import ExportSlots
from service.web.policies import Policies
from service.web.ratelimit import ClientRateLimiter
from service.web.shared import Shared
from service.web.snapshots import Snapshots

SETTINGS = web.AppKey("settings", Settings)
POOL = web.AppKey("pool", asyncpg.Pool)
# the API's quote reads: a standby that has the data, else the primary (POOL)
READER = web.AppKey("reader", ReadRouter)
SCHEDULER = web.AppKey("scheduler", Scheduler)
SNAPSHOTS = web.AppKey("snapshots", Snapshots)
RATE_LIMITER = web.AppKey("rate_limiter", ClientRateLimiter)
RESPONSE_CACHE = web.AppKey("response_cache", ResponseCache)
ADMIN_COOLDOWN = web.AppKey("admin_cooldown", TriggerCooldown)
DSN = web.AppKey("dsn", str)
# GET /stream's source of changes, and the places GET /export/history's bulk reads may take
CHANGE_FEED = web.AppKey("change_feed", ChangeFeed)
EXPORT_SLOTS = web.AppKey("export_slots", ExportSlots)
# the running /health check, shared by the requests that arrive while it runs
HEALTH_CHECK = web.AppKey("health_check", Shared)
# what validation accepted, per request: the query's values and the path's (service.web.validation)
QUERY = web.RequestKey("querystring", dict)
PATH = web.RequestKey("match_info", dict)
# the routes' declared policies (service.web.policies), gathered from the router once
POLICIES = web.AppKey("policies", Policies)
