// The concur dashboard: plain JavaScript served from the binary, no build
// step and nothing fetched from elsewhere. It reads the JSON API of the
// server that served it — GET /functions, /jobs, /queues, /workers,
// /stats and the /events stream — and acts through POST /jobs,
// /jobs/{id}/cancel and /jobs/{id}/retry.
//
// Token: when the server has one, the API answers 401; the page then asks
// for the token and keeps it in sessionStorage (this tab only, gone when
// it closes) and sends it as Authorization: Bearer on every call. The
// event stream is read with fetch rather than EventSource, which cannot
// send that header.

const STATES = ["queued", "scheduled", "running", "retrying", "succeeded", "failed", "cancelled"];
const FINAL = new Set(["succeeded", "failed", "cancelled"]);
const MODES = ["thread", "process", "command"];
const POLL_MS = 2000;
const PAGE = 100;
const KEEP = 2000; // jobs kept in memory beyond those shown
const TOKEN_KEY = "concur.token";

// Argument examples for the demo functions of package server/demo.
const EXAMPLES = {
  countdown: '{"n": 50000000}',
  sleep: '{"seconds": 2}',
  square: "12",
  echo: '{"hello": "world"}',
};

const $ = (sel) => document.querySelector(sel);

// el builds an element: el("td", {class: "x", dataset: {id}}, "text", child).
function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "dataset") Object.assign(e.dataset, v);
    else if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k in e) e[k] = v;
    else e.setAttribute(k, v);
  }
  e.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return e;
}

// ---- API ----------------------------------------------------------------

let token = sessionStorage.getItem(TOKEN_KEY) || "";

