// The runs table: every query goes to the REST API (/api/v1/teams/<team>/projects/<project>/runs/),
// which filters, sorts, groups and counts in the database. This file only builds the request and
// draws the page it gets back. Data is written with textContent, never as HTML.
(function () {
  "use strict";
  const root = document.getElementById("runs-table");
  if (!root) return;
  const config = JSON.parse(document.getElementById("rt-config").textContent);
  const csrf = root.dataset.csrf;
  const $ = (id) => document.getElementById(id);
  const OPERATORS = [
    ["$eq", "="], ["$ne", "≠"], ["$gt", ">"], ["$gte", "≥"], ["$lt", "<"], ["$lte", "≤"],
    ["$regex", "matches"], ["$in", "in (a, b, …)"], ["$exists", "exists"], ["$nexists", "is missing"],
  ];
  const state = {
    search: "", filterRows: [], rawFilter: null, order: config.defaultOrder.slice(), columns: config.columns.slice(),
    groupBy: "", agg: "", limit: 50, offset: 0, view: null,
  };
  let views = [];

  // --- requests ----------------------------------------------------------------------------
  async function api(path, options = {}) {
    const headers = { Accept: "application/json" };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (options.method && options.method !== "GET") headers["X-CSRFToken"] = csrf;
    const response = await fetch(config.api + path, {
      method: options.method || "GET", headers, credentials: "same-origin",
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    if (response.status === 204) return null;
    const data = await response.json().catch(() => ({ detail: response.statusText }));
    if (!response.ok) throw new Error(describeError(data));
    return data;
  }

  function describeError(data) {
    if (data && data.errors) {
      return Object.entries(data.errors).map(([field, msgs]) => field + ": " + [].concat(msgs).join("; ")).join(" · ");
    }
    return (data && data.detail) || "The request failed.";
  }

  function parseValue(text) {
    const trimmed = text.trim();
    if (trimmed === "") return "";
    try { return JSON.parse(trimmed); } catch (e) { return trimmed; } // 0.1, true, null, "quoted" — or plain text
  }

  function currentFilter() {
    if (state.rawFilter) return state.rawFilter;
    const parts = state.filterRows.filter((r) => r.field).map((r) => {
      if (r.op === "$exists") return { [r.field]: { $exists: true } };
      if (r.op === "$nexists") return { [r.field]: { $exists: false } };
      if (r.op === "$in") return { [r.field]: { $in: r.value.split(",").map(parseValue) } };
      if (r.op === "$regex") return { [r.field]: { $regex: r.value, $options: "i" } };
      return { [r.field]: { [r.op]: parseValue(r.value) } };
    });
    if (parts.length === 0) return {};
    return parts.length === 1 ? parts[0] : { $and: parts };
  }

  function params(extra = {}) {
    const p = new URLSearchParams();
    const filter = currentFilter();
    if (Object.keys(filter).length) p.set("filters", JSON.stringify(filter));
    if (state.search) p.set("search", state.search);
    if (state.order.length) p.set("order", state.order.join(","));
    p.set("columns", state.columns.join(","));
    for (const [k, v] of Object.entries(extra)) if (v !== "" && v !== undefined) p.set(k, v);
    return p;
  }

  // --- drawing ---------------------------------------------------------------------------
  function text(tag, value, className) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    el.textContent = value;
    return el;
  }

  function cellFor(value) {
    const td = document.createElement("td");
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
      value.forEach((tag) => td.appendChild(text("span", tag, "tag")));
    } else if (typeof value === "number") {
      td.className = "num";
      td.textContent = Number.isInteger(value) ? String(value) : value.toPrecision(6).replace(/\.?0+$/, "");
      td.title = String(value);
    } else if (value === null || value === undefined) {
      td.textContent = "";
    } else {
      td.textContent = typeof value === "object" ? JSON.stringify(value) : String(value);
      td.title = td.textContent;
    }
    return td;
  }

  function sortMark(label) {
    const i = state.order.findIndex((o) => o.replace(/^[+-]/, "") === label);
    if (i < 0) return "";
    const arrow = state.order[i].startsWith("-") ? "▼" : "▲";
    return state.order.length > 1 ? arrow + (i + 1) : arrow;
  }

  function onHeaderClick(label, event) {
    const i = state.order.findIndex((o) => o.replace(/^[+-]/, "") === label);
    const next = i >= 0 && !state.order[i].startsWith("-") ? "-" + label : label;
    if (event.shiftKey) {
      if (i >= 0) state.order[i] = next; else state.order.push(label);
    } else {
      state.order = [i >= 0 ? next : label];
    }
    state.offset = 0;
    refresh();
  }

  function drawRuns(data) {
    const thead = $("rt-table").tHead, tbody = $("rt-table").tBodies[0];
    thead.replaceChildren(); tbody.replaceChildren();
    const tr = document.createElement("tr");
    ["name", ...data.columns].forEach((label) => {
      const th = text("th", label);
      th.dataset.column = label;
      th.appendChild(text("span", sortMark(label), "sort"));
      th.addEventListener("click", (e) => onHeaderClick(label, e));
      tr.appendChild(th);
    });
    thead.appendChild(tr);
    data.results.forEach((row) => {
      const r = document.createElement("tr");
      r.dataset.run = row.name;
      r.appendChild(cellFor(row.name));
      data.columns.forEach((c) => r.appendChild(cellFor(row[c])));
      tbody.appendChild(r);
    });
    drawPager(data.count, data.results.length, "runs", data.count_exact !== false, data.has_more);
  }

  function drawGroups(data) {
    const thead = $("rt-table").tHead, tbody = $("rt-table").tBodies[0];
    thead.replaceChildren(); tbody.replaceChildren();
    const labels = [data.group_by, "runs"].concat(data.agg ? ["mean " + data.agg, "min", "max"] : []);
    const tr = document.createElement("tr");
    labels.forEach((l) => tr.appendChild(text("th", l)));
    thead.appendChild(tr);
    data.groups.forEach((g) => {
      const r = document.createElement("tr");
      r.dataset.group = g.missing ? "" : JSON.stringify(g.value);
      r.appendChild(g.missing ? text("td", "(not set)", "muted") : cellFor(g.value));
      r.appendChild(cellFor(g.count));
      if (data.agg) ["mean", "min", "max"].forEach((k) => r.appendChild(cellFor(g[k])));
      tbody.appendChild(r);
    });
    drawPager(data.count, data.groups.length, "groups");
  }

  // exact false: the count is the database's estimate (a huge project), said as "about N"; paging
  // then follows has_more. The "exact count" button asks for it once (count=exact).
  function drawPager(count, shown, noun, exact = true, hasMore = undefined) {
    const from = shown ? state.offset + 1 : 0;
    const total = exact ? `${count}` : `about ${count}`;
    $("rt-page").textContent = `${from}–${state.offset + shown} of ${total} ${noun}`;
    $("rt-prev").disabled = state.offset === 0;
    $("rt-next").disabled = hasMore === undefined ? state.offset + shown >= count : !hasMore;
    $("rt-exact").hidden = exact;
  }

  let inflight = 0;
  async function refresh(exactCount = false) {
    const ticket = ++inflight;
    $("rt-csv").href = config.api + "runs.csv?" + params().toString();
    $("rt-filter-summary").textContent = Object.keys(currentFilter()).length ? JSON.stringify(currentFilter()) : "";
    try {
      const p = params({ group_by: state.groupBy, agg: state.groupBy ? state.agg : "", limit: state.limit, offset: state.offset });
      if (exactCount === true) p.set("count", "exact");
      const data = await api("runs-table/?" + p.toString());
      if (ticket !== inflight) return; // a newer request superseded this one
      $("rt-error").hidden = true;
      if (data.groups) drawGroups(data); else drawRuns(data);
      $("rt-status").textContent = "";
    } catch (err) {
      if (ticket !== inflight) return;
      $("rt-error").textContent = err.message;
      $("rt-error").hidden = false;
    }
  }

  // --- filters -----------------------------------------------------------------------------
  function fieldList() {
    let list = document.getElementById("rt-fields");
    if (!list) {
      list = document.createElement("datalist");
      list.id = "rt-fields";
      config.available.forEach((c) => list.appendChild(new Option(c.label)));
      root.appendChild(list);
    }
    return list.id;
  }

  function drawFilterRows() {
    const box = $("rt-filter-rows");
    box.replaceChildren();
    state.filterRows.forEach((row, i) => {
      const div = document.createElement("div");
      div.className = "filter-row";
      const field = document.createElement("input");
      field.className = "field"; field.setAttribute("list", fieldList()); field.value = row.field;
      field.placeholder = "config.lr, summary_metrics.acc, state…"; field.setAttribute("aria-label", "Filter field");
      const op = document.createElement("select");
      op.setAttribute("aria-label", "Operator");
      OPERATORS.forEach(([v, l]) => op.appendChild(new Option(l, v, false, v === row.op)));
      const value = document.createElement("input");
      value.value = row.value; value.placeholder = "value"; value.setAttribute("aria-label", "Filter value");
      const remove = text("button", "✕"); remove.type = "button"; remove.className = "secondary";
      remove.setAttribute("aria-label", "Remove filter");
      const changed = () => {
        row.field = field.value.trim(); row.op = op.value; row.value = value.value;
        value.hidden = op.value === "$exists" || op.value === "$nexists";
        state.rawFilter = null; state.offset = 0; refresh();
      };
      field.addEventListener("change", changed); op.addEventListener("change", changed); value.addEventListener("change", changed);
      remove.addEventListener("click", () => { state.filterRows.splice(i, 1); drawFilterRows(); state.rawFilter = null; refresh(); });
      value.hidden = row.op === "$exists" || row.op === "$nexists";
      div.append(field, op, value, remove);
      box.appendChild(div);
    });
  }

  // --- columns -------------------------------------------------------------------------------
  function drawColumnList() {
    const box = $("rt-column-list"), needle = $("rt-column-search").value.toLowerCase();
    box.replaceChildren();
    config.available.filter((c) => c.label.toLowerCase().includes(needle)).forEach((c) => {
      const label = document.createElement("label");
      const check = document.createElement("input");
      check.type = "checkbox"; check.checked = state.columns.includes(c.label); check.value = c.label;
      check.addEventListener("change", async () => {
        state.columns = check.checked ? [...state.columns, c.label] : state.columns.filter((x) => x !== c.label);
        try { await api("runs-table/columns/", { method: "PUT", body: { columns: state.columns } }); } catch (err) { showError(err); }
        refresh();
      });
      label.append(check, " " + c.label);
      box.appendChild(label);
    });
  }

  function drawGroupChoices() {
    const group = $("rt-group"), agg = $("rt-agg");
    config.available.filter((c) => c.label !== "tags" && c.source !== "summary").forEach((c) => group.appendChild(new Option(c.label)));
    config.available.filter((c) => c.source === "summary").forEach((c) => agg.appendChild(new Option(c.label)));
  }

  // --- saved views -------------------------------------------------------------------------------
  async function loadViews(selectId) {
    views = await api("views/");
    const select = $("rt-views");
    select.replaceChildren(new Option("(unsaved)", ""));
    views.forEach((v) => select.appendChild(new Option(v.name, String(v.id), false, v.id === selectId)));
    $("rt-delete-view").disabled = !select.value;
  }

  function applyView(view) {
    state.rawFilter = Object.keys(view.filters || {}).length ? view.filters : null;
    state.filterRows = [];
    state.search = view.search || ""; $("rt-search").value = state.search;
    state.order = view.order && view.order.length ? view.order.slice() : config.defaultOrder.slice();
    if (view.columns && view.columns.length) state.columns = view.columns.slice();
    state.groupBy = view.group_by || ""; $("rt-group").value = state.groupBy;
    state.agg = view.agg || ""; $("rt-agg").value = state.agg;
    $("rt-filter-json").value = state.rawFilter ? JSON.stringify(state.rawFilter) : "";
    state.offset = 0;
    drawFilterRows(); drawColumnList(); refresh();
  }

  function showError(err) { $("rt-error").textContent = err.message; $("rt-error").hidden = false; }

  // --- wiring --------------------------------------------------------------------------------------
  let searchTimer;
  $("rt-search").addEventListener("input", (e) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => { state.search = e.target.value.trim(); state.offset = 0; refresh(); }, 250);
  });
  $("rt-add-filter").addEventListener("click", () => { state.filterRows.push({ field: "", op: "$eq", value: "" }); drawFilterRows(); });
  $("rt-apply-json").addEventListener("click", () => {
    const raw = $("rt-filter-json").value.trim();
    try {
      state.rawFilter = raw ? JSON.parse(raw) : null;
    } catch (err) { showError(new Error("filters: not valid JSON")); return; }
    state.filterRows = []; drawFilterRows(); state.offset = 0; refresh();
  });
  $("rt-column-search").addEventListener("input", drawColumnList);
  $("rt-group").addEventListener("change", (e) => { state.groupBy = e.target.value; state.offset = 0; refresh(); });
  $("rt-agg").addEventListener("change", (e) => { state.agg = e.target.value; refresh(); });
  $("rt-prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - state.limit); refresh(); });
  $("rt-next").addEventListener("click", () => { state.offset += state.limit; refresh(); });
  $("rt-exact").addEventListener("click", () => refresh(true));
  $("rt-views").addEventListener("change", (e) => {
    const view = views.find((v) => String(v.id) === e.target.value);
    $("rt-delete-view").disabled = !view;
    if (view) applyView(view);
  });
  $("rt-save-view").addEventListener("click", async () => {
    const name = window.prompt("Name this view");
    if (!name) return;
    const body = {
      name, filters: currentFilter(), order: state.order, search: state.search, columns: state.columns,
      group_by: state.groupBy, agg: state.groupBy ? state.agg : "",
    };
    try { const view = await api("views/", { method: "POST", body }); await loadViews(view.id); } catch (err) { showError(err); }
  });
  $("rt-delete-view").addEventListener("click", async () => {
    const id = $("rt-views").value;
    if (!id) return;
    try { await api(`views/${id}/`, { method: "DELETE" }); await loadViews(null); } catch (err) { showError(err); }
  });

  drawGroupChoices();
  drawFilterRows();
  drawColumnList();
  loadViews(null).catch(showError);
  refresh();
})();
