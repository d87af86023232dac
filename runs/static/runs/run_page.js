// The run page: tabs (overview, charts, system metrics, logs, files, media) over the runs API.
// Everything the run logged is written with textContent or DOM properties, never parsed as HTML,
// so a console line or a config value cannot inject markup. While the run is running, a small
// status endpoint is polled and every tab that was opened grows in place.
(function () {
  "use strict";
  const root = document.getElementById("run-page");
  if (!root) return;
  const page = JSON.parse(document.getElementById("run-page-data").textContent);
  const csrf = root.dataset.csrf;
  const $ = (id) => document.getElementById(id);
  const POLL_MS = 3000;
  let status = page.status;

  function el(tag, props, children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [name, value] of Object.entries(props)) {
        if (name === "text") node.textContent = value;
        else if (name === "className") node.className = value;
        else if (name === "dataset") Object.assign(node.dataset, value);
        else node.setAttribute(name, value);
      }
    }
    for (const child of children || []) if (child) node.append(child);
    return node;
  }

  async function api(path, options = {}) {
    const headers = { Accept: "application/json" };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (options.method && options.method !== "GET") headers["X-CSRFToken"] = csrf;
    const response = await fetch(page.api + path, {
      method: options.method || "GET", headers, credentials: "same-origin",
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const data = await response.json().catch(() => ({ detail: response.statusText }));
    if (!response.ok) throw new Error(describeError(data, response.status));
    return data;
  }

  function describeError(data, code) {
    if (data && data.errors) {
      return Object.entries(data.errors).map(([field, msgs]) => field + ": " + [].concat(msgs).join("; ")).join(" · ");
    }
    if (data && typeof data === "object" && !data.detail) {
      const first = Object.entries(data)[0];
      if (first) return first[0] + ": " + [].concat(first[1]).join("; ");
    }
    return (data && data.detail) || "The request failed (" + code + ").";
  }

  function fileUrl(name) {
    return page.api + "files/" + name.split("/").map(encodeURIComponent).join("/");
  }

  // --- duration and state ------------------------------------------------------------------
  function formatDuration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    if (h) return h + "h " + m + "m " + s + "s";
    if (m) return m + "m " + s + "s";
    return s + "s";
  }
  let durationBase = { seconds: status.duration_seconds, at: Date.now() };
  function tickDuration() {
    const running = status.state === "running";
    const seconds = durationBase.seconds + (running ? (Date.now() - durationBase.at) / 1000 : 0);
    $("run-duration").textContent = formatDuration(seconds);
  }
  const STATE_NAMES = { running: "Running", finished: "Finished", failed: "Failed", crashed: "Crashed" };
  function showState() {
    const badge = $("run-state");
    badge.className = "state-badge state-" + status.state;
    let text = STATE_NAMES[status.state] || status.state;
    if (status.exit_code !== null && status.exit_code !== 0) text += " (exit " + status.exit_code + ")";
    badge.textContent = text;
    root.dataset.state = status.state;
  }
  tickDuration();
  setInterval(tickDuration, 1000);

  // --- tabs (arrow keys move between them, the hash remembers the open one) ----------------
  const tabs = Array.from(root.querySelectorAll("[role=tab]"));
  const opened = new Set();
  const openers = {};
  function selectTab(tab, focus) {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      $(other.getAttribute("aria-controls")).hidden = !selected;
    }
    if (focus) tab.focus();
    const name = tab.id.replace("tab-", "");
    if (history.replaceState) history.replaceState(null, "", name === "overview" ? location.pathname + location.search : "#" + name);
    if (!opened.has(name)) {
      opened.add(name);
      if (openers[name]) openers[name]();
    } else if (name === "charts" || name === "system") {
      resizeCharts($(name === "charts" ? "charts" : "system-charts"));
    }
  }
  for (const tab of tabs) {
    tab.addEventListener("click", () => selectTab(tab, false));
    tab.addEventListener("keydown", (event) => {
      const i = tabs.indexOf(tab);
      let next = null;
      if (event.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
      else if (event.key === "ArrowLeft") next = tabs[(i - 1 + tabs.length) % tabs.length];
      else if (event.key === "Home") next = tabs[0];
      else if (event.key === "End") next = tabs[tabs.length - 1];
      if (next) { event.preventDefault(); selectTab(next, true); }
    });
  }

  // --- config and summary trees --------------------------------------------------------------
  function isMedia(value) { return value && typeof value === "object" && !Array.isArray(value) && typeof value._type === "string"; }
  function scalarText(value) {
    if (value === null) return "null";
    if (isMedia(value)) return value._type + (value.path ? " · " + value.path : "");
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }
  function matches(path, value, query) {
    return path.toLowerCase().includes(query) || (typeof value !== "object" || value === null || isMedia(value) ? scalarText(value).toLowerCase().includes(query) : false);
  }
  // The subtree of `value` whose keys or leaf values contain `query` (everything under a matching key).
  function prune(value, path, query) {
    if (!query) return value;
    if (value === null || typeof value !== "object" || isMedia(value)) return matches(path, value, query) ? value : undefined;
    if (path && path.toLowerCase().split(".").pop().includes(query)) return value;
    const out = Array.isArray(value) ? {} : {};
    let any = false;
    for (const [key, item] of Object.entries(value)) {
      const kept = prune(item, path ? path + "." + key : key, query);
      if (kept !== undefined) { out[key] = kept; any = true; }
    }
    return any ? out : undefined;
  }
  function treeNode(key, value, open) {
    if (value !== null && typeof value === "object" && !isMedia(value) && Object.keys(value).length) {
      const details = el("details", { className: "tree-branch" });
      details.open = open;
      const count = Object.keys(value).length;
      details.append(el("summary", null, [el("span", { className: "tree-key", text: key }), el("span", { className: "muted", text: " " + (Array.isArray(value) ? "[" + count + "]" : "{" + count + "}") })]));
      const list = el("ul");
      for (const [childKey, child] of Object.entries(value)) list.append(treeNode(childKey, child, open));
      details.append(list);
      return el("li", null, [details]);
    }
    const type = value === null ? "null" : isMedia(value) ? "media" : Array.isArray(value) ? "list" : typeof value;
    return el("li", { className: "tree-leaf" }, [
      el("span", { className: "tree-key", text: key }), el("span", { className: "tree-sep", text: ": " }),
      el("span", { className: "tree-value type-" + type, text: scalarText(value) }),
    ]);
  }
  function renderTree(container, data, query) {
    const shown = prune(data, "", query.trim().toLowerCase());
    container.replaceChildren();
    const keys = shown ? Object.keys(shown) : [];
    if (!keys.length) {
      container.append(el("p", { className: "muted", text: query ? "Nothing matches “" + query + "”." : container.dataset.empty }));
      return;
    }
    // The SDK's own keys (_step, _runtime…) after the user's.
    keys.sort((a, b) => (a.startsWith("_") - b.startsWith("_")) || a.localeCompare(b));
    const list = el("ul", { className: "tree-root" });
    for (const key of keys) list.append(treeNode(key, shown[key], Boolean(query) || keys.length <= 12));
    container.append(list);
  }
  const trees = {
    config: { data: page.overview.config, container: $("config-tree"), search: $("config-search") },
    summary: { data: page.overview.summary, container: $("summary-tree"), search: $("summary-search") },
  };
  for (const tree of Object.values(trees)) {
    renderTree(tree.container, tree.data, "");
    let timer = null;
    tree.search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => renderTree(tree.container, tree.data, tree.search.value), 120);
    });
  }

  // --- notes and tags (members; the API refuses anyone else) -----------------------------------
  const form = $("annotate-form");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const tags = $("run-tags").value.split(",").map((t) => t.trim()).filter(Boolean);
      const unique = Array.from(new Set(tags));
      const note = $("annotate-status");
      $("annotate-save").disabled = true;
      note.textContent = "Saving…";
      note.classList.remove("error");
      try {
        const run = await api("", { method: "PATCH", body: { tags: unique, notes: $("run-notes").value } });
        $("run-tags").value = run.tags.join(", ");
        note.textContent = "Saved.";
      } catch (error) {
        note.textContent = error.message;
        note.classList.add("error");
      } finally {
        $("annotate-save").disabled = false;
      }
    });
  }

  // --- ANSI colours: SGR codes become classes and styles on spans ------------------------------
  const ESCAPES = /\x1b\[([0-9;?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]/g;
  function color256(n) {
    if (n < 16) return null;
    if (n >= 232) { const v = 8 + (n - 232) * 10; return "rgb(" + v + "," + v + "," + v + ")"; }
    n -= 16;
    const c = (x) => (x ? 55 + x * 40 : 0);
    return "rgb(" + c(Math.floor(n / 36)) + "," + c(Math.floor(n / 6) % 6) + "," + c(n % 6) + ")";
  }
  function applySgr(style, params) {
    const codes = params === "" ? [0] : params.split(";").map((p) => parseInt(p, 10) || 0);
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i];
      if (code === 0) { style.fg = style.bg = null; style.bold = style.dim = style.italic = style.underline = false; }
      else if (code === 1) style.bold = true;
      else if (code === 2) style.dim = true;
      else if (code === 3) style.italic = true;
      else if (code === 4) style.underline = true;
      else if (code === 22) style.bold = style.dim = false;
      else if (code === 23) style.italic = false;
      else if (code === 24) style.underline = false;
      else if (code >= 30 && code <= 37) style.fg = code - 30;
      else if (code >= 90 && code <= 97) style.fg = code - 90 + 8;
      else if (code === 39) style.fg = null;
      else if (code >= 40 && code <= 47) style.bg = code - 40;
      else if (code >= 100 && code <= 107) style.bg = code - 100 + 8;
      else if (code === 49) style.bg = null;
      else if ((code === 38 || code === 48) && codes[i + 1] === 5) {
        const n = codes[i + 2] || 0;
        const value = n < 16 ? n : color256(n);
        if (code === 38) style.fg = value; else style.bg = value;
        i += 2;
      } else if ((code === 38 || code === 48) && codes[i + 1] === 2) {
        const value = "rgb(" + (codes[i + 2] || 0) + "," + (codes[i + 3] || 0) + "," + (codes[i + 4] || 0) + ")";
        if (code === 38) style.fg = value; else style.bg = value;
        i += 4;
      }
    }
  }
  function styledSpan(text, style) {
    const span = document.createElement("span");
    span.textContent = text;
    const classes = [];
    if (typeof style.fg === "number") classes.push("ansi-fg-" + style.fg); else if (style.fg) span.style.color = style.fg;
    if (typeof style.bg === "number") classes.push("ansi-bg-" + style.bg); else if (style.bg) span.style.backgroundColor = style.bg;
    if (style.bold) classes.push("ansi-bold");
    if (style.dim) classes.push("ansi-dim");
    if (style.italic) classes.push("ansi-italic");
    if (style.underline) classes.push("ansi-underline");
    if (classes.length) span.className = classes.join(" ");
    return span;
  }
  // A carriage return without a newline redraws the line (progress bars): keep what was drawn last.
  function lastRedraw(text) { const i = text.lastIndexOf("\r"); return i >= 0 && i < text.length - 1 ? text.slice(i + 1) : text.replace(/\r$/, ""); }
  function ansiNodes(text) {
    text = lastRedraw(text);
    const nodes = [];
    const style = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false };
    let last = 0, match;
    ESCAPES.lastIndex = 0;
    while ((match = ESCAPES.exec(text))) {
      if (match.index > last) nodes.push(styledSpan(text.slice(last, match.index), style));
      if (match[2] === "m") applySgr(style, match[1]);
      last = ESCAPES.lastIndex;
    }
    if (last < text.length) nodes.push(styledSpan(text.slice(last), style));
    return nodes;
  }
  function plainText(text) { return lastRedraw(text).replace(ESCAPES, ""); }

  // --- logs -------------------------------------------------------------------------------------
  const logs = { lines: new Map(), next: 0, loading: false, query: "" };
  function logLine(line) {
    const item = el("li", { className: "log-line" + (line.err ? " stderr" : ""), dataset: { n: String(line.n) } });
    item.append(el("span", { className: "log-no", text: String(line.n + 1), "aria-hidden": "true" }));
    if (line.time) item.append(el("time", { className: "log-time", datetime: line.time, text: line.time.slice(11, 19) }));
    item.append(el("span", { className: "log-text" }, ansiNodes(line.text)));
    item.dataset.plain = plainText(line.text).toLowerCase();
    markLine(item);
    return item;
  }
  function markLine(item) {
    const hit = Boolean(logs.query) && item.dataset.plain.includes(logs.query);
    item.classList.toggle("match", hit);
    item.hidden = Boolean(logs.query) && $("log-only-matches").checked && !hit;
  }
  function refreshLogMarks() {
    let hits = 0;
    for (const item of logs.lines.values()) { markLine(item); if (item.classList.contains("match")) hits++; }
    showLogStatus(hits);
  }
  function showLogStatus(hits) {
    const count = logs.lines.size;
    let text = count ? count.toLocaleString() + " lines" : "No console output yet.";
    if (logs.query) text += " · " + hits + " matching “" + $("log-search").value + "”";
    if (status.state === "running") text += " · live";
    $("log-status").textContent = text;
  }
  async function loadLogs() {
    if (logs.loading) return;
    logs.loading = true;
    try {
      const view = $("log-view");
      const atEnd = view.scrollHeight - view.scrollTop - view.clientHeight < 40;
      // Start one line back: the SDK may have redrawn the last line since it was read.
      let offset = Math.max(0, logs.next - 1);
      for (let pages = 0; pages < 40; pages++) {
        const data = await api("console/?offset=" + offset);
        const fragment = document.createDocumentFragment();
        for (const line of data.lines) {
          const item = logLine(line);
          const old = logs.lines.get(line.n);
          if (old) old.replaceWith(item); else fragment.append(item);
          logs.lines.set(line.n, item);
        }
        $("log-lines").append(fragment);
        if (data.lines.length) logs.next = data.next_offset;
        offset = data.next_offset;
        if (!data.more) break;
      }
      let hits = 0;
      if (logs.query) for (const item of logs.lines.values()) if (item.classList.contains("match")) hits++;
      showLogStatus(hits);
      if ($("log-follow").checked && (atEnd || !view.dataset.scrolled)) view.scrollTop = view.scrollHeight;
    } catch (error) {
      $("log-status").textContent = error.message;
    } finally {
      logs.loading = false;
    }
  }
  openers.logs = () => {
    let timer = null;
    $("log-search").addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => { logs.query = $("log-search").value.trim().toLowerCase(); refreshLogMarks(); }, 150);
    });
    $("log-search").addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      const hit = $("log-lines").querySelector(".log-line.match");
      if (hit) { hit.scrollIntoView({ block: "center" }); $("log-follow").checked = false; }
    });
    $("log-only-matches").addEventListener("change", refreshLogMarks);
    $("log-view").addEventListener("scroll", () => { $("log-view").dataset.scrolled = "1"; }, { passive: true });
    loadLogs();
  };

  // --- charts: the workspace's panels (runs/static/runs/charts.js) for this one run -----------
  // Lines come from the series API: per x bucket the min–max band and the last value, re-bucketed
  // when a chart is zoomed; the run has the colour it has in every workspace chart.
  const Charts = window.SextantCharts;
  const runView = () => ({
    runs: [{ id: page.run_id, name: page.run_name, colour: Charts.colours([page.run_id]).get(page.run_id), hidden: false }],
    smoothing: { kind: "none" }, logY: false, robust: false, groups: null,
  });
  function globMatch(pattern, key) {
    const re = new RegExp("^" + pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$");
    return re.test(key);
  }
  // A key's x axis: the step metric define_metric gave it (exact name first, then globs), else _step.
  function xAxisOf(key) {
    const defined = page.overview.metrics.filter((m) => m.step_metric);
    const exact = defined.find((m) => m.name === key);
    const glob = exact || defined.find((m) => m.name.includes("*") && globMatch(m.name, key));
    return glob && glob.step_metric !== key ? glob.step_metric : "_step";
  }
  const panels = new Map(); // "history:key" or "events:key" -> {panel, node, query}
  async function drawPanel(entry) {
    const zoom = entry.panel.zoom;
    try {
      const series = await Charts.fetchSeries(page.series_url, {
        runs: [page.run_id], keys: [entry.key], stream: entry.stream, x: entry.x, buckets: 1000,
        xMin: zoom ? zoom[0] : null, xMax: zoom ? zoom[1] : null,
      });
      entry.panel.draw(series, { ...runView(), xKey: entry.x });
    } catch (error) {
      entry.node.querySelector(".chart-error").textContent = entry.key + ": " + error.message;
    }
  }
  function addPanel(grid, stream, key, title, x) {
    const id = stream + ":" + key;
    if (panels.has(id)) return;
    const node = el("div", { className: "panel card", dataset: { key, stream }, role: "figure", "aria-label": "Chart of " + title }, [
      el("div", { className: "chart" }), el("p", { className: "chart-error error", role: "alert" }),
    ]);
    grid.append(node);
    const entry = { key, stream, x, node, panel: null };
    entry.panel = new Charts.LinePanel(node, { title, onZoom: () => drawPanel(entry) });
    panels.set(id, entry);
    if (chartObserver) chartObserver.observe(node);
    else { node.dataset.requested = "1"; drawPanel(entry); }
  }
  const chartObserver = "IntersectionObserver" in window ? new IntersectionObserver((entries) => {
    for (const seen of entries) {
      if (!seen.isIntersecting || seen.target.dataset.requested) continue;
      seen.target.dataset.requested = "1";
      drawPanel(panels.get(seen.target.dataset.stream + ":" + seen.target.dataset.key));
    }
  }, { rootMargin: "200px" }) : null;
  function redrawPanels(stream) {
    for (const entry of panels.values()) if (entry.stream === stream && entry.node.dataset.requested) drawPanel(entry);
  }
  function resizeCharts(container) {
    if (!window.Plotly) return;
    for (const node of container.querySelectorAll(".panel[data-drawn] .chart")) window.Plotly.Plots.resize(node);
  }
  openers.charts = () => {
    const keys = page.history_keys;
    $("charts-status").textContent = keys.length
      ? keys.length + " logged metrics. Drag across a chart to zoom in (finer buckets are fetched); double-click to zoom out."
      : "No metrics logged yet: every number passed to wandb.log gets a chart here.";
    for (const key of keys) addPanel($("charts"), "history", key, key, xAxisOf(key));
  };
  const SYSTEM_ORDER = ["system.cpu", "system.gpu", "system.memory", "system.proc", "system.disk", "system.network"];
  function systemOrder(key) {
    const i = SYSTEM_ORDER.findIndex((prefix) => key.startsWith(prefix));
    return i < 0 ? SYSTEM_ORDER.length : i;
  }
  function showSystemKeys(keys) {
    keys = keys.slice().sort((a, b) => systemOrder(a) - systemOrder(b) || a.localeCompare(b));
    $("system-status").textContent = keys.length
      ? keys.length + " system metrics, against seconds since the run started (CPU, memory, disk, network; GPU where the machine has one)."
      : "No system metrics yet: the SDK samples them every few seconds while the run runs.";
    for (const key of keys) addPanel($("system-charts"), "events", key, key.replace(/^system\./, ""), "_runtime");
  }
  openers.system = () => showSystemKeys(page.system_keys);

  // --- files --------------------------------------------------------------------------------------
  const IMAGE = /\.(png|jpe?g|gif|webp|bmp|svg)$/i;
  const TEXT = /\.(txt|log|json|jsonl|ya?ml|md|py|csv|tsv|cfg|ini|toml|sh|html?|xml|patch|diff)$/i;
  const PREVIEW_MAX = 512 * 1024;
  function formatBytes(size) {
    if (size === null || size === undefined) return "";
    const units = ["B", "KB", "MB", "GB", "TB"];
    let i = 0;
    while (size >= 1024 && i < units.length - 1) { size /= 1024; i++; }
    return (i ? size.toFixed(1) : size) + " " + units[i];
  }
  function fileTree(files) {
    const tree = { dirs: {}, files: [] };
    for (const file of files) {
      const parts = file.name.split("/");
      let node = tree;
      for (const part of parts.slice(0, -1)) node = node.dirs[part] = node.dirs[part] || { dirs: {}, files: [] };
      node.files.push({ ...file, base: parts[parts.length - 1] });
    }
    return tree;
  }
  function renderFileTree(node, list) {
    for (const name of Object.keys(node.dirs).sort()) {
      const details = el("details", { className: "file-dir" });
      details.open = name !== "media" || Object.keys(node.dirs).length === 1;
      details.append(el("summary", { text: name + "/" }));
      const sub = el("ul");
      renderFileTree(node.dirs[name], sub);
      details.append(sub);
      list.append(el("li", null, [details]));
    }
    for (const file of node.files) {
      const button = el("button", { type: "button", className: "link file-open", text: file.base, dataset: { name: file.name } });
      button.addEventListener("click", () => previewFile(file));
      list.append(el("li", { className: "file" }, [button, el("span", { className: "muted", text: " " + formatBytes(file.size) })]));
    }
  }
  async function previewFile(file) {
    const box = $("file-preview");
    const download = el("a", { className: "button secondary", href: fileUrl(file.name), download: file.base, text: "Download" });
    box.replaceChildren(el("div", { className: "preview-head" }, [el("h2", { text: file.name }), el("span", { className: "muted", text: formatBytes(file.size) }), download]));
    if (IMAGE.test(file.name)) {
      box.append(el("img", { className: "preview-image", src: fileUrl(file.name), alt: file.name }));
    } else if ((TEXT.test(file.name) || !/\./.test(file.base)) && (file.size || 0) <= PREVIEW_MAX) {
      const pre = el("pre", { className: "preview-text", text: "Loading…", tabindex: "0" });
      box.append(pre);
      try {
        const response = await fetch(fileUrl(file.name), { credentials: "same-origin" });
        if (!response.ok) throw new Error("The file could not be read (" + response.status + ").");
        pre.textContent = await response.text();
      } catch (error) {
        pre.textContent = error.message;
      }
    } else {
      box.append(el("p", { className: "muted", text: (file.size || 0) > PREVIEW_MAX ? "Too large to preview here: download it." : "No preview for this kind of file: download it." }));
    }
  }
  async function loadFiles() {
    try {
      const files = await api("files/");
      const list = $("file-tree");
      list.replaceChildren();
      if (!files.length) { list.append(el("li", { className: "muted", text: "No files uploaded yet: the SDK uploads them as the run goes and when it finishes." })); return; }
      renderFileTree(fileTree(files), list);
    } catch (error) {
      $("file-tree").replaceChildren(el("li", { className: "error", text: error.message }));
    }
  }
  openers.files = loadFiles;

  // --- media: logged images with a step slider ------------------------------------------------------
  async function loadMedia() {
    try {
      const data = await api("media/");
      const box = $("media");
      $("media-status").textContent = data.keys.length ? "" : "No images logged yet: wandb.log({\"samples\": wandb.Image(…)}) shows them here.";
      for (const group of data.keys) {
        let card = box.querySelector('.media-card[data-key="' + CSS.escape(group.key) + '"]');
        const keep = card ? Number(card.querySelector("input[type=range]").value) : null;
        const wasAtEnd = card ? keep === Number(card.querySelector("input[type=range]").max) : true;
        const items = group.items;
        const img = el("img", { className: "media-image", alt: "" });
        const caption = el("p", { className: "media-caption" });
        const slider = el("input", { type: "range", min: "0", max: String(items.length - 1), step: "1", "aria-label": group.key + ": step" });
        const show = () => {
          const item = items[Number(slider.value)];
          img.src = fileUrl(item.path);
          img.alt = group.key + " at step " + item.step + (item.caption ? ": " + item.caption : "");
          caption.textContent = "step " + item.step + (item.caption ? " · " + item.caption : "") + " (" + (Number(slider.value) + 1) + " of " + items.length + ")";
        };
        slider.value = String(wasAtEnd || keep === null ? items.length - 1 : Math.min(keep, items.length - 1));
        slider.addEventListener("input", show);
        const fresh = el("div", { className: "media-card card", dataset: { key: group.key } }, [el("h2", { text: group.key }), img, slider, caption]);
        if (card) card.replaceWith(fresh); else box.append(fresh);
        show();
      }
    } catch (error) {
      $("media-status").textContent = error.message;
    }
  }
  openers.media = loadMedia;

  // --- live updates while the run runs ----------------------------------------------------------------
  let lastRefresh = { charts: 0 };
  async function poll() {
    let fresh;
    try {
      fresh = await api("status/");
    } catch (error) {
      setTimeout(poll, POLL_MS * 3);
      return;
    }
    const before = status;
    status = fresh;
    durationBase = { seconds: status.duration_seconds, at: Date.now() };
    showState();
    tickDuration();
    trees.summary.data = status.summary;
    if (JSON.stringify(before.summary) !== JSON.stringify(status.summary)) renderTree(trees.summary.container, trees.summary.data, trees.summary.search.value);
    if (opened.has("logs") && status.console_lines !== before.console_lines) loadLogs();
    if (opened.has("system") && status.system_lines !== before.system_lines) {
      showSystemKeys(status.system_keys);
      redrawPanels("events");
    }
    if (opened.has("files") && status.files !== before.files) loadFiles();
    if (opened.has("media") && status.history_lines !== before.history_lines) loadMedia();
    if (opened.has("charts") && status.history_lines !== before.history_lines && Date.now() - lastRefresh.charts > 5000) {
      lastRefresh.charts = Date.now();
      for (const key of status.history_keys) addPanel($("charts"), "history", key, key, xAxisOf(key));
      redrawPanels("history");
    }
    if (status.state === "running") setTimeout(poll, POLL_MS);
  }
  if (status.state === "running") setTimeout(poll, POLL_MS);

  // Open the tab the address names (…/runs/<id>#logs).
  const wanted = tabs.find((tab) => "#" + tab.id.replace("tab-", "") === location.hash);
  selectTab(wanted || tabs[0], false);
})();