class APIError extends Error {
  constructor(status, body) {
    super(body?.detail || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

function authHeaders() {
  return token ? { Authorization: "Bearer " + token } : {};
}

async function api(path, { method = "GET", body } = {}) {
  const headers = authHeaders();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method, headers, cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => null);
  if (res.status === 401) needToken();
  if (!res.ok) throw new APIError(res.status, data);
  return data;
}

// ---- token --------------------------------------------------------------

let waitingForToken = null; // resolves once a token has been entered

// openTokenDialog shows the dialog; its returnValue says how it closed
// ("forget", or "" for the form's submit button, which has no value).
function openTokenDialog() {
  const dlg = $("#token-dialog");
  dlg.returnValue = "";
  dlg.showModal();
}

function needToken() {
  const dlg = $("#token-dialog");
  if (!waitingForToken) {
    waitingForToken = new Promise((resolve) => {
      dlg.addEventListener("close", function done() {
        const v = dlg.querySelector("input").value.trim();
        if (dlg.returnValue === "forget" || !v) {
          // Keep asking: nothing works without it.
          queueMicrotask(openTokenDialog);
          return;
        }
        dlg.removeEventListener("close", done);
        token = v;
        sessionStorage.setItem(TOKEN_KEY, token);
        waitingForToken = null;
        $("#token-button").hidden = false;
        resolve();
      });
    });
    const err = $("#token-error");
    err.hidden = !token;
    err.textContent = token ? "The server refused that token." : "";
  }
  if (!dlg.open) openTokenDialog();
  return waitingForToken;
}

// tokenReady waits for a token if the page is asking for one.
const tokenReady = () => waitingForToken || Promise.resolve();

$("#token-button").addEventListener("click", () => {
  const dlg = $("#token-dialog");
  dlg.querySelector("input").value = token;
  $("#token-error").hidden = true;
  dlg.addEventListener("close", function done() {
    dlg.removeEventListener("close", done);
    if (dlg.returnValue === "forget") {
      token = "";
      sessionStorage.removeItem(TOKEN_KEY);
      location.reload();
      return;
    }
    const v = dlg.querySelector("input").value.trim();
    if (v && v !== token) {
      token = v;
      sessionStorage.setItem(TOKEN_KEY, token);
      location.reload();
    }
  });
  openTokenDialog();
});
$("#token-forget").addEventListener("click", () => $("#token-dialog").close("forget"));

// ---- jobs ---------------------------------------------------------------

// jobs holds what the page knows of each job. seq marks when an event last
// touched an entry, so that a list fetched meanwhile, possibly older than
// the event, does not overwrite it.
const jobs = new Map(); // id → {job, seq}
let seq = 0;
let nextCursor = "";
const filter = { states: new Set(), mode: "", fn: "" };

function matches(j) {
  return (filter.states.size === 0 || filter.states.has(j.state)) &&
    (!filter.mode || j.mode === filter.mode) &&
    (!filter.fn || (j.function || j.command) === filter.fn);
}

const newestFirst = (a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : a.id < b.id ? 1 : -1);

function upsert(job, fromEvent) {
  const cur = jobs.get(job.id);
  if (!fromEvent && cur && cur.seq > listSeq) return;
  jobs.set(job.id, { job, seq: fromEvent ? ++seq : 0 });
}

// remember shows a job that an API call returned, unless the page knows
// it already: the event stream carries every change, in order, and may
// have delivered a newer one (the job finished) before this answer came.
function remember(job) {
  if (!jobs.has(job.id)) upsert(job, false);
  scheduleRender();
}

// prune forgets the oldest of the jobs not shown beyond KEEP of them.
function prune(shown) {
  if (jobs.size <= shown.size + KEEP) return;
  const rest = [...jobs.values()].map((e) => e.job).filter((j) => !shown.has(j.id)).sort(newestFirst);
  for (const j of rest.slice(KEEP)) jobs.delete(j.id);
}

function query() {
  const q = new URLSearchParams();
  if (filter.states.size) q.set("state", [...filter.states].join(","));
  if (filter.mode) q.set("mode", filter.mode);
  if (filter.fn) q.set(filterKey(filter.fn), filter.fn);
  return q;
}

// filterKey says whether a name in the function filter is a command.
const filterKey = (name) => (commandNames.has(name) ? "command" : "function");

let listSeq = 0;
let listGen = 0; // which loadJobs call is the latest
let shownLimit = PAGE;

// loadJobs fetches the first page for the filter (or the next page). An
// answer overtaken by a later call (the filter changed) is dropped.
async function loadJobs(more = false) {
  const q = query();
  q.set("limit", String(PAGE));
  if (more && nextCursor) q.set("cursor", nextCursor);
  const gen = ++listGen;
  listSeq = seq;
  const page = await api("/jobs?" + q);
  if (gen !== listGen) return;
  if (!more) shownLimit = PAGE;
  else shownLimit += PAGE;
  for (const j of page.jobs) upsert(j, false);
  nextCursor = page.next_cursor || "";
  render();
}

// ---- the event stream ---------------------------------------------------

// stream reads GET /events until it ends; onOpen runs once the server
// has subscribed the stream, so nothing after it is missed.
async function stream(onOpen) {
  const res = await fetch("/events", { headers: authHeaders(), cache: "no-store" });
  if (res.status === 401) {
    needToken();
    throw new APIError(401, null);
  }
  if (!res.ok || !res.body) throw new APIError(res.status, null);
  setConn("live");
  await onOpen();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value.replace(/\r\n?/g, "\n");
    let cut;
    while ((cut = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      if (onEvent(block) === "lagged") return reader.cancel();
    }
  }
}

// onEvent handles one event block of the text/event-stream format.
function onEvent(block) {
  let name = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const i = line.indexOf(":");
    const field = i < 0 ? line : line.slice(0, i);
    let value = i < 0 ? "" : line.slice(i + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") name = value;
    else if (field === "data") data.push(value);
  }
  if (!data.length) return;
  const payload = JSON.parse(data.join("\n"));
  if (name === "job") upsert(payload, true);
  else if (name === "deleted") jobs.delete(payload.id);
  else if (name === "lagged") return "lagged";
  scheduleRender();
}

// live keeps the stream open, reconnecting with backoff; after each
// (re)connection it reloads the list, since events may have been missed.
async function live() {
  let delay = 500;
  for (;;) {
    await tokenReady();
    try {
      await stream(async () => {
        delay = 500;
        await loadJobs();
      });
    } catch (e) {
      if (!(e instanceof APIError && e.status === 401)) console.warn("event stream:", e);
    }
    setConn("reconnecting");
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 10000);
  }
}

function setConn(state) {
  const c = $("#conn");
  c.dataset.state = state;
  c.querySelector("span").textContent = state;
}

// ---- rendering the jobs table ------------------------------------------

let renderPending = false;
function scheduleRender() {
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => {
    renderPending = false;
    render();
  });
}

