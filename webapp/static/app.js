// The customer table. Telegram opens the page with its signed initData and theme in the
// URL fragment (#tgWebAppData=...&tgWebAppThemeParams=...); every API call carries the
// initData. Text from the server is only ever set as textContent, never parsed as HTML.
"use strict";

const fragment = new URLSearchParams(location.hash.slice(1));
const initData = fragment.get("tgWebAppData") || sessionStorage.getItem("initData") || "";
sessionStorage.setItem("initData", initData);
applyTheme(fragment.get("tgWebAppThemeParams"));

const state = { page: 1, pages: 1 };
const $ = (id) => document.getElementById(id);

function applyTheme(json) {
  let theme = {};
  try { theme = JSON.parse(json || "{}"); } catch (_) { return; }
  for (const [key, value] of Object.entries(theme)) {
    if (/^[a-z_]+$/.test(key) && /^#[0-9a-fA-F]{3,8}$/.test(value)) {
      document.documentElement.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), value);
    }
  }
}

async function api(path) {
  const answer = await fetch("api/" + path, { headers: { Authorization: "tma " + initData } });
  const body = await answer.json();
  if (!answer.ok) throw new Error(body.error || answer.statusText);
  return body;
}

function cell(row, text, wide) {
  const td = document.createElement("td");
  td.textContent = text || "";
  if (wide) td.className = "wide";
  row.appendChild(td);
}

async function load() {
  const query = new URLSearchParams({ page: String(state.page) });
  if ($("q").value.trim()) query.set("q", $("q").value.trim());
  for (const name of ["tier", "stage"]) if ($(name).value) query.set(name, $(name).value);
  if ($("quiet").checked) query.set("quiet_days", "30");
  try {
    const found = await api("customers?" + query);
    state.page = found.page; state.pages = found.pages;
    const rows = $("rows");
    rows.replaceChildren();
    for (const customer of found.rows) {
      const tr = document.createElement("tr");
      tr.dataset.id = String(customer.id);
      cell(tr, customer.code); cell(tr, customer.name);
      cell(tr, customer.company, true); cell(tr, customer.region, true);
      cell(tr, customer.tier); cell(tr, customer.stage); cell(tr, customer.owner, true);
      tr.addEventListener("click", () => openCard(customer.id));
      rows.appendChild(tr);
    }
    $("status").textContent = found.total.toLocaleString() + (found.counted_all ? "" : "+") + " customers";
    $("pageinfo").textContent = found.page + " / " + found.pages;
  } catch (error) {
    $("status").textContent = error.message;
  }
}

async function openCard(id) {
  const card = await api("customers/" + id);
  $("cardname").textContent = card.code + " " + card.name;
  const fields = $("cardfields");
  fields.replaceChildren();
  const shown = { ...card.fields, phones: card.phones.join(", "), emails: card.emails.join(", "),
                  tags: card.tags.join(", "), owner: card.owner };
  for (const [name, value] of Object.entries(shown)) {
    if (value === null || value === "") continue;
    const dt = document.createElement("dt"); dt.textContent = name;
    const dd = document.createElement("dd"); dd.textContent = shownValue(value);
    fields.append(dt, dd);
  }
  list($("cardfollowups"), card.followups.map((f) => shownValue(f.due_at) + " " + f.text));
  list($("cardtimeline"), card.timeline.map((t) => shownValue(t.at) + " " + t.kind + ": " + t.summary));
  $("drawer").hidden = false;
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

let typing;
$("q").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(() => { state.page = 1; load(); }, 250); });
for (const id of ["tier", "stage", "quiet"]) $(id).addEventListener("change", () => { state.page = 1; load(); });
$("prev").addEventListener("click", () => { if (state.page > 1) { state.page--; load(); } });
$("next").addEventListener("click", () => { if (state.page < state.pages) { state.page++; load(); } });
$("close").addEventListener("click", () => { $("drawer").hidden = true; });
load();
