"""Fake CoinPaprika and CoinGecko servers that speak the real formats and inject faults.

Use them with pytest-aiohttp's ``aiohttp_server`` or, from a plain script, with ``start()``.
"""
import asyncio
import functools
import json
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, localcontext
from pathlib import Path

import orjson
from aiohttp import web
from multidict import CIMultiDict

from tests.fakes.history import Series, add_gecko_history, add_paprika_history

__all__ = [
    "BASE_PATH", "Fault", "FakeCoinPaprika", "FakeCoinGecko", "dumps", "start",
    "make_paprika_tickers", "make_gecko_coins", "load_gecko_fixture", "with_price_changes",
    "DATA_DIR", "SHARED_FIXTURES", "GECKO_FIXTURE",
]

BASE_PATH = web.AppKey("base_path", str)
DATA_DIR = Path(__file__).resolve().parent / "data"
# The repository is checked out next to a `shared/` folder, locally and in CI.
SHARED_FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
GECKO_FIXTURE = "coingecko_coins_markets_page1.json"
DEFAULT_WHEN = datetime(2026, 11, 25, 16, 0, tzinfo=timezone.utc)


@dataclass
class Fault:
    """What to do instead of (or before) the normal answer, for the next `times` requests."""

    status: int = 200
    body: bytes | None = None
    headers: dict = field(default_factory=dict)
    delay: float = 0
    reset: bool = False
    times: int = 1


def _decimal(obj):
    if isinstance(obj, Decimal):
        if not obj.is_finite():
            raise TypeError(f"JSON has no {obj}")
        # Lower-case exponent like the real APIs ("6.31917e-7"); digits are kept as given.
        return orjson.Fragment(str(obj).replace("E", "e"))
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def dumps(obj) -> bytes:
    """Compact JSON in which every Decimal is written with exactly its own digits."""
    return orjson.dumps(obj, default=_decimal)


class _FakeUpstream:
    """Request log, fault queue and app plumbing shared by both fakes."""

    base_path = ""

    def __init__(self, api_key: str | None = None):
        self.api_key = api_key
        self.faults: list[Fault] = []
        self.requests: list[tuple[float, str, dict, CIMultiDict]] = []

    def make_app(self) -> web.Application:
        app = web.Application()
        app[BASE_PATH] = self.base_path
        self._add_routes(app.router)
        return app

    def base_url(self, server) -> str:
        """Base URL of this fake once served by pytest-aiohttp's ``aiohttp_server``."""
        return str(server.make_url(self.base_path))

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        raise NotImplementedError

    def _error_body(self, status: int, message: str) -> bytes:
        raise NotImplementedError

    def _next_fault(self) -> Fault | None:
        if not self.faults:
            return None
        fault = self.faults[0]
        if fault.times > 0:
            fault.times -= 1
            if fault.times == 0:
                self.faults.pop(0)
        return fault

    async def _answer(self, request: web.Request, produce) -> web.StreamResponse:
        """Log the request, apply the next fault if any, else answer with ``produce(request)``.

        ``produce`` returns ``(status, body)``; it runs after the delay so a test can
        change the data while a request is in flight.
        """
        self.requests.append(
            (time.monotonic(), request.path, dict(request.query), CIMultiDict(request.headers))
        )
        fault = self._next_fault() or Fault()
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.body is not None:
            status, body = fault.status, fault.body
        elif fault.status != 200:
            status, body = fault.status, self._error_body(fault.status, _REASONS.get(fault.status, "error"))
        else:
            status, body = produce(request)
        headers = CIMultiDict({"Content-Type": "application/json; charset=utf-8"})
        headers.update(fault.headers)
        if fault.reset:
            return await _reset_halfway(request, status, headers, body)
        return web.Response(status=status, body=body, headers=headers)