const rows = new Map(); // id → <tr>, reused while the job shows

function render() {
  const list = [...jobs.values()].map((e) => e.job).filter(matches).sort(newestFirst);
  const shown = list.slice(0, shownLimit);
  const tbody = $("#jobs");
  const keep = new Set();
  let prev = null;
  for (const j of shown) {
    keep.add(j.id);
    let tr = rows.get(j.id);
    if (!tr) {
      tr = el("tr");
      rows.set(j.id, tr);
    }
    if (tr.job !== j) fillRow(tr, j);
    // Move only rows that are out of place, so buttons under the pointer stay put.
    const want = prev ? prev.nextSibling : tbody.firstChild;
    if (want !== tr) tbody.insertBefore(tr, want);
    prev = tr;
  }
  for (const [id, tr] of rows) {
    if (!keep.has(id)) {
      tr.remove();
      rows.delete(id);
    }
  }
  prune(keep);
  $("#jobs-empty").hidden = shown.length > 0;
  $("#more").hidden = !(nextCursor || list.length > shown.length);
}

function fillRow(tr, j) {
  tr.job = j;
  tr.dataset.id = j.id;
  tr.dataset.state = j.state;
  const what = j.function || j.command;
  const took = j.finished_at && j.started_at ? durationMs(j.started_at, j.finished_at) : null;
  tr.replaceChildren(
    el("td", {},
      el("button", { class: "link mono", type: "button", title: j.id, onclick: () => showJob(j.id) }, j.id.slice(-8))),
    el("td", { class: "fn" }, j.command ? el("span", { class: "cmd" }, "$ ") : null, what,
      j.priority !== "normal" ? el("span", { class: "prio " + j.priority }, j.priority) : null),
    el("td", { class: "muted" }, j.mode),
    el("td", {}, el("span", { class: "badge " + j.state }, j.cancel_requested && !FINAL.has(j.state) ? "cancelling" : j.state)),
    el("td", { class: "num" }, String(j.attempts)),
    el("td", { class: "muted", dataset: { t: j.created_at }, title: new Date(j.created_at).toLocaleString() }, ago(j.created_at)),
    el("td", { class: "num", dataset: j.state === "running" && j.started_at ? { since: j.started_at } : {} },
      took !== null ? fmtMs(took) : j.state === "running" && j.started_at ? fmtMs(Date.now() - Date.parse(j.started_at)) : ""),
    el("td", { class: "result" }, resultText(j)),
    el("td", { class: "acts" }, ...actions(j)),
  );
}

function resultText(j) {
  if (j.error) {
    // A cancelled job's "error" is the user's own doing: no alarm colour.
    return el("span", { class: j.state === "cancelled" ? "muted" : "err", title: j.error.message }, `${j.error.kind}: ${j.error.message}`);
  }
  if (j.result !== undefined) {
    const s = JSON.stringify(j.result);
    return el("span", { class: "mono", title: s }, s.length > 80 ? s.slice(0, 79) + "…" : s);
  }
  return "";
}

