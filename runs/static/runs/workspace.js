/* The project workspace: the runs table (table.js) as a side panel, and a panel per logged key.
 *
 * The runs are whatever the table shows (its search, filters and sort decide); the first
 * "Runs drawn" of them that are not hidden are drawn, each in its own colour (charts.js),
 * the same colour in every panel. Panels are drawn when they scroll into view, and a zoomed
 * panel asks the series API again for the new range, so its buckets get finer.
 * The layout (removed/added/moved/resized panels, collapsed sections, hidden runs, controls) is
 * kept per user and project on the server (PUT …/workspace/layout/, a moment after each change);
 * "Reset layout" deletes it. While a run of the table is running the drawn panels refresh.
 */
(function () {
  "use strict";
  const C = window.SextantCharts;
  const config = JSON.parse(document.getElementById("rt-config").textContent);
  const $ = (id) => document.getElementById(id);
  const STORE = `sextant.workspace.${config.api}`; // where an earlier version kept it (read once, moved)
  const empty = () => ({ removed: [], added: [], order: {}, collapsed: [], hiddenRuns: [], wide: [], tall: [], controls: {} });
  let layout = Object.assign(empty(), config.layout || load());
  let runs = []; // [{id, name}] in table order
  let colourMap = new Map();
  const panels = new Map(); // panel id -> {spec, el, chart, dirty, zoom}

  function load() { try { return JSON.parse(localStorage.getItem(STORE)) || {}; } catch (e) { return {}; } }

  // Saved on the server a moment after the last change; one request in flight at a time.
  let saveTimer = null, saving = Promise.resolve();
  function layoutRequest(method, body) {
    return fetch(config.layoutUrl, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": $("runs-table").dataset.csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(async (r) => {
      if (!r.ok) throw new Error((await r.json().catch(() => ({}))).detail || `HTTP ${r.status}`);
      $("workspace").dataset.layoutSaved = String(Date.now());
    }).catch((err) => showError(`The layout could not be saved: ${err.message}`));
  }
  function save() {
    clearTimeout(saveTimer);
    $("workspace").dataset.layoutSaved = "";
    saveTimer = setTimeout(() => { saving = saving.then(() => layoutRequest("PUT", layout)); }, 400);
  }
  function flush() {
    if (saveTimer === null) return;
    clearTimeout(saveTimer);
    saveTimer = null;
    saving = saving.then(() => layoutRequest("PUT", layout));
  }
  window.addEventListener("pagehide", flush);

  const panelId = (p) => `${p.stream || "history"}:${p.kind}:${p.key}`;

  // --- controls ------------------------------------------------------------------------------
  const controls = {
    x: $("ws-x"), smoothing: $("ws-smoothing"), param: $("ws-smoothing-param"), logY: $("ws-log-y"),
    robust: $("ws-robust"), maxRuns: $("ws-max-runs"), group: $("ws-group"), search: $("ws-panel-search"),
  };
  Object.entries(C.SMOOTHINGS).forEach(([kind, s]) => controls.smoothing.appendChild(new Option(s.label, kind)));
  function restoreControls() {
    const c = layout.controls;
    if (c.x !== undefined) controls.x.value = c.x;
    if (c.smoothing) controls.smoothing.value = c.smoothing;
    if (c.param !== undefined) controls.param.value = c.param;
    controls.logY.checked = !!c.logY;
    controls.robust.checked = !!c.robust;
    if (c.maxRuns) controls.maxRuns.value = c.maxRuns;
    if (c.group !== undefined) controls.group.value = c.group;
    syncParam();
  }
  function syncParam() {
    const s = C.SMOOTHINGS[controls.smoothing.value];
    controls.param.hidden = !s || s.param === undefined;
    if (s && s.param !== undefined) {
      Object.assign(controls.param, { min: s.min, max: s.max, step: s.step });
      const v = parseFloat(controls.param.value);
      if (!(v >= s.min && v <= s.max)) controls.param.value = s.param;
    }
  }
  function readControls(persist = true) {
    layout.controls = {
      x: controls.x.value, smoothing: controls.smoothing.value, param: controls.param.value,
      logY: controls.logY.checked, robust: controls.robust.checked,
      maxRuns: Math.max(1, Math.min(100, parseInt(controls.maxRuns.value, 10) || 10)), group: controls.group.value,
    };
    if (persist) save();
  }
  // The server smooths (over every raw point of the range), so a smoothing change asks again.
  ["x", "maxRuns", "group", "param"].forEach((k) => controls[k].addEventListener("change", () => { readControls(); refetchAll(); }));
  controls.smoothing.addEventListener("change", () => { syncParam(); readControls(); refetchAll(); });
  ["logY", "robust"].forEach((k) => controls[k].addEventListener("change", () => { readControls(); redrawAll(); }));
  controls.search.addEventListener("input", () => {
    const q = controls.search.value.trim().toLowerCase();
    panels.forEach((p) => { p.el.hidden = q !== "" && !p.spec.key.toLowerCase().includes(q); });
  });
  $("ws-reset").addEventListener("click", () => {
    clearTimeout(saveTimer);
    layout = empty();
    saving = saving.then(() => layoutRequest("DELETE"));
    restoreControls(); build(); syncRunRows();
  });
  // Compare: the runs drawn now (hide the others with their eye) side by side.
  $("ws-compare").addEventListener("click", () => {
    const ids = runs.filter((r) => !layout.hiddenRuns.includes(r.id)).slice(0, 20).map((r) => r.id);
    const p = new URLSearchParams();
    ids.forEach((id) => p.append("runs", id));
    window.location.href = `${config.compareUrl}?${p}`;
  });

  // --- runs, from the table side panel ---------------------------------------------------------
  const tbody = $("rt-table").tBodies[0];
  function syncRunRows() {
    const rows = [...tbody.querySelectorAll("tr[data-run]")];
    if (!rows.length && tbody.querySelector("tr[data-group]")) return; // grouped table: keep the last runs
    runs = rows.map((tr) => ({ id: tr.dataset.run, name: tr.dataset.run }));
    colourMap = C.colours(runs.map((r) => r.id));
    rows.forEach((tr) => decorate(tr));
    refetchAll();
  }
  function decorate(tr) {
    const id = tr.dataset.run;
    const cell = tr.cells[0];
    if (!cell || cell.querySelector(".ws-eye")) { paintRow(tr); return; }
    const name = cell.textContent;
    cell.replaceChildren();
    const eye = document.createElement("button");
    eye.type = "button";
    eye.className = "ws-eye";
    eye.addEventListener("click", (e) => { e.stopPropagation(); toggleRun(id); });
    const swatch = document.createElement("span");
    swatch.className = "ws-swatch";
    const link = document.createElement("a");
    link.href = config.runUrl.replace("{run}", encodeURIComponent(id));
    link.textContent = name;
    link.className = "ws-run-link";
    cell.append(eye, swatch, link);
    paintRow(tr);
  }
  function paintRow(tr) {
    const id = tr.dataset.run;
    const hidden = layout.hiddenRuns.includes(id);
    tr.classList.toggle("ws-hidden", hidden);
    const eye = tr.querySelector(".ws-eye");
    eye.textContent = hidden ? "◌" : "●";
    eye.setAttribute("aria-pressed", String(!hidden));
    eye.setAttribute("aria-label", `${hidden ? "Show" : "Hide"} run ${id} in the charts`);
    eye.title = hidden ? "Show in charts" : "Hide from charts";
    tr.querySelector(".ws-swatch").style.background = colourMap.get(id) || "transparent";
  }
  function toggleRun(id) {
    const i = layout.hiddenRuns.indexOf(id);
    if (i >= 0) layout.hiddenRuns.splice(i, 1); else layout.hiddenRuns.push(id);
    save();
    tbody.querySelectorAll("tr[data-run]").forEach(paintRow);
    refetchAll(); // the runs drawn change when a hidden one frees its place
  }
  new MutationObserver(syncRunRows).observe(tbody, { childList: true });

  function drawnRuns() {
    const max = layout.controls.maxRuns || 10;
    return runs.filter((r) => !layout.hiddenRuns.includes(r.id)).slice(0, max);
  }

  function smoothingNow() {
    const c = layout.controls;
    return { kind: c.smoothing || "none", param: c.param === "" || c.param === undefined ? null : parseFloat(c.param) };
  }

  function view(panel) {
    const c = layout.controls;
    const bands = panel.groups && panel.groups.length ? panel.groups : null;
    return {
      runs: runs.map((r) => ({ ...r, colour: colourMap.get(r.id), hidden: layout.hiddenRuns.includes(r.id) })),
      xKey: xKeyOf(panel.spec), smoothing: smoothingNow(), logY: !!c.logY, robust: !!c.robust,
      groups: c.group && bands ? { bands, colours: C.colours(bands.map((b) => b.group)) } : null,
    };
  }
  function xKeyOf(spec) {
    // System metrics have no steps or step metrics: their time axes only.
    const chosen = layout.controls.x;
    if (spec.stream === "events") return chosen === "_timestamp" ? "_timestamp" : "_runtime";
    return chosen || spec.x || "_step";
  }

  // --- panels ----------------------------------------------------------------------------------
  function sectionsNow() {
    const sections = config.sections.map((s) => ({ ...s, panels: s.panels.filter((p) => !layout.removed.includes(panelId(p))) }));
    layout.added.forEach((p) => {
      let s = sections.find((x) => x.name === p.section);
      if (!s) { s = { name: p.section, panels: [] }; sections.push(s); }
      if (!s.panels.some((q) => panelId(q) === panelId(p))) s.panels.push(p);
    });
    sections.forEach((s) => {
      const order = layout.order[s.name];
      if (order) s.panels.sort((a, b) => rank(order, panelId(a)) - rank(order, panelId(b)));
    });
    return sections.filter((s) => s.panels.length);
  }
  const rank = (order, id) => { const i = order.indexOf(id); return i < 0 ? 1e9 : i; };

  const observer = new IntersectionObserver((entries) => {
    entries.forEach((e) => {
      const p = panels.get(e.target.dataset.panel);
      if (!p) return;
      p.visible = e.isIntersecting;
      if (p.visible && p.dirty) fetchPanel(p);
    });
  }, { rootMargin: "300px" });

  function build() {
    const root = $("ws-sections");
    panels.forEach((p) => observer.unobserve(p.el));
    panels.clear();
    root.replaceChildren();
    sectionsNow().forEach((section) => {
      const details = document.createElement("details");
      details.className = "ws-section";
      details.open = !layout.collapsed.includes(section.name);
      details.dataset.section = section.name;
      const summary = document.createElement("summary");
      summary.textContent = section.name + " ";
      summary.appendChild(Object.assign(document.createElement("span"), { className: "muted", textContent: `${section.panels.length} panels` }));
      details.appendChild(summary);
      details.addEventListener("toggle", () => {
        const i = layout.collapsed.indexOf(section.name);
        if (details.open && i >= 0) layout.collapsed.splice(i, 1);
        if (!details.open && i < 0) layout.collapsed.push(section.name);
        save();
      });
      const grid = document.createElement("div");
      grid.className = "ws-grid";
      section.panels.forEach((spec) => grid.appendChild(panelElement(spec, section)));
      details.appendChild(grid);
      root.appendChild(details);
    });
  }

  function button(label, title, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.title = title;
    b.setAttribute("aria-label", title);
    b.addEventListener("click", onClick);
    return b;
  }

  function panelElement(spec, section) {
    const id = panelId(spec);
    const el = document.createElement("article");
    el.className = "ws-panel";
    el.dataset.panel = id;
    el.dataset.key = spec.key;
    el.dataset.kind = spec.kind;
    if (layout.wide.includes(id)) el.classList.add("wide");
    if (layout.tall.includes(id)) el.classList.add("tall");
    const head = document.createElement("header");
    const title = document.createElement("h3");
    title.textContent = spec.key;
    title.title = spec.key;
    head.append(
      title,
      Object.assign(document.createElement("span"), { className: "panel-status" }),
      button("←", `Move ${spec.key} earlier`, () => move(section, id, -1)),
      button("→", `Move ${spec.key} later`, () => move(section, id, 1)),
      button("⇔", `Make ${spec.key} wide or narrow`, () => toggleSize(el, id, "wide")),
      button("↕", `Make ${spec.key} tall or short`, () => toggleSize(el, id, "tall")),
    );
    if (spec.kind === "line" && config.canEdit) head.append(button("⤴ report", `Copy ${spec.key} into a report`, () => copyToReport(spec)));
    head.append(button("×", `Remove ${spec.key}`, () => remove(spec)));
    el.appendChild(head);
    const body = document.createElement("div");
    body.className = spec.kind === "line" ? "chart" : "media";
    el.appendChild(body);
    const panel = { spec, el, dirty: true, visible: false, zoom: null };
    if (spec.kind === "line") {
      panel.chart = new C.LinePanel(el, {
        onZoom: (lo, hi) => { panel.zoom = lo === null ? null : [lo, hi]; fetchPanel(panel); },
      });
    }
    panels.set(id, panel);
    observer.observe(el);
    return el;
  }

  function move(section, id, by) {
    const ids = [...document.querySelectorAll(`.ws-section[data-section="${CSS.escape(section.name)}"] .ws-panel`)].map((e) => e.dataset.panel);
    const i = ids.indexOf(id), j = i + by;
    if (i < 0 || j < 0 || j >= ids.length) return;
    [ids[i], ids[j]] = [ids[j], ids[i]];
    layout.order[section.name] = ids;
    save();
    const grid = panels.get(id).el.parentElement;
    ids.forEach((pid) => grid.appendChild(panels.get(pid).el));
    panels.get(id).el.querySelector(`button[aria-label^="Move"][aria-label$="${by < 0 ? "earlier" : "later"}"]`).focus();
  }
  function toggleSize(el, id, size) {
    el.classList.toggle(size);
    const list = layout[size];
    const i = list.indexOf(id);
    if (i >= 0) list.splice(i, 1); else list.push(id);
    save();
    const p = panels.get(id);
    if (p.chart) p.chart.redraw();
  }
  function remove(spec) {
    const id = panelId(spec);
    layout.added = layout.added.filter((p) => panelId(p) !== id);
    if (config.sections.some((s) => s.panels.some((p) => panelId(p) === id))) layout.removed.push(id);
    save();
    build();
  }

  // Add panel: any history key of the catalogue (also one removed before), into its section.
  $("ws-add-panel").addEventListener("click", () => {
    const known = config.sections.flatMap((s) => s.panels.map((p) => ({ ...p, section: s.name })));
    const key = window.prompt(`Key to chart (one of: ${known.map((p) => p.key).slice(0, 30).join(", ")}${known.length > 30 ? ", …" : ""})`);
    if (!key) return;
    const spec = known.find((p) => p.key === key.trim());
    if (!spec) { showError(`No run in this project logged "${key.trim()}".`); return; }
    layout.removed = layout.removed.filter((id) => id !== panelId(spec));
    if (!config.sections.some((s) => s.panels.some((p) => panelId(p) === panelId(spec)))) layout.added.push(spec);
    save();
    build();
  });

  function showError(text) { $("ws-error").textContent = text; $("ws-error").hidden = !text; }

  // --- data ------------------------------------------------------------------------------------
  function refetchAll() {
    // Panels out of view are marked stale and fetched when they scroll in.
    panels.forEach((p) => { p.dirty = true; if (p.visible) fetchPanel(p); else p.el.dataset.stale = "true"; });
  }
  function redrawAll() { panels.forEach((p) => { if (p.lines && p.chart) p.chart.draw(p.lines, view(p)); }); }

  async function fetchPanel(panel, quiet = false) {
    panel.dirty = false;
    delete panel.el.dataset.stale;
    const drawn = drawnRuns();
    const status = panel.el.querySelector(".panel-status");
    if (panel.spec.kind !== "line") return fetchMedia(panel, drawn);
    if (!drawn.length) { panel.lines = []; panel.chart.draw([], view(panel)); return; }
    const ticket = (panel.ticket = (panel.ticket || 0) + 1);
    if (!quiet) status.textContent = "loading…";
    try {
      const width = panel.el.clientWidth || 600;
      // A bucket a pixel for one line; fewer when many runs' lines share the panel (50 runs: a
      // bucket per 5 pixels), since overlapping lines cannot show more; the band keeps every
      // spike. Grouped, the panel draws a few group lines, so each keeps a bucket a pixel.
      const lines = layout.controls.group ? 1 : drawn.length;
      const pixelsPerBucket = Math.max(1, Math.sqrt(lines / 2));
      const answer = await C.fetchSeriesAnswer(config.seriesUrl, {
        runs: drawn.map((r) => r.id), keys: [panel.spec.key], x: xKeyOf(panel.spec), stream: panel.spec.stream,
        xMin: panel.zoom ? panel.zoom[0] : null, xMax: panel.zoom ? panel.zoom[1] : null,
        buckets: Math.max(50, Math.min(1500, Math.round(width / pixelsPerBucket))), smoothing: smoothingNow(),
        groupBy: layout.controls.group ? `config.${layout.controls.group}` : null,
      });
      if (ticket !== panel.ticket) return;
      panel.lines = answer.series;
      panel.groups = answer.groups;
      panel.chart.draw(answer.series, view(panel));
      const empty = layout.controls.group ? !answer.groups.some((g) => g.x.length) : answer.series.every((l) => !l.x.length);
      status.textContent = empty ? "no values for these runs" : "";
    } catch (err) {
      status.textContent = `could not load: ${err.message}`;
    }
  }

  // Images: the logged files of one key for the first drawn runs, with a step slider.
  async function fetchMedia(panel, drawn) {
    const body = panel.el.querySelector(".media");
    const status = panel.el.querySelector(".panel-status");
    if (!drawn.length) { body.replaceChildren(); return; }
    const p = new URLSearchParams({ key: panel.spec.key });
    drawn.slice(0, 6).forEach((r) => p.append("runs", r.id));
    try {
      const response = await fetch(`${config.mediaUrl}?${p}`, { credentials: "same-origin" });
      const data = await response.json();
      if (!response.ok) throw new Error(data.detail || response.status);
      drawMedia(panel, body, data.media);
      status.textContent = data.media.some((m) => m.items.length) ? "" : `no ${panel.spec.kind} for these runs`;
    } catch (err) { status.textContent = `could not load: ${err.message}`; }
  }
  function drawMedia(panel, body, media) {
    window.SextantMedia.draw(panel, body, media, (run) => colourMap.get(run));
  }

  // --- copy a panel into a report ------------------------------------------------------------
  const dialog = $("ws-copy-dialog");
  let copying = null;
  async function copyToReport(spec) {
    copying = spec;
    $("ws-copy-what").textContent = `A line plot of ${spec.key}, with this project's runs.`;
    $("ws-copy-error").hidden = true;
    const select = $("ws-copy-report");
    select.replaceChildren();
    const response = await fetch(config.reportsApi, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const data = response.ok ? await response.json() : [];
    const list = Array.isArray(data) ? data : data.results || [];
    list.forEach((r) => select.appendChild(new Option(r.title, r.id)));
    select.appendChild(new Option("A new report", "new"));
    dialog.showModal();
  }
  $("ws-copy-form").addEventListener("submit", async (event) => {
    if (event.submitter && event.submitter.value !== "copy") return;
    event.preventDefault();
    try {
      const url = await copyPanel(copying, $("ws-copy-report").value);
      dialog.close();
      window.location.href = url;
    } catch (err) {
      $("ws-copy-error").textContent = err.message;
      $("ws-copy-error").hidden = false;
    }
  });
  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": $("runs-table").dataset.csrf },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.detail || JSON.stringify(data.errors || data));
    return data;
  }
  async function copyPanel(spec, reportId) {
    let id = reportId;
    if (id === "new") id = (await post(config.reportsApi, { title: `${spec.key} · workspace` })).id;
    const base = `${config.reportsApi}${id}/`;
    const block = await post(`${base}blocks/`, { kind: "panel_grid" });
    // A new panel grid starts with one run set of every run in the project.
    const c = layout.controls;
    const x = { _step: "step", _runtime: "relative_time", _timestamp: "wall_time" }[xKeyOf(spec)] || "step";
    await post(`${base}blocks/${block.id}/panels/`, {
      kind: "line",
      config: { title: spec.key, metrics: [spec.key], x_axis: x, smoothing: c.smoothing || "none", ...(c.group ? { group_by: `config.${c.group}` } : {}) },
    });
    return `${config.reportsUrl}${id}/`;
  }

  // --- live: while a run of this project is running, the drawn panels grow in place -------------
  const LIVE_MS = 5000, IDLE_MS = 30000;
  async function anyRunning() {
    const p = new URLSearchParams({ filters: JSON.stringify({ state: "running" }), limit: "1" });
    const r = await fetch(`${config.api}runs/?${p}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!r.ok) return false;
    const data = await r.json();
    const list = Array.isArray(data) ? data : data.results || [];
    return list.length > 0;
  }
  let wasRunning = false;
  async function tick() {
    let running = false;
    if (!document.hidden) {
      try { running = await anyRunning(); } catch (e) { running = false; }
      if (running || wasRunning) {
        // Zoomed panels keep their range; the others take the new points (and the last ones after the end).
        panels.forEach((p) => { if (p.visible && !p.zoom) fetchPanel(p, true); else p.dirty = true; });
        $("workspace").dataset.live = running ? "running" : "idle";
      }
    }
    wasRunning = running;
    setTimeout(tick, running ? LIVE_MS : IDLE_MS);
  }

  if (!config.layout && Object.keys(load()).length) save(); // moved from this browser's storage to the server
  restoreControls();
  readControls(false);
  build();
  syncRunRows();
  setTimeout(tick, LIVE_MS);
})();
