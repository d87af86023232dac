// The sweep page: parallel coordinates of each run's parameters and metric, drawn as SVG
// (plotly's parcoords compiles its shaders with eval, which the CSP refuses).
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("sweep-data").textContent);
  const node = document.getElementById("sweep-parcoords");
  const done = data.items.filter((run) => run.metric !== null);
  if (!done.length) {
    document.getElementById("sweep-parcoords-empty").hidden = false;
    return;
  }
  const NS = "http://www.w3.org/2000/svg";
  const el = (name, attrs, text) => {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const axis = (label, values) => {
    if (values.every((v) => typeof v === "number")) {
      let lo = Math.min(...values), hi = Math.max(...values);
      if (lo === hi) { lo -= 1; hi += 1; }
      return { label, pos: (v) => (v - lo) / (hi - lo), ticks: [[0, lo], [1, hi]] };
    }
    const names = [...new Set(values.map((v) => JSON.stringify(v)))];
    const pos = (v) => (names.length === 1 ? 0.5 : names.indexOf(JSON.stringify(v)) / (names.length - 1));
    return { label, pos, ticks: names.map((n) => [pos(JSON.parse(n)), n]) };
  };
  const metricName = data.metric ? data.metric.name : "metric";
  const axes = data.parameters.map((key) => ({ key, ...axis(key, done.map((run) => run.params[key])) }));
  axes.push({ key: "__metric", ...axis(metricName, done.map((run) => run.metric)) });
  const width = Math.max(node.clientWidth || 800, 320), height = 360, top = 30, bottom = 30, side = 60;
  const x = (i) => side + (i * (width - 2 * side)) / Math.max(axes.length - 1, 1);
  const y = (p) => top + (1 - p) * (height - top - bottom);
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", height, class: "parcoords" });
  const metric = axes[axes.length - 1];
  const better = (run) => {
    const p = metric.pos(run.metric);
    return data.metric && data.metric.goal === "maximize" ? p : 1 - p;
  };
  for (const run of done) {
    const points = axes.map((a, i) => `${x(i)},${y(a.pos(a.key === "__metric" ? run.metric : run.params[a.key]))}`);
    const line = el("polyline", { points: points.join(" "), class: "pc-line" });
    line.style.setProperty("--q", better(run).toFixed(3)); // CSSOM, not a style attribute: CSP-clean
    line.appendChild(el("title", {}, `${run.display_name}: ${metricName} ${run.metric}`));
    svg.appendChild(line);
  }
  axes.forEach((a, i) => {
    svg.appendChild(el("line", { x1: x(i), x2: x(i), y1: y(0), y2: y(1), class: "pc-axis" }));
    svg.appendChild(el("text", { x: x(i), y: top - 10, class: "pc-label" }, a.label));
    for (const [p, text] of a.ticks) {
      const shown = typeof text === "number" ? Number(text.toPrecision(4)) : text;
      svg.appendChild(el("text", { x: x(i) + 6, y: y(p) + 4, class: "pc-tick" }, String(shown)));
    }
  });
  node.appendChild(svg);
})();