function actions(j) {
  const out = [];
  if (!FINAL.has(j.state)) {
    out.push(el("button", {
      class: "cancel small", type: "button", disabled: j.cancel_requested,
      onclick: (e) => act(e.currentTarget, j.id, "cancel"),
    }, "Cancel"));
  }
  if (j.state === "failed" || j.state === "cancelled" || j.state === "retrying") {
    out.push(el("button", {
      class: "retry small", type: "button", title: j.state === "retrying" ? "retry now, without waiting out the backoff" : "run again",
      onclick: (e) => act(e.currentTarget, j.id, "retry"),
    }, j.state === "retrying" ? "Retry now" : "Retry"));
  }
  return out;
}

async function act(button, id, what) {
  button.disabled = true;
  try {
    remember(await api(`/jobs/${id}/${what}`, { method: "POST" }));
  } catch (e) {
    button.disabled = false;
    toast(`${what} ${id.slice(-8)}: ${e.message}`, true);
  }
}

// ---- job details --------------------------------------------------------

async function showJob(id) {
  let j = jobs.get(id)?.job;
  try {
    j = await api("/jobs/" + id);
  } catch (e) {
    if (!j) return toast(e.message, true);
  }
  $("#job-title").textContent = `${j.function || j.command} · ${j.id}`;
  const when = (iso) => iso && `${new Date(iso).toLocaleString()} (${ago(iso)})`;
  const fields = [
    ["state", j.state], ["mode", j.mode], ["priority", j.priority], ["attempts", j.attempts],
    ["retries", j.retries], ["worker", j.worker], ["created", when(j.created_at)], ["started", when(j.started_at)],
    ["finished", when(j.finished_at)],
    ["took", j.started_at && j.finished_at ? fmtMs(durationMs(j.started_at, j.finished_at)) : ""],
  ].filter(([, v]) => v !== undefined && v !== "");
  $("#job-fields").replaceChildren(...fields.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))]));
  $("#job-json").textContent = JSON.stringify(j, null, 2);
  $("#job-dialog").showModal();
}
$("#job-close").addEventListener("click", () => $("#job-dialog").close());
$("#job-dialog").addEventListener("click", (e) => {
  if (e.target === e.currentTarget) e.currentTarget.close(); // a click on the backdrop
});

// ---- filters ------------------------------------------------------------

function setupFilters() {
  const chips = $("#state-filter");
  const all = el("button", { type: "button", class: "chip on", dataset: { state: "" } }, "all");
  chips.append(all, ...STATES.map((s) => el("button", { type: "button", class: "chip " + s, dataset: { state: s } }, s)));
  chips.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    const s = b.dataset.state;
    if (!s) filter.states.clear();
    else if (filter.states.has(s)) filter.states.delete(s);
    else filter.states.add(s);
    for (const c of chips.children) c.classList.toggle("on", c.dataset.state ? filter.states.has(c.dataset.state) : filter.states.size === 0);
    refilter();
  });
  $("#mode-filter").addEventListener("change", (e) => { filter.mode = e.target.value; refilter(); });
  $("#function-filter").addEventListener("change", (e) => { filter.fn = e.target.value; refilter(); });
  $("#more").addEventListener("click", () => {
    if (nextCursor) loadJobs(true).catch((e) => toast(e.message, true));
    else { shownLimit += PAGE; render(); }
  });
}

function refilter() {
  render(); // what the page already knows, at once
  loadJobs().catch((e) => toast(e.message, true));
}

// ---- functions and the submit form -------------------------------------

const commandNames = new Set();

async function loadFunctions() {
  const f = await api("/functions");
  const target = $("#submit select[name=what]");
  const fnFilter = $("#function-filter");
  const fns = el("optgroup", { label: "functions" }, ...f.functions.map((n) => el("option", { value: "f:" + n }, n)));
  const cmds = Object.keys(f.commands || {}).sort();
  cmds.forEach((c) => commandNames.add(c));
  target.replaceChildren(fns, cmds.length ? el("optgroup", { label: "commands" }, ...cmds.map((n) => el("option", { value: "c:" + n }, n))) : null);
  fnFilter.replaceChildren(el("option", { value: "" }, "every function"), ...f.functions.concat(cmds).map((n) => el("option", { value: n }, n)));
  if (f.functions.includes("countdown")) target.value = "f:countdown";
  targetChanged();
}

