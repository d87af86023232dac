/* Draws report panels with plotly.js (served from the installed `plotly` package).
 * Each .panel asks its data URL; the answer is the last computed data at once
 * ({status: fresh|stale|pending, data}); while it is not fresh we poll, and the
 * chart is redrawn in place when fresh data lands, never blanked. In an exported
 * file the data is inline and nothing is fetched. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("report-config").textContent);
  const POLL_PENDING_MS = 1500;
  const POLL_FRESH_MS = 30000;

  function isDark() { return document.documentElement.dataset.theme === "dark"; }

  function withAlpha(hex, alpha) {
    const n = parseInt(hex.slice(1), 16);
    return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
  }

  // Every run its own colour (runs/static/runs/charts.js: the same colour a run has in the workspace).
  const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#ff9da7"];
  function runColours(ids) {
    if (window.SextantCharts) return window.SextantCharts.colours(ids);
    return new Map([...new Set(ids)].sort().map((id, i) => [id, PALETTE[i % PALETTE.length]]));
  }

  const X_TITLES = { step: "Step", wall_time: "Wall time", relative_time: "Relative time (s)" };

  function xs(data, values) {
    return data.x_axis === "wall_time" ? values.map((t) => new Date(t * 1000)) : values;
  }

  function traces(data) {
    if (data.kind === "line") {
      const dashes = ["solid", "dash", "dot", "dashdot"];
      const colours = runColours(data.series.map((s) => s.run));
      const out = data.series.map((s) => ({
        type: "scatter", mode: "lines", x: xs(data, s.x), y: s.y,
        name: `${s.name} · ${s.metric}`,
        line: { color: colours.get(s.run), width: 1.5, dash: dashes[data.metrics.indexOf(s.metric) % dashes.length] },
        hovertemplate: `${s.run_set} / ${s.name}<br>${s.metric}: %{y}<br>%{x}<extra></extra>`,
      }));
      for (const b of data.bands) {
        const group = `${b.run_set}/${b.group}/${b.metric}`;
        out.push({ type: "scatter", mode: "lines", x: xs(data, b.x), y: b.min, line: { width: 0 },
                   legendgroup: group, showlegend: false, hoverinfo: "skip" });
        out.push({ type: "scatter", mode: "lines", x: xs(data, b.x), y: b.max, line: { width: 0 }, fill: "tonexty",
                   fillcolor: withAlpha(b.colour, 0.2), legendgroup: group, showlegend: false, hoverinfo: "skip" });
        out.push({ type: "scatter", mode: "lines", x: xs(data, b.x), y: b.mean, legendgroup: group,
                   name: `${b.run_set} ${b.group} · ${b.metric} (${b.runs} runs)`, line: { color: b.colour, width: 2 } });
      }
      return out;
    }
    if (data.kind === "scatter") {
      return data.sets.map((s) => ({
        type: "scatter", mode: "markers", x: s.x, y: s.y, text: s.names, name: s.run_set,
        marker: { color: s.colour, size: 8 },
        hovertemplate: `%{text}<br>${data.x_key}: %{x}<br>${data.y_key}: %{y}<extra>${s.run_set}</extra>`,
      }));
    }
    if (data.kind === "bar") {
      return data.sets.map((s) => ({ type: "bar", x: s.names, y: s.values, name: s.run_set, marker: { color: s.colour } }));
    }
    return [];
  }

  function layout(el, data) {
    const dark = isDark();
    const fg = dark ? "#e6e9ef" : "#1d2330";
    const grid = dark ? "#2c3340" : "#e3e6ec";
    const axis = { gridcolor: grid, zerolinecolor: grid, linecolor: grid, color: fg };
    return {
      title: { text: el.dataset.title || "", font: { size: 14 } },
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { color: fg, size: 12 },
      margin: { l: 50, r: 16, t: el.dataset.title ? 40 : 16, b: 20 },
      height: 340,
      legend: { orientation: "h", y: -0.28, yanchor: "top" },
      xaxis: { ...axis, title: { text: data.kind === "line" ? X_TITLES[data.x_axis] : data.x_key || "" },
               type: data.x_axis === "wall_time" ? "date" : undefined },
      yaxis: { ...axis, title: { text: data.kind === "line" ? data.metrics.join(", ") : data.y_key || data.key || "" } },
      hovermode: data.kind === "line" ? "closest" : undefined,
    };
  }

  // Metrics of a line panel that no run of its run sets has: said in words, not drawn as empty axes.
  function missingMetrics(data) {
    if (data.kind !== "line") return [];
    const seen = new Set([...data.series.map((s) => s.metric), ...data.bands.map((b) => b.metric)]);
    return data.metrics.filter((m) => !seen.has(m));
  }

  function draw(el, data) {
    const chart = el.querySelector(".chart");
    el._data = data;
    const missing = missingMetrics(data);
    let note = el.querySelector(".panel-note");
    if (!note) { note = document.createElement("p"); note.className = "panel-note muted"; el.insertBefore(note, chart); }
    note.textContent = missing.length ? `No run here has logged ${missing.map((m) => `“${m}”`).join(", ")}.` : "";
    note.hidden = !missing.length;
    if (data.kind === "parallel") {
      parallelSvg(chart, data, el.dataset.title || "");
      el.dataset.traces = String(data.names.length);
      el.dataset.drawn = "true";
      return;
    }
    const t = traces(data);
    el._data = data;
    const shape = layout(el, data);
    if (missing.length === data.metrics.length && data.kind === "line") {
      shape.annotations = [{ text: "No data: see the note above", showarrow: false, font: { color: shape.font.color } }];
    }
    Plotly.react(chart, t, shape, { responsive: true, displaylogo: false });
    el.dataset.traces = String(t.length);
    el.dataset.drawn = "true";
  }

  // Parallel coordinates in plain SVG: plotly's parcoords needs WebGL, whose shader code
  // plotly compiles with eval — refused by the console's CSP (script-src without 'unsafe-eval').
  const SVG = "http://www.w3.org/2000/svg";
  function svgEl(name, attrs, text) {
    const node = document.createElementNS(SVG, name);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function parallelSvg(chart, data, title) {
    chart.replaceChildren();
    const dims = data.dimensions;
    const width = Math.max(chart.clientWidth || 600, 320), height = 320;
    const pad = { l: 40, r: 40, t: title ? 46 : 30, b: 26 };
    const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", height, role: "img",
                               "aria-label": `Parallel coordinates of ${data.keys.join(", ")}`, class: "parallel" });
    if (title) svg.appendChild(svgEl("text", { x: 8, y: 18, class: "parallel-title" }, title));
    if (!dims.length || !data.names.length) {
      svg.appendChild(svgEl("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "parallel-empty" },
        "No run here has every one of these keys."));
      chart.appendChild(svg);
      return;
    }
    const step = dims.length > 1 ? (width - pad.l - pad.r) / (dims.length - 1) : 0;
    const xAt = (i) => pad.l + i * step;
    const scales = dims.map((d) => {
      const lo = Math.min(...d.values), hi = Math.max(...d.values);
      return (v) => (hi === lo ? (pad.t + height - pad.b) / 2 : height - pad.b - ((v - lo) / (hi - lo)) * (height - pad.t - pad.b));
    });
    const ids = data.runs || data.names.map((name, i) => `${data.set_index[i]}/${name}`);
    const colours = runColours(ids);
    const lines = svgEl("g", { class: "parallel-lines" });
    data.names.forEach((name, row) => {
      const points = dims.map((d, i) => `${xAt(i).toFixed(1)},${scales[i](d.values[row]).toFixed(1)}`).join(" ");
      const line = svgEl("polyline", { points, fill: "none", stroke: colours.get(ids[row]), "stroke-width": 1.6, "data-run": name });
      const setName = data.run_sets[data.set_index[row]] ? data.run_sets[data.set_index[row]].name : "";
      line.appendChild(svgEl("title", {}, `${setName} / ${name}\n` + dims.map((d, i) => `${d.label}: ${d.ticktext ? d.ticktext[d.values[row]] : d.values[row]}`).join("\n")));
      lines.appendChild(line);
    });
    svg.appendChild(lines);
    dims.forEach((d, i) => {
      const axis = svgEl("g", { class: "parallel-axis" });
      axis.appendChild(svgEl("line", { x1: xAt(i), x2: xAt(i), y1: pad.t, y2: height - pad.b }));
      axis.appendChild(svgEl("text", { x: xAt(i), y: pad.t - 8, "text-anchor": "middle", class: "parallel-label" }, d.label));
      const ticks = d.tickvals ? d.tickvals.map((v, k) => [v, d.ticktext[k]])
        : [[Math.min(...d.values)], [Math.max(...d.values)]].map(([v]) => [v, Number(v.toPrecision(4)).toString()]);
      ticks.forEach(([v, label]) => axis.appendChild(svgEl("text", { x: xAt(i) + 4, y: scales[i](v) + 4, class: "parallel-tick" }, label)));
      svg.appendChild(axis);
    });
    brushing(chart, svg, dims, xAt, { top: pad.t, bottom: height - pad.b }, lines);
    chart.appendChild(svg);
  }

  // Brushing: drag along an axis to keep only the lines that cross it inside that span; brushes on
  // several axes combine; a click on an axis (or Escape) clears its brush. Brushes are kept per
  // axis label on the chart element, so the redraw of a refreshed panel keeps them.
  function brushing(chart, svg, dims, xAt, span, lines) {
    const brushes = chart._brushes || (chart._brushes = {});
    const toY = (f) => span.top + f * (span.bottom - span.top);
    const toF = (y) => Math.min(1, Math.max(0, (y - span.top) / (span.bottom - span.top)));
    const rects = dims.map((d, i) => {
      const rect = svgEl("rect", { x: xAt(i) - 6, width: 12, y: 0, height: 0, class: "parallel-brush" });
      // The hit area reaches a little past both ends, so a drag can start at an axis's extreme.
      const hit = svgEl("rect", { x: xAt(i) - 12, width: 24, y: span.top - 8, height: span.bottom - span.top + 16,
                                  class: "parallel-hit", tabindex: 0, "data-axis": d.label,
                                  "aria-label": `Brush ${d.label}: drag along the axis; Escape clears` });
      svg.appendChild(rect);
      svg.appendChild(hit);
      const svgY = (event) => {
        const box = svg.getBoundingClientRect();
        return (event.clientY - box.top) * (svg.viewBox.baseVal.height / box.height);
      };
      let start = null;
      hit.addEventListener("pointerdown", (e) => { start = toF(svgY(e)); hit.setPointerCapture(e.pointerId); });
      hit.addEventListener("pointermove", (e) => {
        if (start === null) return;
        const now = toF(svgY(e));
        brushes[d.label] = [Math.min(start, now), Math.max(start, now)];
        apply();
      });
      hit.addEventListener("pointerup", (e) => {
        if (start !== null && Math.abs(toF(svgY(e)) - start) < 0.01) delete brushes[d.label]; // a click clears
        start = null;
        apply();
      });
      hit.addEventListener("keydown", (e) => { if (e.key === "Escape") { delete brushes[d.label]; apply(); } });
      return rect;
    });
    function apply() {
      dims.forEach((d, i) => {
        const b = brushes[d.label];
        rects[i].setAttribute("y", b ? toY(b[0]) : 0);
        rects[i].setAttribute("height", b ? toY(b[1]) - toY(b[0]) : 0);
      });
      let kept = 0;
      [...lines.children].forEach((line) => {
        const ys = line.getAttribute("points").split(" ").map((p) => Number(p.split(",")[1]));
        const inside = dims.every((d, i) => !brushes[d.label] || (toF(ys[i]) >= brushes[d.label][0] - 1e-6 && toF(ys[i]) <= brushes[d.label][1] + 1e-6));
        line.classList.toggle("dimmed", !inside);
        if (inside) kept += 1;
      });
      chart.dataset.brushed = String(kept);
    }
    apply();
  }

  function setStatus(el, text) {
    const status = el.querySelector(".panel-status");
    if (status) status.textContent = text;
  }

  async function load(el) {
    const url = config.dataUrl.replace("{id}", el.dataset.panelId);
    let wait = POLL_PENDING_MS;
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const answer = await response.json();
      if (answer.data) draw(el, answer.data);
      el.dataset.status = answer.status;
      setStatus(el, answer.status === "fresh" ? "" : answer.status === "stale" ? "updating…" : "computing…");
      if (answer.status === "fresh") wait = POLL_FRESH_MS;
    } catch (error) {
      setStatus(el, `could not load: ${error.message}`);
      wait = POLL_FRESH_MS;
    }
    setTimeout(() => load(el), wait);
  }

  for (const el of document.querySelectorAll(".panel[data-panel-id]")) {
    if (config.inline) {
      const data = config.panels[el.dataset.panelId];
      if (data) draw(el, data);
    } else {
      load(el);
    }
  }

  // Night mode switched elsewhere: re-theme the charts in place.
  new MutationObserver(() => {
    for (const el of document.querySelectorAll(".panel[data-drawn]")) draw(el, el._data);
  }).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
})();
