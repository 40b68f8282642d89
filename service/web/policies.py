"""What a route says about itself, by decorators on its handler, gathered once from the router at assembly: the
answers the response cache keeps, the routes never rate-limited, the answers never stored, the HTML pages (and
everything under their paths) that get the page headers. No path is written twice."""
from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

_MARKS = ("cached", "unlimited", "no_store", "page")


def _mark(name: str):
    def decorate(handler):
        setattr(handler, f"web_{name}", True)
        return handler
    decorate.__name__ = name
    return decorate


# a GET whose 200s the response cache keeps (and answers 304 for) within a data generation
cached = _mark("cached")
# load balancers and Prometheus must always get through, whatever one address does
unlimited = _mark("unlimited")
# a token-bearing request's result: never kept by a client or proxy, never readable cross-origin
no_store = _mark("no_store")
# an HTML page served by the service itself: everything it loads comes from us, nothing may frame it
page = _mark("page")


def is_cached(handler) -> bool:
    return getattr(handler, "web_cached", False)


@dataclass(frozen=True)
class Policies:
    unlimited: frozenset[str] = frozenset()
    no_store: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()

    @classmethod
    def of(cls, router: web.UrlDispatcher) -> Policies:
        paths: dict[str, set[str]] = {name: set() for name in _MARKS}
        for route in router.routes():
            for name in _MARKS:
                if getattr(route.handler, f"web_{name}", False):
                    paths[name].add(route.resource.canonical)
        return cls(frozenset(paths["unlimited"]), tuple(sorted(paths["no_store"])), tuple(sorted(paths["page"])))

    def is_page(self, path: str) -> bool:
        return _under(path, self.pages)

    def is_no_store(self, path: str) -> bool:
        return _under(path, self.no_store)


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)