let argsEdited = false;

function targetChanged() {
  const form = $("#submit");
  const [kind, name] = form.what.value.split(/:(.*)/s);
  const mode = form.mode;
  mode.disabled = kind === "c";
  if (kind === "c") mode.replaceChildren(el("option", { value: "command" }, "command"));
  else if (mode.value === "command" || mode.options.length === 1) {
    mode.replaceChildren(el("option", { value: "thread" }, "thread"), el("option", { value: "process" }, "process"));
  }
  if (!argsEdited) form.args.value = kind === "c" ? "" : EXAMPLES[name] ?? "";
  form.args.placeholder = kind === "c" ? '["extra", "args"] if the command allows them' : "any JSON value";
}

function setupSubmit() {
  const form = $("#submit");
  form.what.addEventListener("change", targetChanged);
  form.args.addEventListener("input", () => { argsEdited = form.args.value !== ""; });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const status = $("#submit-status");
    status.className = "";
    form.querySelectorAll(".invalid").forEach((x) => x.classList.remove("invalid"));
    const [kind, name] = form.what.value.split(/:(.*)/s);
    const req = kind === "c" ? { command: name } : { function: name, mode: form.mode.value };
    if (form.priority.value !== "normal") req.priority = form.priority.value;
    const raw = form.args.value.trim();
    if (raw) {
      try {
        req.args = JSON.parse(raw);
      } catch (err) {
        form.args.classList.add("invalid");
        return say(status, "Arguments are not JSON: " + err.message, true);
      }
    }
    for (const [k, v] of [["timeout", form.timeout.value], ["retries", form.retries.value], ["delay", form.delay.value]]) {
      if (v !== "") req[k] = Number(v);
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const j = await api("/jobs", { method: "POST", body: req });
      remember(j);
      status.dataset.id = j.id;
      say(status, `Submitted ${j.id.slice(-8)}`);
    } catch (err) {
      const field = err.body?.field;
      const input = field && form.elements[field === "function" || field === "command" ? "what" : field];
      if (input) input.classList.add("invalid");
      say(status, err.message, true);
    } finally {
      button.disabled = false;
    }
  });
}

function say(out, text, bad = false) {
  out.textContent = text;
  out.classList.toggle("error", bad);
}

let toastTimer;
function toast(text, bad = false) {
  let t = $("#toast");
  if (!t) document.body.append((t = el("div", { id: "toast", role: "alert" })));
  say(t, text, bad);
  t.classList.add("show");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove("show"), 4000);
}

// ---- queues and workers -------------------------------------------------

// renderQueues shows each mode's jobs by state (from the job index, live)
// and how many slots the workers have for it. How many of those are busy
// is in the workers table: nodes report it only every few seconds.
function renderQueues(q, workers) {
  $("#queues").replaceChildren(...MODES.map((m) => {
    const info = q.modes[m] || { states: {}, pending: {} };
    const s = info.states;
    const waiting = (s.queued || 0) + (s.scheduled || 0) + (s.retrying || 0);
    const slots = workers.reduce((n, w) => n + (w.modes?.[m]?.slots || 0), 0);
    return el("div", { class: "card queue", dataset: { mode: m } },
      el("div", { class: "queue-head" }, el("h2", {}, m),
        el("span", { class: "muted small" }, slots ? `${slots} slot${slots === 1 ? "" : "s"} on ${workers.length} node${workers.length === 1 ? "" : "s"}` : "no node takes these")),
      el("div", { class: "big" },
        el("div", {}, el("b", { class: "waiting" }, String(waiting)), el("span", {}, "waiting")),
        el("div", {}, el("b", { class: "running" }, String(s.running || 0)), el("span", {}, "running"))),
      el("div", { class: "counts" }, ...STATES.filter((st) => st !== "running").map((st) =>
        el("span", { class: "count " + st, title: st }, el("i"), `${st} ${s[st] || 0}`))),
      el("div", { class: "pending muted" }, "undelivered: ",
        ["high", "normal", "low"].map((p) => `${p} ${info.pending[p] || 0}`).join(" · ")));
  }));
}

