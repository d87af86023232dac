// The sweep page: parallel coordinates (plotly's parcoords) of each run's parameters and metric.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("sweep-data").textContent);
  const node = document.getElementById("sweep-parcoords");
  const done = data.items.filter((run) => run.metric !== null);
  if (!done.length || !window.Plotly) {
    document.getElementById("sweep-parcoords-empty").hidden = !!done.length;
    return;
  }
  const dark = document.documentElement.dataset.theme === "dark";
  const dimension = (label, values) => {
    if (values.every((v) => typeof v === "number")) return { label, values };
    const names = [...new Set(values.map((v) => JSON.stringify(v)))];
    return {
      label,
      values: values.map((v) => names.indexOf(JSON.stringify(v))),
      tickvals: names.map((_, i) => i),
      ticktext: names,
    };
  };
  const dimensions = data.parameters.map((key) => dimension(key, done.map((run) => run.params[key])));
  const metric = done.map((run) => run.metric);
  dimensions.push({ label: data.metric ? data.metric.name : "metric", values: metric });
  const fg = dark ? "#e6e9ef" : "#1d2330";
  window.Plotly.newPlot(
    node,
    [{ type: "parcoords", dimensions, line: { color: metric, colorscale: "Viridis", showscale: true,
      reversescale: !!data.metric && data.metric.goal === "minimize" } }],
    { paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: fg }, margin: { l: 60, r: 60, t: 40, b: 20 } },
    { responsive: true, displaylogo: false },
  );
})();
