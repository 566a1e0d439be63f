// The devices table: all rows client-side (1 000 rows are ~300 KB of JSON), search/filter/sort here,
// live changes from /fleet/devices/stream (server-sent events), redrawn at most every 200 ms.
"use strict";
(() => {
  const rows = new Map();           // device -> row
  let sortKey = "device", sortDir = 1, dirty = false, lastDraw = 0;
  const $ = (id) => document.getElementById(id);
  const tbody = document.querySelector("#devices tbody");
  const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));
  const ago = (t) => !t ? "never" : (() => { const s = Math.max(0, Date.now() / 1000 - t);
    return s < 90 ? `${s.toFixed(0)} s ago` : s < 5400 ? `${(s / 60).toFixed(0)} min ago` : `${(s / 3600).toFixed(1)} h ago`; })();
  const versions = (v) => Object.entries(v || {}).map(([k, x]) => `${k} ${x}`).join(", ");
  const value = (r, k) => k === "groups" ? r.groups.join(",") : k === "versions" ? versions(r.versions) :
    k === "online" ? (r.online ? 1 : 0) : (r[k] ?? "");

  function matches(r) {
    const q = $("q").value.trim().toLowerCase(), g = $("f-group").value, s = $("f-site").value, st = $("f-state").value;
    if (g && !r.groups.includes(g)) return false;
    if (s && r.site !== s) return false;
    if (st === "online" && !r.online) return false;
    if (st === "offline" && r.online) return false;
    if ((st === "bad" || st === "warn") && r.health !== st) return false;
    if (!q) return true;
    return `${r.device} ${r.site} ${r.groups.join(" ")} ${versions(r.versions)} ${r.hwtest}`.toLowerCase().includes(q);
  }
  function rowHtml(r) {
    const url = `${document.body.dataset.deviceBase || "/fleet/device/"}${encodeURIComponent(r.device)}`;
    return `<tr data-device="${esc(r.device)}"><td><a href="${url}">${esc(r.device)}</a></td><td>${esc(r.site)}</td>` +
      `<td>${esc(r.groups.join(", "))}</td><td class="${r.online ? "online" : "offline"}">${r.online ? "online" : "offline"}</td>` +
      `<td>${esc(versions(r.versions))}</td><td class="${esc(r.health)}">${esc(r.health)}</td>` +
      `<td class="${r.hwtest === "FAIL" ? "bad" : ""}">${esc(r.hwtest)}</td><td>${ago(r.last_seen)}</td>` +
      `<td>${r.fps ?? ""}</td><td>${r.answers ?? ""}</td><td class="${r.errors ? "warn" : ""}">${r.errors}</td></tr>`;
  }
  function fillFilters() {
    for (const [id, values] of [["f-group", new Set([...rows.values()].flatMap((r) => r.groups))],
                                ["f-site", new Set([...rows.values()].map((r) => r.site).filter(Boolean))]]) {
      const sel = $(id), have = new Set([...sel.options].map((o) => o.value));
      [...values].sort().filter((v) => !have.has(v)).forEach((v) => sel.add(new Option(v, v)));
    }
  }
  function draw() {
    dirty = false; lastDraw = performance.now();
    const list = [...rows.values()].filter(matches);
    list.sort((a, b) => { const x = value(a, sortKey), y = value(b, sortKey);
      return (x < y ? -1 : x > y ? 1 : 0) * sortDir || (a.device < b.device ? -1 : 1); });
    tbody.innerHTML = list.map(rowHtml).join("");
    $("count").textContent = `${list.length} shown of ${rows.size} (${[...rows.values()].filter((r) => r.online).length} online)`;
    fillFilters();
    if (rows.size && !document.body.dataset.tableFilled) document.body.dataset.tableFilled = String(performance.now());
    document.body.dataset.drawn = String(Date.now());
  }
  function schedule() {
    if (dirty) return;
    dirty = true;
    setTimeout(() => requestAnimationFrame(draw), Math.max(0, 200 - (performance.now() - lastDraw)));
  }
  function apply(msg) {
    if (msg.full) rows.clear();
    for (const [id, r] of Object.entries(msg.rows)) { if (r === null) rows.delete(id); else rows.set(id, r); }
    document.body.dataset.seq = String(msg.seq);
    schedule();
  }
  document.querySelectorAll("#devices th").forEach((th) => th.addEventListener("click", () => {
    sortDir = sortKey === th.dataset.key ? -sortDir : 1; sortKey = th.dataset.key; draw();
  }));
  ["q", "f-group", "f-site", "f-state"].forEach((id) => $(id).addEventListener("input", draw));
  const es = new EventSource(document.body.dataset.stream || "/fleet/devices/stream");
  es.addEventListener("rows", (ev) => apply(JSON.parse(ev.data)));
  es.onopen = () => { $("live").textContent = "live"; $("live").className = "online"; };
  es.onerror = () => { $("live").textContent = "reconnecting…"; $("live").className = "warn"; };
  setInterval(schedule, 10000);   // "last seen" ages move on
})();