function renderWorkers(ws) {
  $("#nodes-count").textContent = `${ws.length} node${ws.length === 1 ? "" : "s"}`;
  $("#workers-empty").hidden = ws.length > 0;
  $("#workers").replaceChildren(...ws.map((w) => el("tr", { dataset: { node: w.node } },
    el("td", {}, el("div", { class: "node" }, w.node), el("div", { class: "muted small" }, `${w.host} · pid ${w.pid}${w.api ? " · " + w.api : ""}`)),
    el("td", {}, el("span", { class: "badge " + (w.state === "running" ? "ok" : "warn") }, w.state)),
    el("td", {}, ...MODES.filter((m) => w.modes?.[m]?.slots).map((m) => {
      const l = w.modes[m];
      const bar = el("i");
      bar.style.width = `${Math.min(100, (100 * l.running) / l.slots)}%`;
      return el("div", { class: "slot", title: `${m}: ${l.running} of ${l.slots} slots busy` },
        el("span", { class: "slot-name" }, m), el("span", { class: "meter" }, bar), el("span", { class: "num" }, `${l.running}/${l.slots}`));
    })),
    el("td", { class: "muted", dataset: { t: w.seen_at } }, ago(w.seen_at)))));
}

// ---- charts -------------------------------------------------------------

// Chart draws time series on a canvas: lines over a shared time axis, a
// linear or log y axis, gaps where a value is null (a lone point is a
// dot), and a read-out under the pointer.
class Chart {
  constructor(box, { series, log = false, fmt = fmtNum }) {
    this.box = box;
    this.canvas = box.querySelector("canvas");
    this.tip = box.querySelector(".tip");
    this.series = series; // [{key, label, color, fill?}]
    this.log = log;
    this.fmt = fmt;
    this.points = [];
    this.hoverX = null;
    new ResizeObserver(() => this.draw()).observe(box);
    this.canvas.addEventListener("mousemove", (e) => { this.hoverX = e.offsetX; this.draw(); });
    this.canvas.addEventListener("mouseleave", () => { this.hoverX = null; this.draw(); });
  }

  set(points) {
    this.points = points;
    this.draw();
  }

  // scale returns the y range, its ticks and a map from value to 0..1.
  scale() {
    const vals = [];
    for (const p of this.points) for (const s of this.series) if (p[s.key] != null) vals.push(p[s.key]);
    if (this.log) {
      const pos = vals.filter((v) => v > 0);
      const lo = pos.length ? 10 ** Math.floor(Math.log10(Math.min(...pos))) : 1;
      const hi = Math.max(lo * 10, pos.length ? 10 ** Math.ceil(Math.log10(Math.max(...pos))) : 1000);
      const ticks = [];
      for (let v = lo; v <= hi * 1.001; v *= 10) ticks.push(v);
      return { lo, ticks, f: (v) => Math.log10(v / lo) / Math.log10(hi / lo) };
    }
    const max = Math.max(0, ...vals);
    const step = niceStep(max / 4);
    const hi = Math.max(step, step * Math.ceil(max / step));
    const ticks = [];
    for (let v = 0; v <= hi + step / 2; v += step) ticks.push(v);
    return { lo: 0, ticks, f: (v) => v / hi };
  }

