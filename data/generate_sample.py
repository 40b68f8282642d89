"""Generates the sample crypto-quotes CSV (data/sample_quotes.csv) and bigger files for benchmarks.

Stdlib only and deterministic: the same arguments always give the same bytes. Rows are streamed,
so a million-row file needs no more memory than a small one.

The sample holds 3000 valid rows and 5 DELIBERATELY INVALID ones (their `name` column starts with
"deliberately invalid:" and says what is wrong), so /rejects and the dashboard's reject panel have
something to show on a fresh install.

    python data/generate_sample.py                        # rewrites data/sample_quotes.csv
    python data/generate_sample.py -o /tmp/big.csv --rows 1000000 --symbols 200 --bad-rows 50
"""
import argparse
import csv
import random
from collections import deque
from datetime import datetime, timedelta, timezone
from pathlib import Path

HEADER = ["symbol", "name", "price_usd", "market_cap_usd", "volume_24h_usd", "percent_change_24h",
          "rank", "last_updated"]
END = datetime(2026, 11, 25, tzinfo=timezone.utc)
SAMPLE = Path(__file__).resolve().parent / "sample_quotes.csv"

# symbol, name, starting price, circulating supply, decimal places of the price.
COINS = [
    ("BTC", "Bitcoin", 91250.0, 19_950_000, 2),
    ("ETH", "Ethereum", 3012.5, 120_700_000, 2),
    ("USDT", "Tether", 1.0002, 184_000_000_000, 4),
    ("XRP", "XRP", 2.1843, 60_300_000_000, 4),
    ("BNB", "BNB", 874.1, 137_700_000, 2),
    ("SOL", "Solana", 141.93, 558_000_000, 2),
    ("USDC", "USDC", 0.99991, 75_600_000_000, 5),
    ("TRX", "TRON", 0.2841, 94_700_000_000, 5),
    ("DOGE", "Dogecoin", 0.15123, 151_500_000_000, 5),
    ("ADA", "Cardano", 0.4217, 36_400_000_000, 4),
    ("LINK", "Chainlink", 13.482, 696_800_000, 3),
    ("BCH", "Bitcoin Cash", 541.3, 19_960_000, 2),
    ("XLM", "Stellar", 0.2461873105, 32_200_000_000, 10),
    ("HBAR", "Hedera", 0.143987654321, 42_400_000_000, 12),
    ("SUI", "Sui", 1.6712, 3_680_000_000, 4),
    ("AVAX", "Avalanche", 14.37, 427_000_000, 2),
    ("LTC", "Litecoin", 84.61, 76_500_000, 2),
    ("SHIB", "Shiba Inu", 0.00001234, 589_250_000_000_000, 8),
    ("TON", "Toncoin", 1.582, 2_510_000_000, 3),
    ("DOT", "Polkadot", 2.617, 1_630_000_000, 3),
    ("UNI", "Uniswap", 6.214, 630_000_000, 3),
    ("XMR", "Monero", 392.7, 18_450_000, 2),
    ("DAI", "Dai", 0.99987, 5_360_000_000, 5),
    ("PEPE", "Pepe", 0.00000452318764, 420_690_000_000_000, 14),
    ("NEAR", "NEAR Protocol", 1.984, 1_290_000_000, 3),
    ("APT", "Aptos", 2.214, 740_000_000, 3),
    ("ICP", "Internet Computer", 4.112, 540_000_000, 3),
    ("ETC", "Ethereum Classic", 13.27, 154_000_000, 2),
    ("BONK", "Bonk", 0.000009871, 81_000_000_000_000, 9),
    ("RENDER", "Render", 1.8723, 518_000_000, 4),
]
STABLE = {"USDT", "USDC", "DAI"}
SAMPLE_BAD_ROWS = 5  # one of each kind _bad makes
HOUR = timedelta(hours=1)


def _coins(symbols):
    """The coin table for ``symbols``: None = all, an int = that many (made-up coins past the table)."""
    if symbols is None:
        return list(COINS)
    if isinstance(symbols, int):
        # Prices from 1e-5 to 1e3 with supplies that keep market caps between ~1e5 and ~1e9.
        extra = [(f"SYN{i:04d}", f"Synthetic {i}", 10.0 ** (i % 9 - 5) * 1.2345, 10 ** (14 - i % 9 - i % 5),
                  max(2, 9 - i % 9) + i % 6) for i in range(len(COINS), symbols)]
        return (COINS + extra)[:symbols]
    table = {c[0]: c for c in COINS}
    return [table[s.upper()] for s in symbols]


