// The dashboard: reads the service's own JSON routes, draws them, and polls cheaply for new data.
"use strict";

(() => {
  const LC = window.LightweightCharts;
  const params = new URLSearchParams(location.search);
  // one cheap conditional request pair per half minute; `?poll=N` (seconds, at least 2) for demos and tests
  const POLL_MS = Math.max(2, Number(params.get("poll")) || 30) * 1000;
  const MAX_BACKOFF_MS = 5 * 60_000;  // after errors, wait longer each time, up to five minutes
  const RUNS_SHOWN = 200;
  const REJECTS_SCANNED = 500;
  const CANDLE_PAGES = 10;
  // how far back the price chart looks, per interval (from the asset's newest observation)
  const SPAN_SECONDS = { "5m": 2 * 86400, "15m": 7 * 86400, "1h": 30 * 86400, "4h": 120 * 86400, "1d": 730 * 86400 };

  const $ = (id) => document.getElementById(id);
  const css = getComputedStyle(document.documentElement);
  const colour = (source) => css.getPropertyValue(`--${source}`).trim() || css.getPropertyValue("--muted").trim();

  // Builds elements with text only: nothing the API returns is ever parsed as HTML.
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value !== undefined && value !== null) node.setAttribute(name, value);
    }
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  async function getJson(path, etag) {
    const headers = etag ? { "If-None-Match": etag } : {};
    const response = await fetch(path, { headers, cache: "no-store", credentials: "omit" });
    if (response.status === 304) return { status: 304, etag };
    const body = response.headers.get("Content-Type")?.includes("json") ? await response.json() : null;
    return { status: response.status, etag: response.headers.get("ETag"), body };
  }

  const seconds = (iso) => Math.floor(Date.parse(iso) / 1000);

  function ago(iso) {
    if (!iso) return "never";
    const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (s < 90) return `${Math.round(s)} s ago`;
    if (s < 5400) return `${Math.round(s / 60)} min ago`;
    if (s < 172800) return `${(s / 3600).toFixed(1)} h ago`;
    return `${(s / 86400).toFixed(1)} days ago`;
  }

  function newChart(container) {
    return LC.createChart(container, {
      autoSize: true,
      layout: { attributionLogo: false, textColor: css.getPropertyValue("--ink").trim(), fontSize: 11 },
      grid: { vertLines: { color: "#eef0f4" }, horzLines: { color: "#eef0f4" } },
      timeScale: { timeVisible: true, secondsVisible: false },
      rightPriceScale: { borderVisible: false },
    });
  }

  function clearSeries(chart, list) {
    for (const series of list.splice(0)) chart.removeSeries(series);
  }

  function fillLegend(list, entries) {
    list.replaceChildren(...entries.map(([source, label]) => el("li", { class: `source-${source}` }, label)));
  }

  // ---- sources: status, freshness, rows in the latest state, last error ----

  async function renderSources(health) {
    $("health-status").textContent = health.status;
    $("health-status").className = `badge ${health.status}`;
    const counts = await Promise.all(health.sources.map((s) =>
      getJson(`/data?source=${encodeURIComponent(s.source)}&page=1&limit=1`)
        .then((r) => (r.status === 200 ? r.body.total_records : null))));
    $("sources").replaceChildren(...health.sources.map((s, i) => {
      const run = s.last_run || {};
      const status = run.status || "no run yet";
      return el("article", { class: `card source-${s.source}`, "data-source": s.source, "data-status": status },
        el("h3", {}, s.source, el("span", { class: `badge ${run.status || ""}` }, status)),
        el("dl", {},
          el("dt", {}, "last success"), el("dd", {}, ago(s.last_success_at)),
          el("dt", {}, "newest data"), el("dd", {}, s.newest_observation ? ago(s.newest_observation) : "none"),
          el("dt", {}, "freshness"),
          el("dd", {}, s.stale ? el("span", { class: "badge stale" }, "stale") : el("span", { class: "badge success" }, "fresh")),
          el("dt", {}, "latest rows"), el("dd", {}, counts[i] ?? "?"),
          el("dt", {}, "last run"), el("dd", {}, run.id ? `#${run.id}, ${ago(run.started_at)}` : "none"),
          el("dt", {}, "last error"), el("dd", { class: run.error ? "error-text" : "" }, run.error || "none")));
    }));
  }

  // ---- runs over time: one line per source, failed runs marked ----

  const runsChart = { chart: null, series: [], runs: [] };

  function drawRuns() {
    if (!runsChart.chart) {
      runsChart.chart = newChart($("runs-chart"));
      // room above the highest point for a failed run's marker and its label
      runsChart.chart.applyOptions({ rightPriceScale: { scaleMargins: { top: 0.25, bottom: 0.05 } } });
    }
    clearSeries(runsChart.chart, runsChart.series);
    const metric = $("run-metric").value;
    const bySource = new Map();
    for (const run of [...runsChart.runs].reverse()) {  // oldest first; one point per second per source
      const points = bySource.get(run.source) || new Map();
      points.set(seconds(run.started_at), run);
      bySource.set(run.source, points);
    }
    const legend = [];
    for (const [source, points] of bySource) {
      const runs = [...points.entries()].sort((a, b) => a[0] - b[0]);
      const series = runsChart.chart.addSeries(LC.LineSeries, {
        color: colour(source), lineWidth: 2, pointMarkersVisible: true, title: source,
        priceFormat: metric === "duration_seconds" ? { type: "price", precision: 2, minMove: 0.01 }
                                                    : { type: "volume" } });
      series.setData(runs.map(([time, run]) => ({ time, value: Number(run[metric] ?? 0) })));
      LC.createSeriesMarkers(series, runs.filter(([, run]) => run.status === "failed").map(([time, run]) => ({
        time, position: "aboveBar", shape: "arrowDown", color: colour("failed"), text: `#${run.id} failed` })));
      runsChart.series.push(series);
      const failed = runs.filter(([, run]) => run.status === "failed").length;
      legend.push([source, `${source}: ${runs.length} runs, ${failed} failed`]);
    }
    fillLegend($("runs-legend"), legend);
    runsChart.chart.timeScale().fitContent();
  }

  // ---- reject reasons of recent runs, counted ----

  // "price_usd is not a number: 'abc'" and "…: 'xyz'" are one reason: quoted values and a trailing value go
  const reasonKind = (reason) => reason.replace(/'[^']*'|"[^"]*"/g, "…").replace(/: [^:]*$/, ": …");

  function renderRejects(result) {
    const body = $("rejects").tBodies[0];
    if (result.status !== 200) {
      $("rejects-scope").textContent = "Rejects are not available from this service.";
      body.replaceChildren();
      return;
    }
    const groups = new Map();
    for (const reject of result.body.data) {
      const key = `${reject.source}\u0000${reasonKind(reject.reason)}`;
      const group = groups.get(key) || { source: reject.source, reason: reasonKind(reject.reason), count: 0, runs: new Set() };
      group.count += 1;
      group.runs.add(reject.run_id);
      groups.set(key, group);
    }
    const runIds = result.body.data.map((r) => r.run_id);
    $("rejects-scope").textContent = runIds.length
      ? `The newest ${runIds.length} rejects (runs #${Math.min(...runIds)} to #${Math.max(...runIds)}).`
      : "No rejects.";
    body.replaceChildren(...[...groups.values()].sort((a, b) => b.count - a.count).map((g) => {
      const newestRun = Math.max(...g.runs);
      const href = `/rejects?source=${encodeURIComponent(g.source)}&run_id=${newestRun}`;
      return el("tr", {}, el("td", {}, g.source), el("td", {}, g.reason), el("td", { class: "num" }, g.count),
        el("td", {}, el("a", { href }, `run #${newestRun}`)));
    }));
  }

  // ---- price chart of one symbol: a series per source, line or candles; the spread across sources ----

  const priceChart = { chart: null, series: [] };

  function precisionFor(candles) {
    const smallest = Math.min(...candles.map((c) => Math.abs(Number(c.low))).filter((v) => v > 0));
    const digits = Number.isFinite(smallest) ? Math.ceil(-Math.log10(smallest)) + 3 : 2;
    return Math.min(12, Math.max(2, digits));
  }

  async function fetchCandles(symbol, interval, from) {
    let url = `/candles?symbol=${encodeURIComponent(symbol)}&interval=${interval}&limit=1000`
      + (from ? `&from=${encodeURIComponent(from)}` : "");
    $("price-chart").dataset.candlesUrl = url;
    const candles = [];
    for (let page = 0; url && page < CANDLE_PAGES; page += 1) {
      const result = await getJson(url);
      if (result.status !== 200) throw new Error(result.body?.error?.message || `HTTP ${result.status}`);
      candles.push(...result.body.data);
      url = result.body.next_cursor ? `/candles?cursor=${result.body.next_cursor}&limit=1000` : null;
    }
    return candles;
  }

  function drawPrices(candles, mode) {
    priceChart.chart ||= newChart($("price-chart"));
    clearSeries(priceChart.chart, priceChart.series);
    const bySeries = new Map();
    for (const c of candles) {
      const key = `${c.source}\u0000${c.coin_id}`;
      if (!bySeries.has(key)) bySeries.set(key, []);
      bySeries.get(key).push(c);
    }
    const precision = precisionFor(candles);
    const priceFormat = { type: "price", precision, minMove: 10 ** -precision };
    const legend = [];
    for (const list of bySeries.values()) {
      const { source, coin_id: coinId } = list[0];
      const tint = colour(source);
      const series = mode === "candles"
        ? priceChart.chart.addSeries(LC.CandlestickSeries, {
          upColor: tint, borderUpColor: tint, wickUpColor: tint, downColor: "#ffffff", borderDownColor: tint,
          wickDownColor: tint, priceFormat, title: source })
        : priceChart.chart.addSeries(LC.LineSeries, { color: tint, lineWidth: 2, priceFormat, title: source });
      series.setData(list.map((c) => (mode === "candles"
        ? { time: seconds(c.bucket_start), open: +c.open, high: +c.high, low: +c.low, close: +c.close }
        : { time: seconds(c.bucket_start), value: +c.close })));
      priceChart.series.push(series);
      legend.push([source, `${source} (${coinId}): ${list.length} ${mode === "candles" ? "candles" : "points"}`]);
    }
    fillLegend($("price-legend"), legend);
    priceChart.chart.timeScale().fitContent();
    // what the chart really holds, read back from the chart library (the browser test compares it with the API)
    const chart = $("price-chart");
    chart.dataset.points = priceChart.series.reduce((sum, s) => sum + s.data().length, 0);
    chart.dataset.series = priceChart.series.length;
    chart.dataset.mode = mode;
  }

  function renderSpread(assets) {
    $("spread").replaceChildren(...assets.map((asset) => el("div", {},
      el("p", {}, `${asset.name} (${asset.symbol}): spread `,
        el("strong", {}, asset.spread_pct === null ? "n/a" : `${asset.spread_pct} %`),
        ` between ${asset.min_price_usd} and ${asset.max_price_usd} USD`),
      el("table", {},
        el("thead", {}, el("tr", {}, el("th", {}, "source"), el("th", { class: "coin" }, "coin"), el("th", { class: "num" }, "price (USD)"),
          el("th", {}, "observed"))),
        el("tbody", {}, ...asset.sources.map((q) => el("tr", {}, el("td", {}, q.source), el("td", { class: "coin" }, q.coin_id),
          el("td", { class: "num" }, q.price_usd), el("td", {}, `${q.observed_at} (${ago(q.observed_at)})`))))))));
  }

  function chosen() {
    return {
      symbol: $("symbol").value.trim().toUpperCase(),
      interval: $("interval").value,
      mode: document.querySelector("input[name=mode]:checked").value,
    };
  }

  async function showAsset() {
    const { symbol, interval, mode } = chosen();
    if (!symbol) return;
    history.replaceState(null, "", `?${new URLSearchParams({ symbol, interval, mode })}`);
    $("price-chart").dataset.state = "loading";
    const asset = await getJson(`/assets/${encodeURIComponent(symbol)}`);
    if (asset.status !== 200) {
      $("price-note").textContent = `No asset with symbol ${symbol}.`;
      $("spread").replaceChildren();
      drawPrices([], mode);
      $("price-chart").dataset.state = "empty";
      return;
    }
    renderSpread(asset.body.assets);
    const newest = Math.max(...asset.body.assets.flatMap((a) => a.sources.map((q) => Date.parse(q.observed_at))));
    const from = new Date(newest - SPAN_SECONDS[interval] * 1000).toISOString();
    let candles;
    try {
      candles = await fetchCandles(symbol, interval, from);
    } catch (error) {
      $("price-note").textContent = `Candles of ${symbol} could not be read: ${error.message}`;
      $("price-chart").dataset.state = "error";
      return;
    }
    $("price-note").textContent = `${symbol}, ${interval} buckets since ${from.slice(0, 16).replace("T", " ")} UTC.`;
    drawPrices(candles, mode);
    $("price-chart").dataset.state = "drawn";
  }

  // ---- loading everything, and noticing when to load it again ----

  async function refreshAll() {
    const [health, runs, rejects, top] = await Promise.all([
      getJson("/health"), getJson(`/runs?limit=${RUNS_SHOWN}`), getJson(`/rejects?limit=${REJECTS_SCANNED}`),
      getJson("/data?limit=500")]);
    if (health.body?.sources) await renderSources(health.body);
    if (runs.status === 200) {
      runsChart.runs = runs.body.data;
      drawRuns();
    }
    renderRejects(rejects);
    if (top.status === 200) {
      const symbols = [...new Set(top.body.data.map((q) => q.symbol))];
      $("symbols").replaceChildren(...symbols.map((s) => el("option", { value: s })));
      if (!$("symbol").value && symbols.length) $("symbol").value = symbols[0];
    }
    await showAsset();
    $("refreshed").textContent = `updated ${new Date().toISOString().slice(11, 19)} UTC; checks every ${POLL_MS / 1000} s`;
    document.body.dataset.loaded = "true";
  }

  // What changes when new data lands: /data's ETag (a new data generation) and the newest run's state.
  const seen = { dataEtag: null, newestRun: null };

  async function changed() {
    const [data, runs] = await Promise.all([getJson("/data?limit=1", seen.dataEtag), getJson("/runs?limit=1")]);
    if (data.status >= 400 || runs.status >= 400) throw new Error("poll failed");
    const newest = runs.body.data[0];
    const runState = newest ? `${newest.id}:${newest.status}` : "";
    const moved = data.status === 200 && data.etag !== seen.dataEtag || runState !== seen.newestRun;
    seen.dataEtag = data.etag;
    seen.newestRun = runState;
    return moved;
  }

  let delay = POLL_MS;
  let timer = null;

  async function poll() {
    timer = null;
    if (document.hidden) return;  // resumed by visibilitychange
    try {
      if (await changed()) await refreshAll();
      delay = POLL_MS;
    } catch (error) {
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
      $("refreshed").textContent = `cannot reach the service; next try in ${Math.round(delay / 1000)} s`;
    }
    timer = setTimeout(poll, delay);
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && timer === null) poll();
  });

  function start() {
    if (params.get("symbol")) $("symbol").value = params.get("symbol");
    if (SPAN_SECONDS[params.get("interval")]) $("interval").value = params.get("interval");
    if (params.get("mode") === "candles") document.querySelector("input[name=mode][value=candles]").checked = true;
    const reshow = () => showAsset().catch((error) => { $("price-note").textContent = error.message; });
    $("asset-form").addEventListener("submit", (event) => { event.preventDefault(); reshow(); });
    $("interval").addEventListener("change", reshow);
    for (const radio of document.querySelectorAll("input[name=mode]")) radio.addEventListener("change", reshow);
    $("run-metric").addEventListener("change", drawRuns);
    poll();  // the first check finds everything new and loads the page
  }

  start();
})();
