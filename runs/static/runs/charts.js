/* Shared line charts of the console (workspace, run page): window.SextantCharts.
 *
 * - colours(runIds): one colour per run, the same in every chart of a view and distinct
 *   within it (a stable hash picks the palette slot; a taken slot moves to the next free one).
 * - fetchSeries(url, query) / fetchSeriesAnswer(url, query): the one place that speaks the
 *   series API (docs/series-api.md); a rename of a parameter or field is a change here only.
 *   query: {runs, keys, x, xMin, xMax, buckets, stream, smoothing: {kind, param}, groupBy}.
 * - smooth(xs, ys, kind, param): the five smoothers reports offer, for answers without "smoothed".
 * - new LinePanel(el, options).draw(series, view): one panel with plotly.js (SVG traces only:
 *   no WebGL, so nothing needs eval under the CSP). Per bucket the min–max band and the
 *   last value; a zoom asks options.onZoom(xMin, xMax) for finer buckets.
 * Night mode: panels re-theme when <html data-theme> changes.
 */
(function () {
  "use strict";

  // Twenty hues that stay apart on white and on the night background.
  const PALETTE = [
    "#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#ff9da7",
    "#9c755f", "#3b8bd9", "#d4a017", "#8cd17d", "#c05fd2", "#e6794b", "#17a2b8", "#a0cbe8",
    "#d37295", "#86bcb6", "#b6992d", "#79706e",
  ];

  function hash(text) {
    // FNV-1a, 32 bits: cheap, and the same run id always lands on the same slot.
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h;
  }

  function shade(hex, amount) {
    const n = parseInt(hex.slice(1), 16);
    const mix = (c) => Math.round(amount >= 0 ? c + (255 - c) * amount : c * (1 + amount));
    return `rgb(${mix((n >> 16) & 255)},${mix((n >> 8) & 255)},${mix(n & 255)})`;
  }

  /** Map run id -> colour. Runs are placed in id order so the answer does not depend on list order. */
  function colours(runIds) {
    const out = new Map();
    const taken = new Set();
    const ids = [...new Set(runIds)].sort();
    ids.forEach((id) => {
      const h = hash(id);
      let slot = h % PALETTE.length;
      let round = Math.floor(taken.size / PALETTE.length);
      for (let tries = 0; taken.has(`${round}:${slot}`); tries++) {
        slot = (slot + 1) % PALETTE.length;
        if (tries >= PALETTE.length) { round += 1; tries = 0; }
      }
      taken.add(`${round}:${slot}`);
      const base = PALETTE[slot];
      out.set(id, round === 0 ? base : shade(base, round % 2 ? 0.4 : -0.35));
    });
    return out;
  }

  function colourOf(runId) { return PALETTE[hash(runId) % PALETTE.length]; }

  function withAlpha(colour, alpha) {
    if (colour.startsWith("rgb(")) return colour.replace("rgb(", "rgba(").replace(")", `,${alpha})`);
    const n = parseInt(colour.slice(1), 16);
    return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
  }

  // --- the series API ----------------------------------------------------------------------
  function seriesParams(query) {
    const p = new URLSearchParams();
    (query.runs || []).forEach((r) => p.append("runs", r));
    (query.keys || []).forEach((k) => p.append("keys", k));
    p.set("x", query.x || "_step");
    if (query.xMin != null) p.set("x_min", String(query.xMin));
    if (query.xMax != null) p.set("x_max", String(query.xMax));
    p.set("buckets", String(query.buckets || 1500));
    if (query.stream) p.set("stream", query.stream);
    if (query.smoothing && query.smoothing.kind && query.smoothing.kind !== "none") {
      p.set("smoothing", query.smoothing.kind);
      if (query.smoothing.param != null && !Number.isNaN(query.smoothing.param)) p.set("smoothing_param", String(query.smoothing.param));
    }
    if (query.groupBy) p.set("group_by", query.groupBy);
    return p;
  }

  function line(s) {
    // Raw answers carry null min/max/count: the points are their own band.
    return {
      run: s.run, key: s.key, mode: s.mode || "raw", x: s.x || [], y: s.y || [],
      min: s.min || s.y || [], max: s.max || s.y || [], count: s.count || (s.y || []).map(() => 1),
      smoothed: s.smoothed || null, extent: s.extent || null, nonfinite: s.nonfinite || null,
    };
  }

  /** The whole answer: {series: [line], groups: [{group, key, runs, x, mean, min, max}]}. */
  async function fetchSeriesAnswer(url, query) {
    const response = await fetch(`${url}?${seriesParams(query)}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.detail || `HTTP ${response.status}`);
    return {
      series: (body.series || []).map(line),
      groups: (body.groups || []).map((g) => ({ group: g.value === null || g.value === undefined ? "(not set)" : String(g.value),
                                              key: g.key, runs: g.runs || [], x: g.x || [], mean: g.mean || [], min: g.min || [], max: g.max || [] })),
    };
  }

  /** Just the lines (runs × keys). */
  async function fetchSeries(url, query) { return (await fetchSeriesAnswer(url, query)).series; }

  // --- smoothing (client side, over what was fetched) ----------------------------------------
  const SMOOTHINGS = {
    none: { label: "None" },
    ema: { label: "Exponential moving average", param: 0.6, min: 0, max: 0.999, step: 0.05 },
    twema: { label: "Time-weighted EMA", param: 0.6, min: 0, max: 0.999, step: 0.05 },
    gaussian: { label: "Gaussian", param: 2, min: 0.5, max: 50, step: 0.5 },
    average: { label: "Running average", param: 10, min: 1, max: 500, step: 1 },
  };

  function smooth(xs, ys, kind, param) {
    const n = ys.length;
    if (!n || kind === "none" || !SMOOTHINGS[kind]) return ys;
    const w = param == null ? SMOOTHINGS[kind].param : param;
    const out = new Array(n);
    if (kind === "ema") {
      let last = 0, seen = 0;
      for (let i = 0; i < n; i++) {
        last = last * w + (1 - w) * ys[i];
        seen += 1;
        out[i] = last / (w === 1 ? 1 : 1 - Math.pow(w, seen));
      }
    } else if (kind === "twema") {
      // Distances measured in 1/1000 of the x span: the weight means the same at any zoom.
      const span = (xs[n - 1] - xs[0]) || 1;
      let last = ys[0], prev = xs[0];
      for (let i = 0; i < n; i++) {
        const decay = Math.pow(w, ((xs[i] - prev) / span) * 1000);
        last = decay * last + (1 - decay) * ys[i];
        prev = xs[i];
        out[i] = last;
      }
    } else if (kind === "average") {
      const window = Math.max(1, Math.round(w));
      let sum = 0;
      for (let i = 0; i < n; i++) {
        sum += ys[i];
        if (i >= window) sum -= ys[i - window];
        out[i] = sum / Math.min(i + 1, window);
      }
    } else if (kind === "gaussian") {
      const radius = Math.ceil(3 * w);
      const kernel = [];
      for (let k = -radius; k <= radius; k++) kernel.push(Math.exp(-(k * k) / (2 * w * w)));
      for (let i = 0; i < n; i++) {
        let sum = 0, weight = 0;
        for (let k = -radius; k <= radius; k++) {
          const j = i + k;
          if (j < 0 || j >= n) continue;
          sum += ys[j] * kernel[k + radius];
          weight += kernel[k + radius];
        }
        out[i] = sum / weight;
      }
    }
    return out;
  }

  // --- y range that ignores outliers ----------------------------------------------------------
  function robustRange(values, logY) {
    const v = values.filter((y) => Number.isFinite(y) && (!logY || y > 0)).sort((a, b) => a - b);
    if (v.length < 4) return null;
    const at = (q) => v[Math.min(v.length - 1, Math.max(0, Math.round(q * (v.length - 1))))];
    let lo = at(0.02), hi = at(0.98);
    if (logY) { lo = Math.log10(lo); hi = Math.log10(hi); }
    const pad = (hi - lo) * 0.1 || Math.abs(hi) * 0.1 || 1;
    return [lo - pad, hi + pad];
  }

  // --- groups: mean and min–max band over the runs of each group ---------------------------
  function groupBands(lines, groupOf, points = 400) {
    const groups = new Map();
    for (const s of lines) {
      const g = groupOf(s.run);
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g).push(s);
    }
    const out = [];
    for (const [group, members] of groups) {
      const withData = members.filter((s) => s.x.length);
      if (!withData.length) continue;
      const lo = Math.min(...withData.map((s) => s.x[0])), hi = Math.max(...withData.map((s) => s.x[s.x.length - 1]));
      const xs = [], mean = [], min = [], max = [];
      for (let i = 0; i < points; i++) {
        const x = hi === lo ? lo : lo + ((hi - lo) * i) / (points - 1);
        const at = withData.map((s) => interpolate(s.x, s.y, x)).filter((y) => y !== null);
        if (!at.length) continue;
        xs.push(x);
        mean.push(at.reduce((a, b) => a + b, 0) / at.length);
        min.push(Math.min(...at));
        max.push(Math.max(...at));
      }
      out.push({ group, runs: members.map((s) => s.run), x: xs, mean, min, max });
    }
    return out;
  }

  function interpolate(xs, ys, x) {
    if (!xs.length || x < xs[0] || x > xs[xs.length - 1]) return null;
    let lo = 0, hi = xs.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (xs[mid] <= x) lo = mid; else hi = mid;
    }
    if (xs[hi] === xs[lo]) return ys[lo];
    return ys[lo] + ((ys[hi] - ys[lo]) * (x - xs[lo])) / (xs[hi] - xs[lo]);
  }

  // --- theme ---------------------------------------------------------------------------------
  function theme() {
    const dark = document.documentElement.dataset.theme === "dark";
    return { dark, fg: dark ? "#e6e9ef" : "#1d2330", grid: dark ? "#2c3340" : "#e3e6ec", muted: dark ? "#9aa3b2" : "#6b7280" };
  }

  const X_TITLES = { _step: "Step", _runtime: "Relative time (s)", _timestamp: "Wall time" };

  // The workspace loads plotly.js async: parsing it takes most of a second here, which the
  // page's data requests now overlap. A draw before it is ready waits for it.
  const plotlyReady = new Promise((resolve) => {
    const tag = document.getElementById("plotly-js");
    if (window.Plotly || !tag) resolve();
    else tag.addEventListener("load", () => resolve());
  });
  function whenPlotly(fn) { return window.Plotly ? Promise.resolve(fn()) : plotlyReady.then(fn); }

  // --- one line panel ------------------------------------------------------------------------
  class LinePanel {
    /** options: {title, onZoom(xMin|null, xMax|null)}; el gets a .chart child. */
    constructor(el, options = {}) {
      this.el = el;
      this.options = options;
      this.chart = el.querySelector(".chart") || el.appendChild(Object.assign(document.createElement("div"), { className: "chart" }));
      this.zoom = null;
      this.last = null;
    }

    /** series: fetchSeries answers; view: {runs: [{id, name, colour, hidden}], xKey, smoothing, logY, robust, groups}. */
    draw(series, view) {
      this.last = [series, view];
      if (!window.Plotly) {
        // drawn once plotly.js is ready, with the latest arguments (this.last)
        if (!this.waiting) whenPlotly(() => { this.waiting = false; this.redraw(); });
        this.waiting = true;
        return;
      }
      const traces = [];
      const byId = new Map(view.runs.map((r) => [r.id, r]));
      const shown = series.filter((s) => byId.has(s.run) && !byId.get(s.run).hidden);
      const xOf = view.xKey === "_timestamp" ? (xs) => xs.map((t) => new Date(t * 1000)) : (xs) => xs;
      const smoothing = view.smoothing || { kind: "none" };
      const allY = [];
      if (view.groups) {
        // Bands from the server (view.groups.bands, already smoothed) or made here from the lines.
        const bands = view.groups.bands || groupBands(shown, view.groups.of);
        bands.forEach((b) => {
          const colour = view.groups.colours.get(b.group) || PALETTE[0];
          const x = xOf(b.x);
          const y = view.groups.bands ? b.mean : smooth(b.x, b.mean, smoothing.kind, smoothing.param);
          traces.push({ type: "scatter", mode: "lines", x, y: b.min, line: { width: 0 }, hoverinfo: "skip", showlegend: false });
          traces.push({ type: "scatter", mode: "lines", x, y: b.max, line: { width: 0 }, fill: "tonexty",
                        fillcolor: withAlpha(colour, 0.2), hoverinfo: "skip", showlegend: false });
          traces.push({ type: "scatter", mode: "lines", x, y, name: `${b.group} (${b.runs.length} runs)`,
                        line: { color: colour, width: 2 }, meta: { group: b.group } });
          allY.push(...b.min, ...b.max);
        });
      } else {
        shown.forEach((s) => {
          const run = byId.get(s.run);
          const x = xOf(s.x);
          const banded = s.mode === "buckets" && s.min.some((v, i) => v !== s.max[i]);
          if (banded) {
            // The min-max band as one closed polygon (max forwards, min backwards): one trace
            // instead of two, which is what plotly's cost grows with when fifty runs share a panel.
            traces.push({ type: "scatter", mode: "lines", x: x.concat(x.slice().reverse()), y: s.max.concat(s.min.slice().reverse()),
                          line: { width: 0 }, fill: "toself", fillcolor: withAlpha(run.colour, 0.18), hoverinfo: "skip",
                          showlegend: false, meta: { run: s.run, band: true } });
          }
          const smoothed = smoothing.kind === "none" ? null : s.smoothed || smooth(s.x, s.y, smoothing.kind, smoothing.param);
          if (smoothed) {
            traces.push({ type: "scatter", mode: "lines", x, y: s.y, line: { color: withAlpha(run.colour, 0.3), width: 1 },
                          hoverinfo: "skip", showlegend: false, meta: { run: s.run, raw: true } });
          }
          traces.push({
            // A line of a few points (a short run's system metrics) shows its points too.
            type: "scatter", mode: s.x.length <= 30 ? "lines+markers" : "lines", x, y: smoothed || s.y, name: run.name,
            line: { color: run.colour, width: 1.6 }, marker: { color: run.colour, size: 5 }, meta: { run: s.run },
            hovertemplate: `${run.name}<br>%{y:.4g}<br>%{x}<extra></extra>`,
          });
          allY.push(...(banded ? s.min.concat(s.max) : s.y));
        });
      }
      const t = theme();
      const axis = { gridcolor: t.grid, zerolinecolor: t.grid, linecolor: t.grid, color: t.fg, automargin: true };
      const yaxis = { ...axis, type: view.logY ? "log" : "linear" };
      if (view.robust) {
        const range = robustRange(allY, view.logY);
        if (range) { yaxis.range = range; yaxis.autorange = false; }
      }
      const xaxis = { ...axis, title: { text: X_TITLES[view.xKey] || view.xKey, font: { size: 11 } },
                      type: view.xKey === "_timestamp" ? "date" : "linear" };
      if (this.zoom) {
        xaxis.range = view.xKey === "_timestamp" ? this.zoom.map((v) => new Date(v * 1000)) : this.zoom.slice();
        xaxis.autorange = false;
      }
      const layout = {
        title: { text: this.options.title || "", font: { size: 13 }, x: 0.02, xanchor: "left" },
        paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: t.fg, size: 11 },
        margin: { l: 48, r: 12, t: 30, b: 36 }, height: this.el.classList.contains("tall") ? 540 : 260, showlegend: false, hovermode: "closest",
        xaxis, yaxis, uirevision: this.options.title || "panel",
      };
      if (!traces.length) {
        layout.annotations = [{ text: shown.length || !series.length ? "No data for the runs shown" : "Every run here is hidden",
                                showarrow: false, font: { color: t.muted } }];
      }
      Plotly.react(this.chart, traces, layout, { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"] });
      this.el.dataset.drawn = "true";
      this.el.dataset.lines = String(traces.filter((tr) => tr.meta && tr.meta.run && !tr.meta.band && !tr.meta.raw).length);
      this.el.dataset.groups = String(traces.filter((tr) => tr.meta && tr.meta.group !== undefined).length);
      this.el.dataset.buckets = String(Math.max(0, ...shown.map((s) => s.x.length)));
      this.el.dataset.mode = shown.some((s) => s.mode === "buckets") ? "buckets" : "raw";
      // The most points one bucket stands for: it falls as a zoom re-buckets finer.
      this.el.dataset.pointsPerBucket = String(Math.max(0, ...shown.map((s) => (s.count.length ? Math.max(...s.count) : 0))));
      this.el.dataset.x = view.xKey;
      if (!this.listening) {
        this.listening = true;
        this.chart.on("plotly_relayout", (e) => this.relayout(e, view));
      }
    }

    relayout(event, view) {
      const key = this.last ? this.last[1].xKey : view.xKey;
      const toX = (v) => (key === "_timestamp" ? new Date(v).getTime() / 1000 : Number(v));
      let next;
      if (event["xaxis.autorange"]) next = null;
      else if (event["xaxis.range[0]"] !== undefined) next = [toX(event["xaxis.range[0]"]), toX(event["xaxis.range[1]"])];
      else if (Array.isArray(event["xaxis.range"])) next = event["xaxis.range"].map(toX);
      else return;
      this.zoom = next;
      if (this.options.onZoom) this.options.onZoom(next ? next[0] : null, next ? next[1] : null);
    }

    redraw() { if (this.last) this.draw(...this.last); }
  }

  // Night mode switched: re-theme every panel in place.
  const panels = new Set();
  new MutationObserver(() => panels.forEach((p) => p.redraw()))
    .observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });

  window.SextantCharts = {
    PALETTE, SMOOTHINGS, X_TITLES, whenPlotly, colours, colourOf, withAlpha, fetchSeries, fetchSeriesAnswer, smooth, robustRange, groupBands, theme,
    LinePanel: class extends LinePanel {
      constructor(el, options) { super(el, options); panels.add(this); }
    },
  };
})();
