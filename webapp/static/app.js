// The Mini App: the customer table, the pipeline board, the dashboard and receivables. Telegram opens
// the page with its signed initData and theme in the URL fragment
// (#tgWebAppData=...&tgWebAppThemeParams=...); every API call carries the initData. Text
// from the server is only ever set as textContent, never parsed as HTML.
"use strict";

const fragment = new URLSearchParams(location.hash.slice(1));
const initData = fragment.get("tgWebAppData") || sessionStorage.getItem("initData") || "";
sessionStorage.setItem("initData", initData);
applyTheme(fragment.get("tgWebAppThemeParams"));

const state = { page: 1, pages: 1, view: "customers", card: null, me: null, words: {} };
const $ = (id) => document.getElementById(id);

function applyTheme(json) {
  let theme = {};
  try { theme = typeof json === "string" ? JSON.parse(json || "{}") : (json || {}); } catch (_) { return; }
  for (const [key, value] of Object.entries(theme)) {
    if (/^[a-z_]+$/.test(key) && /^#[0-9a-fA-F]{3,8}$/.test(value)) {
      document.documentElement.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), value);
    }
  }
}

Tg.on("theme_changed", (data) => applyTheme(data.theme_params));
Tg.on("viewport_changed", (data) => {
  if (data.is_state_stable && typeof data.height === "number") {
    document.documentElement.style.setProperty("--tg-viewport-stable-height", data.height + "px");
  }
});
Tg.on("safe_area_changed", (data) => {
  for (const side of ["top", "bottom", "left", "right"]) {
    if (typeof data[side] === "number") document.documentElement.style.setProperty("--tg-safe-area-inset-" + side, data[side] + "px");
  }
});

