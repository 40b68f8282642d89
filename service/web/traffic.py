"""HTTP traffic metrics: `http_requests_total` by method, route and status, and the
`http_request_duration_seconds` histogram by method and route. Counted in plain Python on the request path and
rendered by prometheus_client as a custom collector when /metrics is scraped: its own Counter and Histogram take a
lock and walk the buckets on every observation, a cost every request paid for a reading taken every 15 s."""
from __future__ import annotations

import bisect

from prometheus_client.core import REGISTRY, CounterMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
# methods are the client's to choose: any other is counted as OTHER, so the series stay bounded
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"})
_LE = tuple(floatToGoString(bound) for bound in BUCKETS) + ("+Inf",)


class Traffic:
    def __init__(self) -> None:
        self._answers: dict[tuple[str, str, int], int] = {}
        # per (method, route): the count of each bucket (the last: above every bound), then the sum of seconds
        self._latency: dict[tuple[str, str], list] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        if method not in METHODS:
            method = "OTHER"
        key = (method, route, status)
        self._answers[key] = self._answers.get(key, 0) + 1
        series = self._latency.get((method, route))
        if series is None:
            series = self._latency[(method, route)] = [0] * (len(BUCKETS) + 1) + [0.0]
        series[bisect.bisect_left(BUCKETS, seconds)] += 1
        series[-1] += seconds

    def collect(self):
        answers = CounterMetricFamily("http_requests", "HTTP requests answered", labels=["method", "route", "status"])
        for (method, route, status), count in self._answers.items():
            answers.add_metric([method, route, str(status)], count)
        latency = HistogramMetricFamily("http_request_duration_seconds", "Time to answer an HTTP request",
                                        labels=["method", "route"])
        for (method, route), series in self._latency.items():
            cumulative, running = [], 0
            for le, count in zip(_LE, series):
                running += count
                cumulative.append((le, running))
            latency.add_metric([method, route], cumulative, series[-1])
        return [answers, latency]


TRAFFIC = Traffic()
REGISTRY.register(TRAFFIC)
