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

  // Runs of one run set share its colour, each in its own shade.
  const SHADES = [0, 0.35, -0.3, 0.55, -0.5, 0.2, -0.15];
  function shade(hex, index) {
    const f = SHADES[index % SHADES.length];
    const n = parseInt(hex.slice(1), 16);
    const mix = (c) => Math.round(f >= 0 ? c + (255 - c) * f : c * (1 + f));
    return `rgb(${mix((n >> 16) & 255)},${mix((n >> 8) & 255)},${mix(n & 255)})`;
  }

  const X_TITLES = { step: "Step", wall_time: "Wall time", relative_time: "Relative time (s)" };

  function xs(data, values) {
    return data.x_axis === "wall_time" ? values.map((t) => new Date(t * 1000)) : values;
  }

  function traces(data) {
    if (data.kind === "line") {
      const dashes = ["solid", "dash", "dot", "dashdot"];
      const runIndex = new Map();
      const shadeOf = (s) => {
        const key = `${s.run_set}\u0000${s.run}`;
        if (!runIndex.has(key)) runIndex.set(key, [...runIndex.keys()].filter((k) => k.startsWith(`${s.run_set}\u0000`)).length);
        return shade(s.colour, runIndex.get(key));
      };
      const out = data.series.map((s) => ({
        type: "scatter", mode: "lines", x: xs(data, s.x), y: s.y,
        name: `${s.name} · ${s.metric}`,
        line: { color: shadeOf(s), width: 1.5, dash: dashes[data.metrics.indexOf(s.metric) % dashes.length] },
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
    if (data.kind === "parallel") {
      const n = Math.max(data.run_sets.length - 1, 1);
      const scale = data.run_sets.map((rs, i) => [i / n, rs.colour]);
      if (scale.length === 1) scale.push([1, data.run_sets[0].colour]);
      return [{
        type: "parcoords",
        line: { color: data.set_index, colorscale: scale, cmin: 0, cmax: n },
        dimensions: data.dimensions.map((d) => ({ label: d.label, values: d.values, tickvals: d.tickvals, ticktext: d.ticktext })),
      }];
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

  function draw(el, data) {
    const chart = el.querySelector(".chart");
    const t = traces(data);
    el._data = data;
    Plotly.react(chart, t, layout(el, data), { responsive: true, displaylogo: false });
    el.dataset.traces = String(t.length);
    el.dataset.drawn = "true";
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