  draw() {
    const w = this.box.clientWidth, h = this.box.clientHeight;
    if (!w || !h) return;
    const l = 48, r = 12, t = 8, b = 22;
    const dpr = window.devicePixelRatio || 1;
    const c = this.canvas;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
      c.style.width = w + "px";
      c.style.height = h + "px";
    }
    const g = c.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const css = getComputedStyle(document.documentElement);
    const grid = css.getPropertyValue("--grid").trim(), ink = css.getPropertyValue("--muted").trim();
    const pw = w - l - r, ph = h - t - b;
    const pts = this.points, n = pts.length;
    const sc = this.scale();
    const X = (i) => l + (n <= 1 ? pw : (i * pw) / (n - 1));
    const Y = (v) => t + ph - Math.max(0, Math.min(1, sc.f(v))) * ph;

    g.font = "11px system-ui, sans-serif";
    g.lineWidth = 1;
    g.fillStyle = ink;
    g.textAlign = "right";
    g.textBaseline = "middle";
    for (const v of sc.ticks) {
      const y = Math.round(Y(v)) + 0.5;
      g.strokeStyle = grid;
      g.beginPath(); g.moveTo(l, y); g.lineTo(w - r, y); g.stroke();
      g.fillText(this.fmt(v), l - 6, y);
    }
    g.textAlign = "center";
    g.textBaseline = "top";
    if (n > 1) {
      const span = pts[n - 1].t - pts[0].t;
      const step = span > 240 ? 60 : span > 60 ? 30 : 10;
      for (let i = 0; i < n; i++) {
        const back = pts[n - 1].t - pts[i].t;
        if (back % step === 0 && X(i) > l + 12) g.fillText(back === 0 ? "now" : back >= 60 ? `-${back / 60}m` : `-${back}s`, Math.min(X(i), w - r - 10), h - b + 6);
      }
    }

    for (const s of this.series) {
      // Runs of consecutive values, split where a value is missing.
      const runs = [];
      let run = null;
      pts.forEach((p, i) => {
        const v = p[s.key];
        if (v == null || (this.log && v <= 0)) { run = null; return; }
        if (!run) runs.push((run = []));
        run.push([X(i), Y(v)]);
      });
      g.strokeStyle = g.fillStyle = s.color;
      g.lineWidth = 1.75;
      g.lineJoin = "round";
      for (const run of runs) {
        if (run.length === 1) {
          g.beginPath(); g.arc(run[0][0], run[0][1], 2.5, 0, 2 * Math.PI); g.fill();
          continue;
        }
        g.beginPath();
        run.forEach(([x, y], k) => (k ? g.lineTo(x, y) : g.moveTo(x, y)));
        g.stroke();
        if (s.fill) {
          g.lineTo(run[run.length - 1][0], t + ph);
          g.lineTo(run[0][0], t + ph);
          g.closePath();
          g.globalAlpha = 0.12;
          g.fill();
          g.globalAlpha = 1;
        }
      }
    }

    this.tip.hidden = this.hoverX == null || n === 0;
    if (this.tip.hidden) return;
    const i = Math.max(0, Math.min(n - 1, Math.round(((this.hoverX - l) / pw) * (n - 1))));
    const x = Math.round(X(i)) + 0.5;
    g.strokeStyle = ink;
    g.lineWidth = 1;
    g.setLineDash([3, 3]);
    g.beginPath(); g.moveTo(x, t); g.lineTo(x, t + ph); g.stroke();
    g.setLineDash([]);
    const p = pts[i];
    this.tip.replaceChildren(el("div", { class: "muted" }, new Date(p.t * 1000).toLocaleTimeString()),
      ...this.series.map((s) => el("div", {}, swatch(s.color), `${s.label} ${p[s.key] == null ? "–" : this.fmt(p[s.key])}`)));
    this.tip.style.left = `${x + 12 + this.tip.offsetWidth > w ? x - 12 - this.tip.offsetWidth : x + 12}px`;
  }
}

