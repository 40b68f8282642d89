"""What a route says about itself, by decorators on its handler, gathered once from the router at assembly into one
Policy per route: whether the response cache keeps its answers, whether it is never rate-limited, whether its
answers are never stored, whether it is an HTML page (everything under a page's path gets the page headers too),
and the name metrics give it. No path is written twice, and a request finds its route's policy by one lookup."""
from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

_MARKS = ("cached", "unlimited", "no_store", "page")
UNMATCHED = "unmatched"


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


@dataclass(frozen=True, slots=True)
class Policy:
    cached: bool = False
    unlimited: bool = False
    no_store: bool = False
    page: bool = False
    label: str = UNMATCHED  # the route as metrics and logs name it: its canonical path


class Policies:
    def __init__(self, by_route: dict[web.AbstractRoute, Policy], no_store: tuple[str, ...], pages: tuple[str, ...]):
        self._by_route = by_route
        self._no_store = no_store
        self._pages = pages

    @classmethod
    def of(cls, router: web.UrlDispatcher) -> Policies:
        marked: dict[str, set[str]] = {name: set() for name in _MARKS}
        for route in router.routes():
            for name in _MARKS:
                if getattr(route.handler, f"web_{name}", False):
                    marked[name].add(route.resource.canonical)
        no_store, pages = tuple(sorted(marked["no_store"])), tuple(sorted(marked["page"]))
        by_route = {}
        for route in router.routes():
            path = route.resource.canonical
            by_route[route] = Policy(cached=getattr(route.handler, "web_cached", False),
                                     unlimited=path in marked["unlimited"], no_store=_under(path, no_store),
                                     page=_under(path, pages), label=path)
        return cls(by_route, no_store, pages)

    def of_request(self, request: web.Request) -> Policy:
        """The matched route's policy; a request no route matched (404, 405) is judged by its path."""
        policy = self._by_route.get(request.match_info.route)
        if policy is None:
            path = request.path
            policy = Policy(no_store=_under(path, self._no_store), page=_under(path, self._pages))
        return policy


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)