async function api(path, options = {}) {
  const answer = await fetch("api/" + path, {
    method: options.method || "GET",
    headers: { Authorization: "tma " + initData, ...(options.body ? { "Content-Type": "application/json" } : {}) },
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  const body = await answer.json();
  if (!answer.ok) throw new Error(body.error || answer.statusText);
  return body;
}

const say = (key, values = {}) => (state.words[key] || key).replace(/\{(\w+)\}/g, (_, name) => values[name]);

function toast(message) {
  $("toast").textContent = message;
  $("toast").hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { $("toast").hidden = true; }, 4000);
}

function option(select, value, label) {
  const element = document.createElement("option");
  element.value = value; element.textContent = label;
  select.appendChild(element);
}

// The member's words (their language, from the chat's catalog) and choices.
function translate(strings) {
  state.words = strings.text;
  for (const element of document.querySelectorAll("[data-s]")) element.textContent = say(element.dataset.s);
  for (const element of document.querySelectorAll("[data-s-placeholder]")) element.placeholder = say(element.dataset.sPlaceholder);
  for (const element of document.querySelectorAll("[data-s-aria]")) element.setAttribute("aria-label", say(element.dataset.sAria));
  for (const element of document.querySelectorAll("[data-field]")) element.textContent = strings.fields[element.dataset.field] || element.textContent;
  for (const [value, label] of Object.entries(strings.tiers)) option($("tier"), value, label);
  for (const [value, label] of Object.entries(strings.stages)) option($("stage"), value, label);
  for (const name of state.me.editable) option($("editfield"), name, strings.fields[name] || name);
}

function cell(row, text, wide) {
  const td = document.createElement("td");
  td.textContent = text || "";
  if (wide) td.className = "wide";
  row.appendChild(td);
}

async function load() {
  const query = new URLSearchParams({ page: String(state.page), sort: $("sort").value });
  if ($("q").value.trim()) query.set("q", $("q").value.trim());
  for (const name of FILTERS) if ($(name).value) query.set(name, $(name).value);
  if ($("quiet").checked) query.set("quiet_days", "30");
  if ($("requests").checked) query.set("open_requests", "1");
  try {
    const found = await api("customers?" + query);
    state.page = found.page; state.pages = found.pages;
    const strings = state.me.strings;
    const rows = $("rows");
    rows.replaceChildren();
    for (const customer of found.rows) {
      const tr = document.createElement("tr");
      tr.dataset.id = String(customer.id);
      cell(tr, customer.code); cell(tr, customer.name);
      cell(tr, customer.company, true); cell(tr, customer.region, true);
      cell(tr, strings.tiers[customer.tier] || customer.tier);
      cell(tr, strings.stages[customer.stage] || customer.stage); cell(tr, customer.owner, true);
      tr.addEventListener("click", () => openCard(customer.id));
      rows.appendChild(tr);
    }
    $("status").textContent = say("count", { count: found.total.toLocaleString() + (found.counted_all ? "" : "+") });
    $("pageinfo").textContent = found.page + " / " + found.pages;
  } catch (error) {
    $("status").textContent = error.message;
  }
}

const FILTERS = ["tier", "stage", "region", "tag", "owner", "segment"];

// The menus offer only what is there: the regions and tags of the customers the member
// sees, the members (managers), the team's saved segments.
async function loadChoices() {
  const found = await api("choices");
  for (const { value, count } of found.regions) option($("region"), value, `${value} (${count})`);
  for (const { value, count } of found.tags) option($("tag"), value, `#${value} (${count})`);
  for (const { value, name } of found.owners) option($("owner"), value, name);
  for (const { value, name } of found.segments) option($("segment"), value, name);
  $("owner").hidden = !found.owners.length;
  $("segment").hidden = !found.segments.length;
}

async function openCard(id) {
  const card = await api("customers/" + id);
  showCard(card);
  $("drawer").hidden = false;
  Tg.backButton(closeCard);
  Tg.bottomButton(say("save"), saveEdit);
}

function showCard(card) {
  state.card = card;
  const strings = state.me.strings;
  $("cardname").textContent = card.code + " " + card.name;
  const shown = { ...card.fields, phone: card.phones.join(", "), email: card.emails.join(", "),
                  tags: card.tags.join(", "), owner: card.owner };
  shown.tier = strings.tiers[shown.tier] || shown.tier;
  shown.stage = strings.stages[shown.stage] || shown.stage;
  const fields = $("cardfields");
  fields.replaceChildren();
  for (const [name, value] of Object.entries(shown)) {
    if (value === null || value === "") continue;
    const dt = document.createElement("dt"); dt.textContent = strings.fields[name] || name;
    const dd = document.createElement("dd"); dd.textContent = shownValue(value);
    fields.append(dt, dd);
  }
  const owed = Object.entries(card.owed).map(([currency, minor]) => money(minor, currency));
  if (owed.length) {
    const dt = document.createElement("dt"); dt.textContent = say("owed");
    const dd = document.createElement("dd"); dd.textContent = owed.join(" + ");
    fields.append(dt, dd);
  }
  list($("cardrequests"), card.requests.map((r) => `#${r.id} ${strings.request_kinds[r.kind] || r.kind} · ` +
    `${strings.priorities[r.priority] || r.priority} · ${r.problem}` + (r.due_at ? ` · ${shownValue(r.due_at)}` : "")));
  list($("carddeals"), card.deals.map((d) => `${d.title} · ${strings.deal_stages[d.stage] || d.stage}` +
    (d.value_minor ? ` · ${money(d.value_minor, d.currency)}` : "")));
  list($("cardfollowups"), card.followups.map((f) => shownValue(f.due_at) + " " + f.text));
  list($("cardtimeline"), card.timeline.map((t) => `${shownValue(t.at)} ${strings.kinds[t.kind] || t.kind}: ${t.summary || ""}`));
  fillEdit();
}

// The edit form starts with the chosen field's current value.
function fillEdit() {
  const card = state.card, name = $("editfield").value;
  const current = name === "phone" ? card.phones.join(", ") : name === "email" ? card.emails.join(", ")
    : card.fields[name];
  $("editvalue").value = current === null || current === undefined ? "" : String(current);
}

async function saveEdit(event) {
  if (event) event.preventDefault();
  try {
    showCard(await api("customers/" + state.card.id, {
      method: "PATCH", body: { field: $("editfield").value, value: $("editvalue").value } }));
    toast(say("saved"));
    load();
  } catch (error) {
    toast(error.message);
  }
}

function closeCard() {
  $("drawer").hidden = true;
  state.card = null;
  Tg.bottomButton("", null);
  Tg.backButton(state.view === "customers" ? null : () => show("customers"));
}

function money(minor, currency) {
  return (minor / 100).toLocaleString(undefined, { maximumFractionDigits: 2 }) + " " + currency;
}

// An ISO time from the API as "2026-11-20 10:00" (the server sends UTC with its offset).
function shownValue(value) {
  const text = String(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text)) return text;
  const at = new Date(text);
  const pad = (n) => String(n).padStart(2, "0");
  return at.getFullYear() + "-" + pad(at.getMonth() + 1) + "-" + pad(at.getDate()) + " " +
    pad(at.getHours()) + ":" + pad(at.getMinutes());
}