class _Walk:
    """One coin's hourly price path; remembers a day of prices for the 24 h change."""

    def __init__(self, coin, rng):
        self.symbol, self.name, self.anchor, self.supply, self.places = coin
        self.price = self.anchor
        self.rng = rng
        self.day = deque(maxlen=25)
        self.volume_ratio = rng.uniform(0.01, 0.2)
        for _ in range(24):
            self.step()

    def step(self):
        # Plain arithmetic only, so the float path is identical on every platform.
        stable = self.symbol in STABLE
        self.price *= 1 + self.rng.uniform(-1, 1) * (0.0004 if stable else 0.012)
        # A pull back towards the anchor keeps a million-row walk from drifting to zero.
        self.price += (self.anchor - self.price) * (0.5 if stable else 0.002)
        self.day.append(self.price)

    def row(self, ts):
        cap = self.price * self.supply
        volume = cap * self.volume_ratio * self.rng.uniform(0.7, 1.3)
        change = (self.price / self.day[0] - 1) * 100
        return [self.symbol, self.name, f"{self.price:.{self.places}f}", f"{cap:.0f}", f"{volume:.2f}",
                f"{change:.4f}", "", ts]


def _hourly(rows, coins, rng, start):
    """Exactly ``rows`` valid rows, one per coin per hour, ranked by market cap within the hour."""
    walks = [_Walk(coin, random.Random(rng.getrandbits(64))) for coin in coins]
    ts = start
    while rows > 0:
        stamp = ts.strftime("%Y-%m-%dT%H:%M:%SZ")
        hour = []
        for walk in walks:
            walk.step()
            hour.append(walk.row(stamp))
        for rank, r in enumerate(sorted(hour, key=lambda r: -float(r[3])), 1):
            r[6] = str(rank)
        yield from hour[:rows]
        rows -= len(hour)
        ts += HOUR


def _some_late(rows, rng, lag):
    """Holds about 1 row in 100 back by ``lag`` rows, so the file is only mostly in time order."""
    held = deque()
    for i, r in enumerate(rows):
        if rng.random() < 0.01:
            held.append((i + lag, r))
        else:
            yield r
        while held and held[0][0] <= i:
            yield held.popleft()[1]
    for _, r in held:
        yield r


def _windowed_shuffle(rows, rng, window=10_000):
    """Shuffles through a bounded buffer: far from sorted, yet streaming."""
    buf = []
    for r in rows:
        buf.append(r)
        if len(buf) >= window:
            i = rng.randrange(len(buf))
            buf[i], buf[-1] = buf[-1], buf[i]
            yield buf.pop()
    rng.shuffle(buf)
    yield from buf


def _bad(kind, good):
    """A broken copy of ``good``; its name says it is broken on purpose and how, for whoever reads /rejects."""
    symbol, _, price, cap, volume, change, rank, ts = good
    kinds = [
        ("missing price", lambda n: [symbol, n, "", cap, volume, change, rank, ts]),
        ("negative price", lambda n: [symbol, n, "-" + price, cap, volume, change, rank, ts]),
        ("unreadable time", lambda n: [symbol, n, price, cap, volume, change, rank, "25/11/2026 noon"]),
        ("empty symbol", lambda n: ["", n, price, cap, volume, change, rank, ts]),
        ("short row", lambda n: [symbol, n, price]),
    ]
    what, make = kinds[kind % len(kinds)]
    return make(f"deliberately invalid: {what}")


def _with_bad_rows(rows, total, bad_rows):
    """Adds ``bad_rows`` invalid rows, spread evenly, each a broken copy of the row before it."""
    every = max(total // (bad_rows + 1), 1) if bad_rows else 0
    made, r = 0, ["BTC", "Bitcoin", "1", "", "", "", "", END.strftime("%Y-%m-%dT%H:%M:%SZ")]
    for n, r in enumerate(rows, 1):
        yield r
        if made < bad_rows and n % every == 0:
            yield _bad(made, r)
            made += 1
    while made < bad_rows:
        yield _bad(made, r)
        made += 1


def write_csv(path=SAMPLE, rows=3000, symbols=None, seed=0, start=None, shuffle=False, bad_rows=0):
    """Writes ``rows`` valid quotes (plus ``bad_rows`` invalid ones) to ``path``; returns the data line count.

    ``symbols``: None for the 30 real coins, a list of their tickers, or an int (more than 30 adds
    made-up coins). Timestamps are hourly from ``start``; by default they end at 2026-11-25T00:00:00Z.
    """
    rng = random.Random(seed)
    coins = _coins(symbols)
    if start is None:
        hours = -(-rows // len(coins))
        start = END - (hours - 1) * HOUR
    data = _some_late(_hourly(rows, coins, rng, start.astimezone(timezone.utc)), rng, len(coins))
    if shuffle:
        data = _windowed_shuffle(data, rng)
    data = _with_bad_rows(data, rows, bad_rows)
    written = 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADER)
        for written, r in enumerate(data, 1):
            writer.writerow(r)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=SAMPLE)
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--symbols", type=int, help="number of coins (default: the 30 real ones)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shuffle", action="store_true")
    parser.add_argument("--bad-rows", type=int,
                        help=f"invalid rows to add (default: {SAMPLE_BAD_ROWS} for the sample, else 0)")
    args = parser.parse_args(argv)
    bad_rows = args.bad_rows
    if bad_rows is None:
        bad_rows = SAMPLE_BAD_ROWS if args.output.resolve() == SAMPLE else 0
    n = write_csv(args.output, args.rows, args.symbols, args.seed, shuffle=args.shuffle, bad_rows=bad_rows)
    print(f"wrote {n} rows to {args.output}")


if __name__ == "__main__":
    main()
