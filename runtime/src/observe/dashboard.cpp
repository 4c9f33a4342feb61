#include "observe/dashboard.hpp"

namespace troupe::observe {

namespace {

constexpr std::string_view page = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>troupe dashboard</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.3em;margin:0 0 .2em} h2{font-size:1.05em;margin:1.2em 0 .4em}
table{border-collapse:collapse} td,th{padding:.2em .8em;text-align:left;border-bottom:1px solid #ddd}
th{font-weight:600;color:#555} .up{color:#080;font-weight:600} .down,.removed{color:#c00;font-weight:600}
.suspect,.leaving,.joining{color:#c80;font-weight:600} #status{color:#666}
.charts{display:flex;flex-wrap:wrap;gap:1em} .chart{background:#fff;border:1px solid #ddd;padding:.4em}
.chart b{display:block;font-size:.9em} svg{display:block} #events li{font-family:monospace}
</style></head>
<body data-source="" data-up="0">
<h1>troupe cluster</h1>
<div id="status">connecting...</div>
<h2>Members</h2>
<table id="members"><thead><tr><th>name</th><th>state</th><th>role</th><th>actors</th>
<th>backlog</th><th>msgs in/s</th><th>msgs out/s</th><th>restarts</th><th>endpoint</th></tr></thead>
<tbody></tbody></table>
<h2>Message rates (in, per node, last 2 min)</h2><div class="charts" id="rates"></div>
<h2>Agent backlogs (per node)</h2><div class="charts" id="backlogs"></div>
<h2>Supervisors</h2><table id="sups"><thead><tr><th>node</th><th>supervisor</th>
<th>restarts</th><th>escalations</th></tr></thead><tbody></tbody></table>
<h2>Work queues</h2><table id="queues"><thead><tr><th>node</th><th>queue</th><th>ready</th>
<th>leased</th><th>acked</th><th>redelivered</th><th>dead letters</th></tr></thead><tbody></tbody></table>
<h2>Member events</h2><ul id="events"></ul>
<script>
"use strict";
// ?api=URL,URL...: endpoints to read before this page's own origin (a page
// saved to a file, or opened from a node that is gone).
const api = new URLSearchParams(location.search).get("api");
const first = api ? api.split(",").filter(u => u).map(u => u.endsWith("/") ? u : u + "/") : [];
if (location.protocol.startsWith("http")) first.push(location.origin + "/");
const S = {sources: first, cur: 0, members: [], nodes: {},
           prev: {}, hist: {}, states: {}, events: []};
const N = 120;
function esc(s) { return String(s).replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;"}[c])); }
async function getJSON(url, ms) {
  const c = new AbortController(); const t = setTimeout(() => c.abort(), ms);
  try { const r = await fetch(url, {signal: c.signal, cache: "no-store"});
        if (!r.ok) throw new Error("HTTP " + r.status); return await r.json(); }
  finally { clearTimeout(t); }
}
function metric(node, name, label, value) {
  let sum = 0;
  for (const m of node.metrics || [])
    if (m.name === name && (!label || m.labels[label] === value)) sum += m.value;
  return sum;
}
function push(key, v) { const h = S.hist[key] || (S.hist[key] = []); h.push(v); if (h.length > N) h.shift(); }
async function fetchCluster() {
  for (let i = 0; i < S.sources.length; ++i) {
    const k = (S.cur + i) % S.sources.length;
    try { const c = await getJSON(S.sources[k] + "api/cluster", 1500); S.cur = k; return c; }
    catch (e) { /* next member */ }
  }
  return null;
}
async function tick() {
  const c = await fetchCluster();
  if (!c) { document.getElementById("status").textContent =
              "no member answers; retrying (" + S.sources.length + " endpoints known)"; return; }
  document.body.dataset.source = S.sources[S.cur];
  const now = Date.now() / 1000;
  for (const m of c.members) {
    if (m.http && !S.sources.includes(m.http)) S.sources.push(m.http);
    const before = S.states[m.name];
    if (before !== m.state) {
      S.events.unshift(new Date().toISOString().substr(11, 8) + " " + m.name + ": " + (before || "seen") + " -> " + m.state);
      S.events.length = Math.min(S.events.length, 30);
      S.states[m.name] = m.state;
    }
  }
  S.members = c.members;
  await Promise.all(c.members.filter(m => m.http && m.state === "up").map(async m => {
    try {
      const n = await getJSON(m.http + "api/node", 1500);
      const cnt = {t: now, in: metric(n, "troupe_transport_messages_in_total"),
                   out: metric(n, "troupe_transport_messages_out_total")};
      const p = S.prev[m.name];
      if (p && cnt.t > p.t) { n.rin = (cnt.in - p.in) / (cnt.t - p.t); n.rout = (cnt.out - p.out) / (cnt.t - p.t); }
      S.prev[m.name] = cnt; S.nodes[m.name] = n;
    } catch (e) { delete S.nodes[m.name]; }
  }));
  for (const m of c.members) {
    const n = S.nodes[m.name];
    push("in:" + m.name, n && m.state === "up" && n.rin !== undefined ? n.rin : 0);
    push("bl:" + m.name, m.backlog || 0);
  }
  render(c);
}
function chart(title, xs) {
  const w = 260, h = 70, max = Math.max(1, ...xs);
  const off = N - xs.length; // the newest sample at the right edge
  const pts = xs.map((v, i) => ((off + i) * w / (N - 1)).toFixed(1) + "," + (h - v * h / max).toFixed(1)).join(" ");
  return '<div class="chart"><b>' + esc(title) + " (max " + Math.round(max) + ')</b><svg width="' + w +
         '" height="' + h + '"><polyline fill="none" stroke="#36c" stroke-width="1.5" points="' + pts + '"/></svg></div>';
}
function render(c) {
  let up = 0, rows = "";
  for (const m of c.members) {
    if (m.state === "up") ++up;
    const n = S.nodes[m.name];
    const f = x => x === undefined ? "-" : Math.round(x);
    rows += '<tr data-member="' + esc(m.name) + '" data-state="' + esc(m.state) + '"><td>' + esc(m.name) +
      '</td><td class="' + esc(m.state) + '">' + esc(m.state) + "</td><td>" + esc(m.role) + "</td><td>" + m.actors +
      "</td><td>" + m.backlog + "</td><td>" + (n ? f(n.rin) : "-") + "</td><td>" + (n ? f(n.rout) : "-") +
      "</td><td>" + (n ? metric(n, "troupe_supervisor_restarts_total") : "-") + "</td><td>" +
      (m.http ? '<a href="' + esc(m.http) + '">' + esc(m.http) + "</a>" : "-") + "</td></tr>";
  }
  document.querySelector("#members tbody").innerHTML = rows;
  document.body.dataset.up = up;
  document.getElementById("status").textContent = up + " of " + c.members.length +
    " members up; reading from " + S.sources[S.cur] + " (" + c.node + ")";
  document.getElementById("rates").innerHTML = c.members.map(m => chart(m.name, S.hist["in:" + m.name] || [])).join("");
  document.getElementById("backlogs").innerHTML = c.members.map(m => chart(m.name, S.hist["bl:" + m.name] || [])).join("");
  let sups = "", queues = "";
  for (const [name, n] of Object.entries(S.nodes)) {
    for (const [s, v] of Object.entries(n.supervisors || {}))
      sups += "<tr><td>" + esc(name) + "</td><td>" + esc(s) + "</td><td>" + (v.restarts || 0) + "</td><td>" + (v.escalations || 0) + "</td></tr>";
    const qs = new Set((n.metrics || []).filter(m => m.name === "troupe_queue_ready").map(m => m.labels.queue));
    for (const q of qs) {
      const g = k => metric(n, k, "queue", q);
      queues += "<tr><td>" + esc(name) + "</td><td>" + esc(q) + "</td><td>" + g("troupe_queue_ready") + "</td><td>" +
        g("troupe_queue_leased") + "</td><td>" + g("troupe_queue_acked_total") + "</td><td>" +
        g("troupe_queue_redeliveries_total") + "</td><td>" + g("troupe_queue_dead_letters") + "</td></tr>";
    }
  }
  document.querySelector("#sups tbody").innerHTML = sups;
  document.querySelector("#queues tbody").innerHTML = queues;
  document.getElementById("events").innerHTML = S.events.map(e => "<li>" + esc(e) + "</li>").join("");
}
async function loop() { try { await tick(); } catch (e) { console.log(e); } setTimeout(loop, 1000); }
loop();
</script></body></html>
)html";

} // namespace

std::string_view dashboard_html() {
  return page;
}

} // namespace troupe::observe