function list(element, lines) {
  element.replaceChildren(...lines.map((line) => {
    const li = document.createElement("li"); li.textContent = line; return li;
  }));
}

// The board: a column a stage; a card moves by drag and drop (desktop) or by its stage
// menu (phones). The move names the stage the member saw, so a deal someone else moved
// first is refused with the chat's sentence, and the board is read again.
async function loadBoard() {
  const mine = document.querySelector("input[name=scope]:checked").value === "mine";
  const board = await api("board" + (mine ? "?mine=1" : ""));
  const strings = state.me.strings;
  const columns = $("columns");
  columns.replaceChildren();
  for (const column of board.columns) {
    const box = document.createElement("div");
    box.className = "column"; box.dataset.stage = column.stage;
    const heading = document.createElement("h3");
    const sums = Object.entries(column.totals).map(([currency, minor]) => money(minor, currency)).join(" + ");
    heading.textContent = `${strings.deal_stages[column.stage]} · ${column.count}` + (sums ? ` · ${sums}` : "");
    box.appendChild(heading);
    for (const deal of column.deals) box.appendChild(dealCard(deal));
    if (column.count > column.deals.length) {
      const more = document.createElement("p");
      more.className = "hint"; more.textContent = say("more", { count: column.count - column.deals.length });
      box.appendChild(more);
    }
    box.addEventListener("dragover", (event) => event.preventDefault());
    box.addEventListener("drop", (event) => {
      event.preventDefault();
      const [id, from] = event.dataTransfer.getData("text/plain").split(":");
      if (from !== column.stage) moveDeal(Number(id), from, column.stage);
    });
    columns.appendChild(box);
  }
}

function dealCard(deal) {
  const strings = state.me.strings;
  const card = document.createElement("div");
  card.className = "deal" + (deal.late ? " late" : "");
  card.draggable = true; card.dataset.id = String(deal.id);
  const title = document.createElement("strong"); title.textContent = deal.title;
  const who = document.createElement("span"); who.textContent = deal.customer;
  who.className = "link"; who.addEventListener("click", () => openCard(deal.customer_id));
  const facts = document.createElement("small");
  facts.textContent = [deal.value_minor ? money(deal.value_minor, deal.currency) : "", deal.close_on || "", deal.owner || ""]
    .filter(Boolean).join(" · ");
  const menu = document.createElement("select");
  menu.setAttribute("aria-label", say("move_to"));
  option(menu, "", say("move_to") + "…");
  for (const stage of state.me.stages) if (stage !== deal.stage) option(menu, stage, strings.deal_stages[stage]);
  menu.addEventListener("change", () => { if (menu.value) moveDeal(deal.id, deal.stage, menu.value); });
  card.addEventListener("dragstart", (event) => event.dataTransfer.setData("text/plain", `${deal.id}:${deal.stage}`));
  card.append(title, who, facts, menu);
  return card;
}

async function moveDeal(id, expected, to) {
  try {
    await api(`deals/${id}/move`, { method: "POST", body: { expected, to } });
    toast(say("moved", { stage: state.me.strings.deal_stages[to] }));
  } catch (error) {
    toast(error.message);
  }
  await loadBoard();
}

async function loadDashboard() {
  const [charts, targets] = await Promise.all([api("dashboard"), api("targets")]);
  showTargets(targets);
  $("charts").replaceChildren(...charts.map((chart) => Charts.figure(chart, say("nothing"))));
}

