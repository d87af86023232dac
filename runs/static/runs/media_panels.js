/* Media panels of the workspace: window.SextantMedia.draw(panel, body, media, colourOf).
 *
 * media: [{run, items: [{step, kind, …}]}] from the workspace's media endpoint (the media index).
 * One step slider per panel walks the steps any run logged; each run shows its latest value at
 * or before that step:
 * - images: the logged files;
 * - histogram: the bins as bars (plotly, SVG), one colour per run;
 * - table: the wandb.Table's JSON (a run file) as a table; a header click sorts by that column;
 * - html: the logged page in a sandboxed iframe (srcdoc, no scripts, no same origin), so
 *   nothing it holds runs or reaches the console.
 * Texts are put in with textContent; nothing logged is parsed as the console's HTML.
 */
(function () {
  "use strict";
  const MAX_TABLE_ROWS = 500;
  const MAX_HTML_BYTES = 1024 * 1024;
  const fileCache = new Map();

  function el(tag, props = {}, ...children) {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children);
    return node;
  }

  function fetchFile(url, as) {
    const key = `${as}:${url}`;
    if (!fileCache.has(key)) {
      fileCache.set(key, fetch(url, { credentials: "same-origin" }).then((r) => {
        if (!r.ok) throw new Error(`file ${r.status}`);
        return as === "json" ? r.json() : r.text();
      }));
    }
    return fileCache.get(key);
  }

  function caption(run, colourOf, extra) {
    const sw = el("span", { className: "ws-swatch" });
    sw.style.background = colourOf(run) || "transparent";
    return el("figcaption", {}, sw, run + (extra ? ` · ${extra}` : ""));
  }

  function image(panel, m, item, colourOf) {
    const fig = el("figure");
    (item.urls || [item.url]).forEach((url) => {
      fig.append(el("img", { src: url, alt: `${panel.spec.key} of ${m.run} at step ${item.step}`, loading: "lazy" }));
    });
    fig.append(caption(m.run, colourOf, item.caption));
    return fig;
  }

  function histograms(panel, body, shown, colourOf) {
    const C = window.SextantCharts;
    const t = C.theme();
    const traces = shown.map(({ m, item }) => {
      const bins = item.bins || [];
      const n = item.values.length;
      const edges = bins.length === n + 1 ? bins : item.values.map((_, i) => i).concat([n]);
      return {
        type: "bar", name: m.run, x: item.values.map((_, i) => (edges[i] + edges[i + 1]) / 2),
        y: item.values, width: item.values.map((_, i) => edges[i + 1] - edges[i]),
        marker: { color: C.withAlpha(colourOf(m.run) || C.PALETTE[0], 0.6) }, meta: { run: m.run },
        hovertemplate: `${m.run}<br>%{x:.4g}: %{y}<extra></extra>`,
      };
    });
    const axis = { gridcolor: t.grid, zerolinecolor: t.grid, color: t.fg, automargin: true };
    let chart = body.querySelector(".chart");
    if (!chart) chart = body.insertBefore(el("div", { className: "chart" }), body.firstChild);
    C.whenPlotly(() => {
      Plotly.react(chart, traces, {
        paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: t.fg, size: 11 },
        margin: { l: 40, r: 10, t: 10, b: 30 }, height: 230, barmode: "overlay", bargap: 0, showlegend: false,
        xaxis: axis, yaxis: axis,
      }, { responsive: true, displaylogo: false });
      panel.el.dataset.bars = String(traces.reduce((n, tr) => n + tr.y.length, 0));
    });
  }

  function cellText(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "object") return value._type ? `[${value._type}]` : JSON.stringify(value);
    return String(value);
  }

  function compare(a, b) {
    const na = typeof a === "number", nb = typeof b === "number";
    if (na && nb) return a - b;
    if (na !== nb) return na ? -1 : 1; // numbers before text, as the runs table sorts
    return cellText(a).localeCompare(cellText(b));
  }

  function table(panel, m, item, colourOf) {
    const fig = el("figure", { className: "ws-table" });
    fig.append(caption(m.run, colourOf, `step ${item.step}`));
    const status = el("p", { className: "muted", textContent: "loading table…" });
    fig.append(status);
    fetchFile(item.url, "json").then((data) => {
      const columns = Array.isArray(data.columns) ? data.columns : [];
      const rows = Array.isArray(data.data) ? data.data : [];
      const state = { col: -1, dir: 1 };
      const tbl = el("table", { className: "data" });
      const head = el("tr");
      const tbody = el("tbody");
      const fill = () => {
        const sorted = rows.slice();
        if (state.col >= 0) sorted.sort((a, b) => state.dir * compare(a[state.col], b[state.col]));
        tbody.replaceChildren(...sorted.slice(0, MAX_TABLE_ROWS).map((r) => el("tr", {}, ...columns.map((_, i) => el("td", { textContent: cellText(r[i]) })))));
        [...head.children].forEach((th, i) => th.setAttribute("aria-sort", i === state.col ? (state.dir > 0 ? "ascending" : "descending") : "none"));
      };
      columns.forEach((name, i) => {
        const b = el("button", { type: "button", className: "link", textContent: String(name) });
        b.addEventListener("click", () => { state.dir = state.col === i ? -state.dir : 1; state.col = i; fill(); });
        head.append(el("th", { scope: "col" }, b));
      });
      tbl.append(el("thead", {}, head), tbody);
      fill();
      status.textContent = rows.length > MAX_TABLE_ROWS ? `first ${MAX_TABLE_ROWS} of ${rows.length} rows` : `${rows.length} rows`;
      fig.append(el("div", { className: "table-wrap" }, tbl));
    }).catch((err) => { status.textContent = `could not load the table: ${err.message}`; });
    return fig;
  }

  // The logged page without what could never load under the console's policy: scripts (the sandbox
  // refuses them anyway) and other origins' stylesheets (wandb.Html links app.wandb.ai's normalize.css).
  // DOMParser makes an inert document: nothing in it runs or loads.
  function inert(text) {
    const doc = new DOMParser().parseFromString(text, "text/html");
    doc.querySelectorAll("script, base, meta[http-equiv]").forEach((n) => n.remove());
    doc.querySelectorAll("link[href]").forEach((n) => {
      let url;
      try { url = new URL(n.getAttribute("href"), window.location.href); } catch (e) { n.remove(); return; }
      if (url.origin !== window.location.origin) n.remove();
    });
    return "<!doctype html>" + doc.documentElement.outerHTML;
  }

  function html(panel, m, item, colourOf) {
    const fig = el("figure", { className: "ws-html" });
    fig.append(caption(m.run, colourOf, `step ${item.step}`));
    const frame = el("iframe", { title: `${panel.spec.key} of ${m.run} at step ${item.step}`, loading: "lazy" });
    frame.setAttribute("sandbox", ""); // no scripts, no forms, an opaque origin
    fig.append(frame);
    fetchFile(item.url, "text").then((text) => {
      frame.srcdoc = inert(text.length > MAX_HTML_BYTES ? text.slice(0, MAX_HTML_BYTES) : text);
    }).catch((err) => fig.append(el("p", { className: "muted", textContent: `could not load: ${err.message}` })));
    return fig;
  }

  function draw(panel, body, media, colourOf) {
    const steps = [...new Set(media.flatMap((m) => m.items.map((i) => i.step)))].sort((a, b) => a - b);
    body.replaceChildren();
    if (!steps.length) return;
    const slider = el("input", { type: "range", min: 0, max: steps.length - 1, value: steps.length - 1 });
    slider.setAttribute("aria-label", `Step of ${panel.spec.key}`);
    const label = el("span", { className: "muted" });
    const row = el("div", { className: "media-row" });
    const show = () => {
      const step = steps[slider.value];
      label.textContent = `step ${step} (${Number(slider.value) + 1} of ${steps.length})`;
      const shown = media.map((m) => ({ m, item: [...m.items].reverse().find((i) => i.step <= step) })).filter((x) => x.item);
      row.replaceChildren();
      if (panel.spec.kind === "histogram") { histograms(panel, body, shown, colourOf); return; }
      shown.forEach(({ m, item }) => {
        const make = { table, html }[panel.spec.kind] || image;
        row.append(make(panel, m, item, colourOf));
      });
    };
    slider.addEventListener("input", show);
    body.append(row, slider, label);
    show();
  }

  window.SextantMedia = { draw };
})();