// niceStep rounds v up to 1, 2 or 5 times a power of ten, at least 1:
// the charts count whole jobs.
function niceStep(v) {
  if (v <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
}

function swatch(color) {
  const sw = el("i", { class: "sw" });
  sw.style.background = color;
  return sw;
}

let tpChart, latChart;

function setupCharts() {
  const css = getComputedStyle(document.documentElement);
  const color = (v) => css.getPropertyValue(v).trim();
  tpChart = new Chart($("#tp-chart"), {
    series: [
      { key: "submitted", label: "submitted", color: color("--c-submitted") },
      { key: "succeeded", label: "succeeded", color: color("--c-succeeded"), fill: true },
      { key: "failed", label: "failed", color: color("--c-failed") },
    ],
  });
  latChart = new Chart($("#lat-chart"), {
    log: true, fmt: fmtLatency,
    series: [
      { key: "latency_p50_ms", label: "p50", color: color("--c-p50"), fill: true },
      { key: "latency_p99_ms", label: "p99", color: color("--c-p99") },
    ],
  });
  legend($("#tp-legend"), tpChart.series);
  legend($("#lat-legend"), latChart.series);
}

function legend(box, series) {
  box.replaceChildren(...series.map((s) => el("span", { dataset: { key: s.key } }, swatch(s.color), s.label, el("b"))));
}

function renderStats(points) {
  tpChart.set(points);
  latChart.set(points);
  // Totals over the window next to the throughput legend; the latest p50
  // and p99 seen next to the latency one.
  for (const s of tpChart.series) {
    const total = points.reduce((a, p) => a + (p[s.key] || 0), 0);
    $(`#tp-legend [data-key="${s.key}"] b`).textContent = String(total);
  }
  for (const s of latChart.series) {
    const last = points.findLast((p) => p[s.key] != null);
    $(`#lat-legend [data-key="${s.key}"] b`).textContent = last ? fmtLatency(last[s.key]) : "–";
  }
}

// ---- formatting ---------------------------------------------------------

function ago(iso) {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return new Date(iso).toLocaleDateString();
}

const durationMs = (a, b) => Date.parse(b) - Date.parse(a);

function fmtMs(ms) {
  if (ms < 1) return "<1ms";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)}s`;
  return `${Math.floor(ms / 60000)}m${Math.round((ms % 60000) / 1000)}s`;
}

// fmtLatency formats milliseconds for the latency axis: 10ms, 1s, 2m.
function fmtLatency(ms) {
  if (ms < 1000) return fmtNum(ms) + "ms";
  if (ms < 60000) return fmtNum(ms / 1000) + "s";
  return fmtNum(ms / 60000) + "m";
}

function fmtNum(v) {
  if (v === 0) return "0";
  if (Math.abs(v) >= 1000) return `${+(v / 1000).toFixed(1)}k`;
  if (Math.abs(v) >= 10) return String(Math.round(v));
  return String(+v.toPrecision(2));
}

// tick refreshes relative times and running durations once a second.
function tick() {
  for (const td of document.querySelectorAll("[data-t]")) td.textContent = ago(td.dataset.t);
  for (const td of document.querySelectorAll("[data-since]")) td.textContent = fmtMs(Date.now() - Date.parse(td.dataset.since));
}

// ---- start --------------------------------------------------------------

// poll refreshes queues, workers and statistics every POLL_MS.
async function poll() {
  for (;;) {
    await tokenReady();
    const [q, w, s] = await Promise.allSettled([api("/queues"), api("/workers"), api("/stats?seconds=300")]);
    const workers = w.status === "fulfilled" ? w.value.workers : [];
    if (q.status === "fulfilled") renderQueues(q.value, workers);
    if (w.status === "fulfilled") renderWorkers(workers);
    if (s.status === "fulfilled") renderStats(s.value.points);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function start() {
  setupFilters();
  setupSubmit();
  setupCharts();
  $("#token-button").hidden = !token;
  for (;;) {
    try {
      await loadFunctions();
      break;
    } catch (e) {
      if (e instanceof APIError && e.status === 401) await tokenReady();
      else {
        setConn("offline");
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  }
  setInterval(tick, 1000);
  poll();
  live();
}

start();