// This month's targets (the chat's /targets): a bar a member and metric, filled to what
// was done, with a mark where the even pace is today; the team's totals and ranking.
function showTargets(found) {
  const box = $("targets");
  if (!found.rows.length) { box.replaceChildren(); return; }
  const parts = [element("h3", found.title)];
  const bar = (row, title) => {
    const item = element("div", ""); item.className = "target";
    item.appendChild(element("span", title));
    const track = element("div", ""); track.className = "bar";
    const fill = element("i", ""); fill.style.width = `${Math.min(row.share, 1) * 100}%`;
    if (row.share < row.pace) fill.className = "behind";
    const pace = element("b", ""); pace.style.left = `${Math.min(row.pace, 1) * 100}%`;
    track.append(fill, pace);
    item.append(track, element("small", row.text));
    return item;
  };
  for (const row of found.rows) parts.push(bar(row, `${row.name} · ${row.metric}`));
  for (const row of found.totals) parts.push(bar(row, `Σ · ${row.metric}`));
  if (found.ranking.length) parts.push(element("p", "🏆 " + found.ranking.join(" · ")));
  box.replaceChildren(...parts);
}

function element(tag, text) {
  const made = document.createElement(tag);
  if (text) made.textContent = text;
  return made;
}

// What customers owe by how late (the chat's /receivables): a table a currency, and one
// an owner for a manager; this month's collection below.
async function loadMoney() {
  const found = await api("receivables");
  const strings = state.me.strings;
  const tables = [];
  const table = (title, byCurrency) => {
    for (const [currency, buckets] of Object.entries(byCurrency)) {
      const total = Object.values(buckets).reduce((a, b) => a + b, 0);
      if (!total) continue;
      const element = document.createElement("table");
      element.className = "aging";
      const caption = document.createElement("caption");
      caption.textContent = (title ? title + " · " : "") + money(total, currency);
      element.appendChild(caption);
      for (const key of found.buckets) {
        if (!buckets[key]) continue;
        const tr = document.createElement("tr");
        cell(tr, strings.buckets[key] || key); cell(tr, money(buckets[key], currency));
        if (key !== found.buckets[0]) tr.className = "late";
        element.appendChild(tr);
      }
      tables.push(element);
    }
  };
  table("", found.totals);
  for (const [owner, byCurrency] of Object.entries(found.owners)) {
    if (Object.keys(found.owners).length > 1) table(owner, byCurrency);
  }
  const lines = Object.entries(found.month).map(([currency, [due, paid]]) => {
    const p = document.createElement("p");
    p.className = "hint";
    p.textContent = say("month_rate", { paid: money(paid, currency), due: money(due, currency),
                                        rate: Math.round(100 * paid / due) + "%" });
    return p;
  });
  if (!tables.length) {
    const p = document.createElement("p"); p.textContent = say("nothing_owed"); tables.push(p);
  }
  $("aging").replaceChildren(...tables, ...lines);
}

// An uploaded sheet's columns, as the chat's mapping card: a field menu a column (a
// change is saved at once, as the card's buttons do), and the preview's counts.
async function openImport(id) {
  state.importId = id;
  showImport(await api("imports/" + id));
  for (const name of Object.keys(LOADERS)) $(name).hidden = true;
  for (const tab of document.querySelectorAll("#tabs button")) tab.removeAttribute("aria-current");
  $("import").hidden = false;
  Tg.backButton(() => { $("import").hidden = true; show("customers"); });
}

