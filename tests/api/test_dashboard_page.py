"""GET /dashboard and its files: served by the service itself, nothing inline, nothing from another host."""
from __future__ import annotations

import hashlib
import re

from service.api.dashboard import DASHBOARD_DIR

VENDOR = DASHBOARD_DIR / "static" / "vendor" / "lightweight-charts"


async def test_the_page_and_every_file_it_loads_come_from_the_service(client):
    response = await client.get("/dashboard")
    assert response.status == 200 and response.content_type == "text/html"
    page = await response.text()
    loads = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', page)
    assert "/dashboard/static/dashboard.js" in loads and "/dashboard/static/dashboard.css" in loads
    assert any(url.endswith("lightweight-charts.standalone.production.js") for url in loads)
    for url in loads:
        assert url.startswith("/dashboard/static/"), url
        assert (await client.get(url)).status == 200, url
    # the page's CSP allows only its own origin: no inline script or style anywhere
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) and "<style" not in page and " style=" not in page
    assert "default-src 'self'" in page


async def test_the_page_code_names_no_other_host_and_the_chart_library_is_the_pinned_one(client):
    for name in ("dashboard.js", "dashboard.css"):
        text = (DASHBOARD_DIR / "static" / name).read_text()
        assert not re.search(r"https?://", text), name
        assert ".innerHTML" not in text  # text from the API is never parsed as HTML
    library = (VENDOR / "lightweight-charts.standalone.production.js").read_bytes()
    _, version, _, digest, _ = (VENDOR / "VERSION").read_text().split()
    assert hashlib.sha256(library).hexdigest() == digest
    assert f"Lightweight Charts™ v{version}".encode() in library
    for name, words in (("LICENSE", "Apache License"), ("NOTICE", "TradingView")):
        response = await client.get(f"/dashboard/static/vendor/lightweight-charts/{name}")
        assert response.status == 200 and words in await response.text(), name
    page = await (await client.get("/dashboard")).text()
    assert 'href="https://www.tradingview.com/"' in page  # the attribution the licence's NOTICE asks for
