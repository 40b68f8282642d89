// The dashboard: reads the service's own JSON routes, draws them, takes live prices from /stream (polling cheaply
// when the stream is not there) and degrades quietly where a route is missing.
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

  function span(s) {
    if (s < 90) return `${Math.round(s)} s`;
    if (s < 5400) return `${Math.round(s / 60)} min`;
    if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
    return `${(s / 86400).toFixed(1)} days`;
  }

  function ago(iso) {
    if (!iso) return "never";
    return `${span(Math.max(0, (Date.now() - Date.parse(iso)) / 1000))} ago`;
  }

  function until(iso) {
    const s = (Date.parse(iso) - Date.now()) / 1000;
    return s <= 1 ? "due now" : `in ${span(s)}`;
  }

  const clock = (iso) => `${iso.slice(0, 16).replace("T", " ")} UTC`;
  const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

  // Numbers for people: thousands separators; small prices keep their significant digits.
  const grouped = (digits) => new Intl.NumberFormat("en-US", { minimumFractionDigits: Math.min(2, digits),
                                                              maximumFractionDigits: digits });
  function price(value) {
    if (value === null || value === undefined) return "–";
    const v = Number(value);
    const a = Math.abs(v);
    if (a >= 1000) return grouped(2).format(v);
    if (a >= 1) return grouped(4).format(v);
    return new Intl.NumberFormat("en-US", { maximumSignificantDigits: 6 }).format(v);
  }
  const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 2 });
  const big = (value) => (value === null || value === undefined ? "–" : compact.format(Number(value)));
  const percent = (value) => (value === null || value === undefined ? "–"
    : `${Number(value) > 0 ? "+" : ""}${Number(value).toFixed(2)}`);

  // Routes that land separately (/stream, /gaps, /rejects, /assets): asked only when the OpenAPI document lists
  // them, so a service without one shows less instead of failing requests.
  let documented = null;
  const offers = (path) => documented === null || documented.has(path);

  async function learnRoutes() {
    try {
      const doc = await getJson("/api/docs/swagger.json");
      if (doc.status === 200 && doc.body?.paths) documented = new Set(Object.keys(doc.body.paths));
    } catch (error) {
      documented = null;  // unknown: try every route
    }
  }

  function newChart(container) {
    return LC.createChart(container, {
      autoSize: true,
      layout: { attributionLogo: false, textColor: css.getPropertyValue("--ink").trim(), fontSize: 11 },
      localization: { priceFormatter: (p) => grouped(2).format(p) },
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

  // ---- sources: last run, freshness of the data, next run, backfill, rows in the latest state ----

  function renderNextRun(health) {
    const next = health.next_run_at;
    $("next-run").textContent = next ? `next ETL run ${until(next)} (${clock(next)})` : "no scheduled runs here";
    $("next-run").dataset.nextRunAt = next || "";
  }

  // a backfill run's progress, however the route spells it: a fraction, a percentage or {done, total}
  function progressText(run) {
    const p = run.progress;
    if (p === null || p === undefined) return "";
    if (typeof p === "number") return ` ${Math.round(p <= 1 ? p * 100 : p)} %`;
    if (typeof p === "object") {
      if (typeof p.percent === "number") return ` ${Math.round(p.percent)} %`;
      const done = p.done ?? p.completed ?? p.ranges_done;
      const total = p.total ?? p.ranges_total;
      if (typeof done === "number" && typeof total === "number" && total > 0) {
        return ` ${done} of ${total} (${Math.round((100 * done) / total)} %)`;
      }
    }
    return "";
  }

  function backfillText(source, runs) {
    const run = runs.find((r) => r.source === source && r.trigger === "backfill");
    if (!run) return "none in the recent runs";
    const when = run.status === "running" ? `started ${ago(run.started_at)}` : `finished ${ago(run.finished_at)}`;
    return `${run.status}${progressText(run)}, ${when}`;
  }

  async function renderSources(health, runs) {
    $("health-status").textContent = health.status;
    $("health-status").className = `badge ${health.status}`;
    $("health-status").title = (health.problems || []).join("\n") || "no problems";
    renderNextRun(health);
    const limit = health.stale_after_seconds;
    const counts = await Promise.all(health.sources.map((s) =>
      getJson(`/data?source=${encodeURIComponent(s.source)}&page=1&limit=1`)
        .then((r) => (r.status === 200 ? r.body.total_records : null))));
    $("sources").replaceChildren(...health.sources.map((s, i) => {
      const run = s.last_run || {};
      const status = run.status || "no run yet";
      const lastRun = !run.id ? "none"
        : run.status === "failed"
          ? el("a", { href: `#run-${run.id}`, class: "error-text" }, `#${run.id} failed ${ago(run.started_at)}: see its error`)
          : `#${run.id}, started ${ago(run.started_at)}`;
      const newest = s.newest_observation_at;
      const freshness = s.stale
        ? el("span", { class: "badge stale" }, newest ? `stale (older than ${span(limit)})` : "no data")
        : el("span", { class: "badge success" }, `fresh (within ${span(limit)})`);
      return el("article", { class: `card source-${s.source}`, "data-source": s.source, "data-status": status },
        el("h3", {}, s.source, el("span", { class: `badge ${run.status || ""}`, title: "the source's newest run" }, status)),
        el("dl", {},
          el("dt", {}, "newest observation"), el("dd", { title: newest || "" }, newest ? `${ago(newest)} (${clock(newest)})` : "none stored"),
          el("dt", {}, "data freshness"), el("dd", {}, freshness),
          el("dt", {}, "last successful run"), el("dd", {}, s.last_success_at ? `finished ${ago(s.last_success_at)}` : "never"),
          el("dt", {}, "newest run"), el("dd", {}, lastRun),
          el("dt", {}, "next run"), el("dd", { class: "next-run" }, s.next_run_at ? `${until(s.next_run_at)}` : "not scheduled here"),
          el("dt", {}, "backfill"), el("dd", { class: "backfill" }, backfillText(s.source, runs)),
          el("dt", {}, "assets in latest state"), el("dd", {}, counts[i] ?? "?")));
    }));
  }

  // ---- runs over time: one line per source, failed runs marked ----

  const runsChart = { chart: null, series: [], runs: [] };

  function drawRuns() {
    if (!runsChart.chart) {
      runsChart.chart = newChart($("runs-chart"));
      // room above the highest point for a failed run's marker and its label
      runsChart.chart.applyOptions({ rightPriceScale: { scaleMargins: { top: 0.35, bottom: 0.05 } } });
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
      // runs are separate events: points, joined by a line only when there are several to compare
      const series = runsChart.chart.addSeries(LC.LineSeries, {
        color: colour(source), lineWidth: 2, pointMarkersVisible: true, pointMarkersRadius: 4, title: source,
        lineVisible: runs.length > 1, priceLineVisible: false,
        priceFormat: metric === "duration_seconds" ? { type: "price", precision: 2, minMove: 0.01 }
                                                    : { type: "volume" } });
      series.setData(runs.map(([time, run]) => ({ time, value: Number(run[metric] ?? 0) })));
      LC.createSeriesMarkers(series, runs.filter(([, run]) => run.status === "failed").map(([time, run]) => ({
        time, position: "aboveBar", shape: "arrowDown", color: colour("failed"), text: `#${run.id} failed` })));
      runsChart.series.push(series);
      const failed = runs.filter(([, run]) => run.status === "failed").length;
      legend.push([source, `${source}: ${plural(runs.length, "run")}, ${failed} failed`]);
    }
    fillLegend($("runs-legend"), legend);
    runsChart.chart.timeScale().fitContent();
    renderFailures(runsChart.runs);
  }

  // each failed run with its error, where a source card's "see its error" link lands
  function renderFailures(runs) {
    const failed = runs.filter((run) => run.status === "failed").slice(0, 20);
    $("failed-runs").replaceChildren(...(failed.length ? failed.map((run) => el("li", { id: `run-${run.id}`, class: `source-${run.source}` },
      el("a", { href: `/runs/${run.id}` }, `#${run.id}`), ` ${run.source}, ${run.trigger || "run"} started ${ago(run.started_at)}: `,
      el("span", { class: "error-text" }, run.error || "no error recorded")))
      : [el("li", { class: "hint" }, "No failed run among the recent ones.")]));
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
      ? `Rows refused by validation: the newest ${plural(runIds.length, "reject")} (runs #${Math.min(...runIds)} to #${Math.max(...runIds)}), grouped by reason.`
      : "No rejected rows.";
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

  // Gaps from /gaps: a pale bar over each missing bucket, on a scale of its own, so a hole in the history shows
  // as a shaded stretch instead of the line silently joining across it.
  async function fetchGaps(symbol, interval, from) {
    if (!offers("/gaps")) return [];
    const result = await getJson(`/gaps?symbol=${encodeURIComponent(symbol)}&interval=${interval}&from=${encodeURIComponent(from)}`);
    return result.status === 200 && Array.isArray(result.body?.data) ? result.body.data : [];
  }

  const STEP = { "5m": 300, "15m": 900, "1h": 3600, "4h": 14400, "1d": 86400 };
  const MAX_GAP_BARS = 5000;

  function drawGaps(gaps, interval) {
    const times = new Set();
    for (const gap of gaps) {
      for (let t = seconds(gap.start); t < seconds(gap.end) && times.size < MAX_GAP_BARS; t += STEP[interval]) times.add(t);
    }
    const chart = $("price-chart");
    chart.dataset.gaps = gaps.length;
    chart.dataset.gapBuckets = times.size;
    if (!times.size) return;
    const series = priceChart.chart.addSeries(LC.HistogramSeries, {
      color: css.getPropertyValue("--gap").trim() || "rgba(120, 130, 150, 0.18)", priceScaleId: "gaps",
      priceLineVisible: false, lastValueVisible: false, title: "" });
    series.priceScale().applyOptions({ scaleMargins: { top: 0, bottom: 0 }, visible: false });
    series.setData([...times].sort((a, b) => a - b).map((time) => ({ time, value: 1 })));
    priceChart.gaps = series;
  }

  function drawPrices(candles, mode, gaps = [], interval = "1h") {
    priceChart.chart ||= newChart($("price-chart"));
    clearSeries(priceChart.chart, priceChart.series);
    if (priceChart.gaps) {
      priceChart.chart.removeSeries(priceChart.gaps);
      priceChart.gaps = null;
    }
    const bySeries = new Map();
    for (const c of candles) {
      const key = `${c.source}\u0000${c.coin_id}`;
      if (!bySeries.has(key)) bySeries.set(key, []);
      bySeries.get(key).push(c);
    }
    const precision = precisionFor(candles);
    const priceFormat = { type: "custom", minMove: 10 ** -precision, formatter: (p) => grouped(precision).format(p) };
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
    drawGaps(gaps, interval);
    if (priceChart.gaps) {
      // a bucket one source missed may be filled by another: say whose history each shaded stretch is missing from
      const missing = new Map();
      for (const gap of gaps) missing.set(gap.source, (missing.get(gap.source) || 0) + Number(gap.missing || 0));
      const whose = [...missing].map(([source, count]) => `${source}: ${plural(count, "bucket")}`).join(", ");
      legend.push(["gap", `shaded: no observation (${whose})`]);
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
        el("strong", {}, asset.spread_pct === null || asset.spread_pct === undefined ? "n/a" : `${asset.spread_pct} %`),
        ` between ${price(asset.min_price_usd)} and ${price(asset.max_price_usd)} USD`),
      el("table", {},
        el("thead", {}, el("tr", {}, el("th", {}, "source"), el("th", { class: "coin" }, "coin"), el("th", { class: "num" }, "price (USD)"),
          el("th", {}, "observed"))),
        el("tbody", {}, ...asset.sources.map((q) => el("tr", {}, el("td", {}, q.source), el("td", { class: "coin" }, q.coin_id),
          el("td", { class: "num" }, price(q.price_usd)), el("td", {}, `${clock(q.observed_at)} (${ago(q.observed_at)})`))))))));
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
    const asset = offers("/assets/{symbol}") ? await getJson(`/assets/${encodeURIComponent(symbol)}`) : { status: 404 };
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
    let gaps;
    try {
      [candles, gaps] = await Promise.all([fetchCandles(symbol, interval, from), fetchGaps(symbol, interval, from)]);
    } catch (error) {
      $("price-note").textContent = `Candles of ${symbol} could not be read: ${error.message}`;
      $("price-chart").dataset.state = "error";
      return;
    }
    $("price-note").textContent = `${symbol}, ${interval} buckets since ${from.slice(0, 16).replace("T", " ")} UTC.`;
    drawPrices(candles, mode, gaps, interval);
    $("price-chart").dataset.state = "drawn";
  }

  // ---- the market: the latest record per asset and source, sortable, kept live by /stream ----

  const market = { rows: new Map(), key: "market_cap_usd", descending: true };
  const rowKey = (q) => `${q.source}/${q.coin_id}`;
  const TEXT_KEYS = new Set(["symbol", "name", "source", "observed_at"]);

  function sortedMarket() {
    const { key, descending } = market;
    const value = (q) => (TEXT_KEYS.has(key) ? String(q[key] ?? "") : q[key] === null || q[key] === undefined ? null : Number(q[key]));
    return [...market.rows.values()].sort((a, b) => {
      const x = value(a);
      const y = value(b);
      if (x === null || y === null) return (x === null) - (y === null);  // no value: last either way
      const order = TEXT_KEYS.has(key) ? x.localeCompare(y) : x - y;
      return descending ? -order : order;
    });
  }

  function renderMarket() {
    for (const th of $("market").tHead.rows[0].cells) {
      th.setAttribute("aria-sort", th.dataset.key === market.key ? (market.descending ? "descending" : "ascending") : "none");
    }
    const rows = sortedMarket();
    $("market").tBodies[0].replaceChildren(...rows.map((q) => {
      const change = q.percent_change_24h === null || q.percent_change_24h === undefined ? "" : Number(q.percent_change_24h) < 0 ? "down" : "up";
      return el("tr", { "data-key": rowKey(q), class: q.flash ? "flash" : "" },
        el("td", {}, el("a", { href: `?symbol=${encodeURIComponent(q.symbol)}#price-panel`, "data-symbol": q.symbol }, q.symbol)),
        el("td", { class: "wide" }, q.name), el("td", {}, q.source),
        el("td", { class: "num" }, price(q.price_usd)), el("td", { class: `num ${change}` }, percent(q.percent_change_24h)),
        el("td", { class: "num wide" }, big(q.market_cap_usd)), el("td", { class: "num wide" }, big(q.volume_24h_usd)),
        el("td", { class: "wide", title: q.observed_at }, ago(q.observed_at)));
    }));
    $("market").dataset.rows = rows.length;
    for (const q of rows) q.flash = false;  // a changed row flashes once, when it is drawn
  }

  function loadMarket(records, more) {
    market.rows = new Map(records.map((q) => [rowKey(q), q]));
    $("market-scope").textContent = `${plural(records.length, "record")}${more ? " (the first page of /data)" : ""}; `
      + "click a heading to sort, a symbol to chart it.";
    renderMarket();
  }

  function startMarket() {
    $("market").tHead.addEventListener("click", (event) => {
      const th = event.target.closest("th");
      if (!th) return;
      market.descending = market.key === th.dataset.key ? !market.descending : !TEXT_KEYS.has(th.dataset.key);
      market.key = th.dataset.key;
      renderMarket();
    });
    $("market").tBodies[0].addEventListener("click", (event) => {
      const link = event.target.closest("a[data-symbol]");
      if (!link) return;
      event.preventDefault();
      $("symbol").value = link.dataset.symbol;
      showAsset().catch((error) => { $("price-note").textContent = error.message; });
      $("price-panel").scrollIntoView();
    });
  }

  // /stream: each `quote` event is one /data record that changed; when the stream is missing or breaks for
  // good, the poll below keeps the page current.
  const live = { source: null, quotes: 0 };

  function setLive(state, text) {
    $("live").textContent = text;
    $("live").className = `badge ${state}`;
    $("live").dataset.state = state;
  }

  function startStream() {
    if (!window.EventSource || !offers("/stream")) {
      setLive("polling", `polling every ${POLL_MS / 1000} s`);
      return;
    }
    const source = new EventSource("/stream");
    live.source = source;
    source.addEventListener("open", () => setLive("live", "live prices"));
    source.addEventListener("quote", (event) => {
      let quote;
      try {
        quote = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      live.quotes += 1;
      $("live").dataset.quotes = live.quotes;
      const known = market.rows.get(rowKey(quote));
      if (known) known.flash = false;
      market.rows.set(rowKey(quote), { ...quote, flash: true });
      renderMarket();
    });
    source.addEventListener("reset", () => refreshAll().catch(() => {}));
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) {
        setLive("polling", `live prices unavailable; polling every ${POLL_MS / 1000} s`);
        live.source = null;
      } else {
        setLive("polling", "reconnecting to live prices…");
      }
    });
  }

  // ---- loading everything, and noticing when to load it again ----

  async function refreshAll() {
    const [health, runs, rejects, top] = await Promise.all([
      getJson("/health"), getJson(`/runs?limit=${RUNS_SHOWN}`),
      offers("/rejects") ? getJson(`/rejects?limit=${REJECTS_SCANNED}`) : Promise.resolve({ status: 404 }),
      getJson("/data?limit=500")]);
    const runList = runs.status === 200 ? runs.body.data : [];
    if (health.body?.sources) await renderSources(health.body, runList);
    if (runs.status === 200) {
      runsChart.runs = runList;
      drawRuns();
    }
    renderRejects(rejects);
    if (top.status === 200) {
      loadMarket(top.body.data, Boolean(top.body.next_cursor));
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
    startMarket();
    // the next run's countdown moves between polls
    setInterval(() => {
      const next = $("next-run").dataset.nextRunAt;
      if (next) $("next-run").textContent = `next ETL run ${until(next)} (${clock(next)})`;
    }, 15_000);
    learnRoutes().finally(() => {
      startStream();
      poll();  // the first check finds everything new and loads the page
    });
  }

  start();
})();