function showImport(found) {
  $("importname").textContent = found.file_name;
  $("importfacts").textContent = say("im_header", { row: found.header_row, rows: found.rows.toLocaleString() }) +
    (found.sheets.length > 1 ? " · " + found.sheet : "");
  const warning = !found.open ? say("im_closed") : found.has_name ? "" : say("im_no_name");
  $("importwarning").textContent = warning; $("importwarning").hidden = !warning;
  $("importpreview").disabled = !found.open || !found.has_name;
  const rows = document.querySelector("#importcolumns tbody");
  rows.replaceChildren();
  for (const column of found.columns) {
    const tr = document.createElement("tr");
    cell(tr, column.header); cell(tr, column.samples.join(" · "));
    const td = document.createElement("td");
    const menu = document.createElement("select");
    menu.setAttribute("aria-label", column.header);
    option(menu, "", "— " + say("im_ignored"));
    for (const field of found.fields) option(menu, field.value, field.label);
    menu.value = column.field || "";
    menu.disabled = !found.open;
    menu.addEventListener("change", () => mapColumn(column.index, menu.value || null));
    td.appendChild(menu); tr.appendChild(td);
    rows.appendChild(tr);
  }
  if (found.preview) showPreview(found.preview);
}

async function mapColumn(index, field) {
  try {
    showImport(await api("imports/" + state.importId, { method: "PATCH", body: { column: index, field } }));
    $("importchecked").replaceChildren();
    toast(say("saved"));
  } catch (error) {
    toast(error.message);
  }
}

function showPreview(p) {
  const lines = [];
  if (p.rows) {
    lines.push(say("pv_rows", { rows: p.rows, valid: p.valid, invalid: p.invalid }), say("pv_new", { new: p.new }));
    for (const kind of p.duplicates) if (kind.count) lines.push(`${kind.title}: ${kind.count} → ${kind.choice}`);
    lines.push(say("pv_history", { contacts: p.last_contacts, followups: p.followups, notes: p.notes }));
  }
  if (p.logs) lines.push(say("pv_logs", { rows: p.logs, invalid: p.logs_invalid }));
  if (p.problems.length) lines.push(say("pv_problems") + ":", ...p.problems.map((problem) => say("pv_row", { row: problem.row, problem: problem.text })));
  list($("importchecked"), lines);
}

const LOADERS = { customers: load, board: loadBoard, dashboard: loadDashboard, money: loadMoney };

function show(view) {
  state.view = view;
  $("import").hidden = true;
  for (const name of Object.keys(LOADERS)) $(name).hidden = name !== view;
  for (const tab of document.querySelectorAll("#tabs button")) {
    if (tab.dataset.view === view) tab.setAttribute("aria-current", "page"); else tab.removeAttribute("aria-current");
  }
  if (!$("drawer").hidden) closeCard();
  Tg.backButton(view === "customers" ? null : () => show("customers"));
  LOADERS[view]().catch((error) => toast(error.message));
}

async function start() {
  Tg.ready();
  try {
    state.me = await api("me");
  } catch (error) {
    $("status").textContent = error.message;
    return;
  }
  document.documentElement.lang = state.me.language.startsWith("zh") ? "zh" : "en";
  translate(state.me.strings);
  if (!state.me.manager) $("boardscope").hidden = true;
  let typing;
  $("q").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(() => { state.page = 1; load(); }, 250); });
  for (const id of [...FILTERS, "sort", "quiet", "requests"]) $(id).addEventListener("change", () => { state.page = 1; load(); });
  $("prev").addEventListener("click", () => { if (state.page > 1) { state.page--; load(); } });
  $("next").addEventListener("click", () => { if (state.page < state.pages) { state.page++; load(); } });
  $("close").addEventListener("click", closeCard);
  $("editfield").addEventListener("change", fillEdit);
  $("editform").addEventListener("submit", saveEdit);
  for (const tab of document.querySelectorAll("#tabs button")) tab.addEventListener("click", () => show(tab.dataset.view));
  for (const radio of document.querySelectorAll("input[name=scope]")) radio.addEventListener("change", () => loadBoard());
  $("importpreview").addEventListener("click", async () => {
    try { showImport(await api(`imports/${state.importId}?preview=1`)); } catch (error) { toast(error.message); }
  });
  await Promise.all([load(), loadChoices()]);
  // The chat's buttons open the app at a customer (?customer=ID) or an import (?job=ID).
  const asked = new URLSearchParams(location.search);
  if (Number(asked.get("customer")) > 0) openCard(Number(asked.get("customer"))).catch((error) => toast(error.message));
  if (Number(asked.get("job")) > 0) openImport(Number(asked.get("job"))).catch((error) => toast(error.message));
}

start();