async def _reset_halfway(request, status, headers, body) -> web.StreamResponse:
    resp = web.StreamResponse(status=status, headers=headers)
    resp.content_length = len(body)
    await resp.prepare(request)
    await resp.write(body[: max(1, len(body) // 2)])
    request.transport.abort()
    # Never finish the response: the client must see a truncated body.
    raise asyncio.CancelledError


_REASONS = {
    400: "bad request", 402: "upgrade your plan", 403: "invalid api key", 404: "not found",
    429: "you have reached maximum request limit", 500: "internal server error",
    502: "bad gateway", 503: "service unavailable",
}


class FakeCoinPaprika(_FakeUpstream):
    """``GET /v1/tickers``; the service's base URL is ``http://host:port/v1``."""

    base_path = "/v1"

    def __init__(self, tickers: list[dict] | None = None, api_key: str | None = None):
        super().__init__(api_key)
        self.tickers: list[dict] = make_paprika_tickers(50) if tickers is None else tickers
        self.series = Series({t["id"]: str(t["quotes"]["USD"]["price"]) for t in self.tickers
                              if isinstance(t.get("id"), str) and isinstance(t.get("quotes"), dict)})

    def _add_routes(self, router):
        router.add_get("/v1/tickers", self._tickers)
        add_paprika_history(self, router)

    def _error_body(self, status, message):
        return dumps({"error": message})

    async def _tickers(self, request):
        return await self._answer(request, self._produce)

    def _produce(self, request):
        if self.api_key is not None and request.headers.get("Authorization") != self.api_key:
            return 403, self._error_body(403, "invalid api key")
        quotes = request.query.get("quotes", "USD")
        if "USD" not in quotes.upper().split(","):
            return 400, self._error_body(400, "invalid quotes")
        return 200, dumps(self.tickers)


class FakeCoinGecko(_FakeUpstream):
    """``GET /api/v3/coins/markets``, paginated; base URL ``http://host:port/api/v3``."""

    base_path = "/api/v3"

    def __init__(self, coins: list[dict] | None = None, api_key: str | None = None):
        super().__init__(api_key)
        self.coins: list[dict] = load_gecko_fixture() if coins is None else coins
        self.series = Series({c["id"]: str(c["current_price"]) for c in self.coins
                              if isinstance(c.get("id"), str) and c.get("current_price")})

    def _add_routes(self, router):
        router.add_get("/api/v3/coins/markets", self._markets)
        add_gecko_history(self, router)

    def _error_body(self, status, message):
        if status == 429:
            message = ("You've exceeded the Rate Limit. Please visit https://www.coingecko.com/en/api/pricing"
                       " to subscribe to our API plans for higher rate limits.")
        return dumps({"status": {"error_code": status, "error_message": message}})

    async def _markets(self, request):
        return await self._answer(request, self._produce)

    def _produce(self, request):
        if self.api_key is not None and self.api_key not in (
            request.headers.get("x-cg-demo-api-key"), request.headers.get("x-cg-pro-api-key")
        ):
            return 401, self._error_body(401, "invalid api key")
        query = request.query
        if "vs_currency" not in query:
            return 400, dumps({"error": "Missing parameter vs_currency"})
        if query["vs_currency"].lower() != "usd":
            return 400, dumps({"error": "invalid vs_currency"})
        try:
            per_page = min(max(int(query.get("per_page", "100")), 1), 250)
            page = max(int(query.get("page", "1")), 1)
        except ValueError:
            return 400, dumps({"error": "invalid parameter"})
        start_at = (page - 1) * per_page
        coins = self.coins[start_at:start_at + per_page]
        windows = [w for w in query.get("price_change_percentage", "").split(",") if w]
        return 200, dumps(with_price_changes(coins, windows))


def with_price_changes(coins: list[dict], windows: list[str]) -> list[dict]:
    """The coins as CoinGecko sends them when asked `price_change_percentage=<windows>`: one more field per
    window, e.g. ``price_change_percentage_1h_in_currency``."""
    return [{**coin, **{f"price_change_percentage_{w}_in_currency": _window_change(coin, w) for w in windows}}
            for coin in coins]


def _window_change(coin: dict, window: str) -> Decimal | None:
    """A deterministic percent change of the coin over the window; null where CoinGecko has none (no id)."""
    if not isinstance(coin.get("id"), str):
        return None
    rng = random.Random(f"gecko-change:{coin['id']}:{window}")
    return Decimal(rng.randint(-2_000_000, 2_000_000)).scaleb(-5)


async def start(app: web.Application, host: str = "127.0.0.1", port: int = 0):
    """Serve ``app`` outside pytest; returns ``(runner, base_url)``. Call ``runner.cleanup()`` to stop."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    return runner, f"http://{bound_host}:{bound_port}{app[BASE_PATH]}"


def load_gecko_fixture() -> list[dict]:
    """The recorded CoinGecko ``/coins/markets`` page 1 (100 coins), numbers as Decimal/int."""
    path = DATA_DIR / GECKO_FIXTURE
    if not path.exists():
        path = SHARED_FIXTURES / GECKO_FIXTURE
    return json.loads(path.read_bytes(), parse_float=Decimal)


# (paprika id, gecko id, symbol, name, typical price) of the assets that lead the ranking.
_REAL = [
    ("btc-bitcoin", "bitcoin", "BTC", "Bitcoin", "91234.56"),
    ("eth-ethereum", "ethereum", "ETH", "Ethereum", "3012.87"),
    ("usdt-tether", "tether", "USDT", "Tether", "1.0002"),
    ("xrp-xrp", "ripple", "XRP", "XRP", "2.1843"),
    ("bnb-binance-coin", "binancecoin", "BNB", "BNB", "874.12"),
    ("sol-solana", "solana", "SOL", "Solana", "141.93"),
    ("usdc-usd-coin", "usd-coin", "USDC", "USDC", "0.99991"),
    ("doge-dogecoin", "dogecoin", "DOGE", "Dogecoin", "0.15123"),
    ("shib-shiba-inu", "shiba-inu", "SHIB", "Shiba Inu", "0.000008651"),
    ("pepe-pepe", "pepe", "PEPE", "Pepe", "0.0000043217"),
]
_SYLLABLES = ["ba", "ko", "ri", "ta", "ne", "lu", "vo", "xi", "ze", "mo", "qua", "dra", "fen", "sol", "gri"]


def _b26(i: int) -> str:
    out = ""
    while True:
        i, r = divmod(i, 26)
        out = chr(ord("a") + r) + out
        if i == 0:
            return out


def _identity(i: int, seed: int):
    """Same coin for the same (index, seed) in both generators, so sources can overlap."""
    if i < len(_REAL):
        return _REAL[i]
    rng = random.Random(f"identity:{seed}:{i}")
    word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
    symbol = word[:3] + _b26(i)
    return f"{symbol}-{word}", f"coin-{i}-{word}", symbol.upper(), word.capitalize(), None


def _price(rng: random.Random, i: int, typical: str | None) -> Decimal:
    """A price with up to 17 significant digits; every seventh synthetic coin is tiny (< 1e-6)."""
    digits = rng.randint(4, 17)
    if typical is not None:
        base = Decimal(typical) * Decimal(rng.randint(9950, 10050)) / 10000
        return _tidy(base.quantize(Decimal(1).scaleb(base.adjusted() - digits + 1)))
    exponent = rng.randint(-12, -7) if i % 7 == 0 else rng.randint(-6, 4)
    mantissa = rng.randrange(10 ** (digits - 1), 10 ** digits)
    return _tidy(Decimal(mantissa).scaleb(exponent - digits + 1))


def _tidy(d: Decimal) -> Decimal:
    """Drop trailing zeros without turning whole numbers into exponent form."""
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()


def _pct(rng: random.Random, spread: float, places: int = 2) -> Decimal:
    return Decimal(rng.randint(-int(spread * 10 ** places), int(spread * 10 ** places))).scaleb(-places)


def _market_cap(i: int, rng: random.Random) -> int:
    # Falls from ~1.8e12 at rank 1 towards ~1e5 at the tail, roughly like the real ranking.
    return 18 * 10 ** 11 * rng.randint(90, 100) // (100 * (1 + i) ** 2) + max(100_000 - i, 1_000)


def _supply(market_cap: int, price: Decimal) -> int:
    # Capped near SHIB's 589e12 so tiny-priced coins stay realistic and fit JSON's int64.
    return min(max(int(market_cap / price), 1), 10 ** 15)


def _ms(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def _ms_ago(when: datetime, rng: random.Random, min_days: int, max_days: int) -> str:
    return _ms(when - timedelta(days=rng.randint(min_days, max_days), milliseconds=rng.randint(0, 10 ** 7)))


def _seventeen_digits(fn):
    """Run a generator under a 17-digit context: derived numbers stay as long as real prices."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with localcontext() as ctx:
            ctx.prec = 17
            return fn(*args, **kwargs)
    return wrapper


@_seventeen_digits
def make_paprika_tickers(n: int, seed: int = 0, when: datetime = DEFAULT_WHEN) -> list[dict]:
    """``n`` deterministic CoinPaprika ``/v1/tickers`` items, ranked, all updated at ``when``."""
    rng = random.Random(f"paprika:{seed}")
    when_s = when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    items = []
    for i in range(n):
        pid, _, symbol, name, typical = _identity(i, seed)
        price = _price(rng, i, typical)
        market_cap = _market_cap(i, rng)
        supply = _supply(market_cap, price)
        capped = rng.random() < 0.6
        has_ath = rng.random() < 0.9
        ath_price = +(price * Decimal(rng.randint(101, 900)) / 100) if has_ath else None
        first = datetime(2013, 4, 28, tzinfo=timezone.utc) + timedelta(days=rng.randint(0, 4000))
        items.append({
            "id": pid, "name": name, "symbol": symbol, "rank": i + 1,
            "circulating_supply": supply,
            "total_supply": supply + rng.randint(0, supply),
            "max_supply": supply * 2 if capped else 0,
            "beta_value": Decimal(rng.randint(-500, 30000)).scaleb(-4),
            "first_data_at": first.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "last_updated": when_s,
            "quotes": {"USD": {
                "price": price,
                "volume_24h": Decimal(rng.randint(10 ** 9, 10 ** 15)).scaleb(-rng.randint(0, 6)),
                "volume_24h_change_24h": _pct(rng, 80),
                "market_cap": market_cap,
                "market_cap_change_24h": _pct(rng, 15),
                "percent_change_15m": _pct(rng, 1), "percent_change_30m": _pct(rng, 2),
                "percent_change_1h": _pct(rng, 3), "percent_change_6h": _pct(rng, 6),
                "percent_change_12h": _pct(rng, 9), "percent_change_24h": _pct(rng, 15),
                "percent_change_7d": _pct(rng, 40), "percent_change_30d": _pct(rng, 80),
                "percent_change_1y": _pct(rng, 500),
                "ath_price": ath_price,
                "ath_date": (when - timedelta(days=rng.randint(1, 1500))).strftime("%Y-%m-%dT%H:%M:%SZ")
                if has_ath else None,
                "percent_from_price_ath": ((price / ath_price - 1) * 100).quantize(Decimal("0.01"))
                if has_ath else None,
            }},
        })
    return items


@_seventeen_digits
def make_gecko_coins(n: int, seed: int = 0, when: datetime = DEFAULT_WHEN) -> list[dict]:
    """``n`` deterministic CoinGecko ``/coins/markets`` items shaped like the recorded fixture."""
    rng = random.Random(f"gecko:{seed}")
    when = when.astimezone(timezone.utc)
    items = []
    for i in range(n):
        _, gid, symbol, name, typical = _identity(i, seed)
        price = _price(rng, i, typical)
        market_cap = _market_cap(i, rng)
        supply = _supply(market_cap, price)
        max_supply = None if rng.random() < 0.4 else supply * 2
        change = _pct(rng, 12, 5)
        ath = +(price * Decimal(rng.randint(101, 900)) / 100)
        atl = +(price * Decimal(rng.randint(1, 99)) / 100)
        roi = None if rng.random() < 0.72 else {
            "times": Decimal(rng.randint(-99 * 10 ** 14, 10 ** 17)).scaleb(-16), "currency": "usd",
            "percentage": Decimal(rng.randint(-99 * 10 ** 14, 10 ** 17)).scaleb(-14),
        }
        items.append({
            "id": gid, "symbol": symbol.lower(), "name": name,
            "image": f"https://assets.coingecko.com/coins/images/{i + 1}/large/{gid}.png?{1547033579 + i}",
            "current_price": price,
            "market_cap": market_cap,
            "market_cap_rank": i + 1,
            "fully_diluted_valuation": None if rng.random() < 0.2 else market_cap * (2 if max_supply else 1),
            "total_volume": rng.randint(10 ** 4, max(market_cap // 10, 10 ** 5)),
            "high_24h": +(price * Decimal("1.02")), "low_24h": +(price * Decimal("0.97")),
            "price_change_24h": +(price * change / 100),
            "price_change_percentage_24h": change,
            "market_cap_change_24h": Decimal(market_cap) * change / 100,
            "market_cap_change_percentage_24h": _pct(rng, 12, 5),
            "circulating_supply": supply,
            "total_supply": supply + rng.randint(0, supply),
            "max_supply": max_supply,
            "ath": ath, "ath_change_percentage": ((price / ath - 1) * 100).quantize(Decimal("0.00001")),
            "ath_date": _ms_ago(when, rng, 1, 1500),
            "atl": atl, "atl_change_percentage": ((price / atl - 1) * 100).quantize(Decimal("0.00001")),
            "atl_date": _ms_ago(when, rng, 1500, 4000),
            "roi": roi,
            "last_updated": _ms(when - timedelta(milliseconds=rng.randint(0, 120_000))),
        })
    return items
