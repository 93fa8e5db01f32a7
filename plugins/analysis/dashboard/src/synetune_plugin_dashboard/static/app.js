// The dashboard's pages: the experiments list (with a comparison of several) and one
// experiment, kept live by polling the server for what the event log gained since the last
// offset. window.__dash exposes the page's progress to tests and benchmarks.
"use strict";

const {Axes, PALETTE, extent, fmt} = Charts;
const $ = sel => document.querySelector(sel);
const esc = s => String(s).replace(/[&<>"']/g, ch => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[ch]));
const enc = encodeURIComponent;
const POLL_MS = 1000;
window.__dash = {page: null, drawn: 0, results: 0, trials: 0, polls: 0, errors: []};
window.addEventListener("error", ev => window.__dash.errors.push(String(ev.message)));
window.addEventListener("unhandledrejection", ev => window.__dash.errors.push(String(ev.reason)));

async function getJSON(url) {
  const response = await fetch(url, {cache: "no-store"});
  if (!response.ok) { const err = new Error(`${url}: ${response.status}`); err.status = response.status; throw err; }
  return response.json();
}

let current = null;  // the page shown: {stop()}

function route() {
  if (current) { current.stop(); current = null; }
  const hash = decodeURIComponent(location.hash.slice(1));
  const match = hash.match(/^\/exp\/(.+)$/);
  current = match ? new ExperimentPage(match[1]) : new ListPage();
}
window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", route);

function badge(status) { return `<span class="badge ${esc(status)}">${esc(status)}</span>`; }
function when(stamp) { return stamp ? new Date(stamp * 1000).toLocaleString() : "-"; }

// ------------------------------------------------------------------ experiments list
class ListPage {
  constructor() {
    window.__dash.page = "list";
    this.selected = new Set();
    this.rows = [];
    $("#app").innerHTML = `
      <h1>Experiments <small id="folder"></small></h1>
      <div class="bar"><input id="filter" placeholder="filter by name or metadata (e.g. asha, seed=1)">
        <button id="compare" disabled>Compare selected</button></div>
      <table id="experiments" class="grid"><thead><tr><th></th><th>name</th><th>status</th><th>method</th>
        <th>metric</th><th>best</th><th>trials</th><th>results</th><th>started</th></tr></thead><tbody></tbody></table>
      <div id="comparison" class="panel hidden"><h2>Best value so far, by method</h2>
        <canvas id="compare-chart" class="chart"></canvas><div id="compare-note" class="note"></div></div>`;
    $("#filter").addEventListener("input", () => this.render());
    $("#compare").addEventListener("click", () => this.compare());
    $("#experiments tbody").addEventListener("change", ev => {
      const name = ev.target.dataset.name;
      if (ev.target.checked) { this.selected.add(name); } else { this.selected.delete(name); }
      $("#compare").disabled = this.selected.size < 1;
    });
    this.timer = null;
    this.load();
  }
  stop() { clearTimeout(this.timer); this.stopped = true; }
  async load() {
    try {
      const data = await getJSON("api/experiments");
      if (this.stopped) { return; }  // the page changed while the answer was on its way
      $("#folder").textContent = data.folder;
      this.rows = data.experiments;
      this.render();
    } catch (err) { window.__dash.errors.push(String(err)); }
    if (!this.stopped) { this.timer = setTimeout(() => this.load(), 3000); }
  }
  render() {
    const words = $("#filter").value.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = this.rows.filter(row => {
      const text = (row.name + " " + Object.entries(row.metadata).map(([k, v]) => `${k}=${v}`).join(" ")).toLowerCase();
      return words.every(w => text.includes(w));
    });
    $("#experiments tbody").innerHTML = shown.map(row => `<tr data-name="${esc(row.name)}">
      <td><input type="checkbox" data-name="${esc(row.name)}" ${this.selected.has(row.name) ? "checked" : ""}></td>
      <td><a href="#/exp/${enc(row.name)}">${esc(row.name)}</a></td><td>${badge(row.status)}</td>
      <td>${esc(row.method)}</td><td>${esc(row.metrics.map((m, i) => `${m} (${row.modes[i]})`).join(", ") || "-")}</td>
      <td>${fmt(row.best)}</td><td>${row.trials}</td><td>${row.results}</td><td>${when(row.start)}</td></tr>`).join("");
    window.__dash.experiments = shown.map(r => r.name);
    window.__dash.drawn = performance.now();
  }
  async compare() {
    const names = [...this.selected];
    $("#comparison").classList.remove("hidden");
    let data;
    try { data = await getJSON(`api/compare?names=${names.map(enc).join(",")}`); }
    catch (err) { if (!this.stopped) { $("#compare-note").textContent = String(err); } return; }
    if (this.stopped) { return; }
    if (data.error) { $("#compare-note").textContent = data.error; return; }
    const all = data.methods.flatMap(m => [...m.lower, ...m.upper, ...m.values.flat()]);
    const times = data.methods.flatMap(m => m.times);
    const ax = new Axes($("#compare-chart"), {x: extent(times), y: extent(all), xlabel: data.time_label,
                                              ylabel: `best ${data.metric} (${data.mode})`});
    ax.drawAxes(); ax.clip();
    data.methods.forEach((m, i) => {
      const color = PALETTE[i % PALETTE.length];
      ax.band(m.times, m.lower, m.upper, color);
      m.values.forEach(run => { ax.ctx.globalAlpha = 0.35; ax.line(m.times, run, color, 0.8); ax.ctx.globalAlpha = 1; });
      ax.line(m.times, m.center, color, 2.2);
    });
    ax.ctx.restore();
    ax.legend(data.methods.map((m, i) => [`${m.method} (${m.runs} runs)`, PALETTE[i % PALETTE.length]]));
    $("#compare-note").textContent = "Mean and 95% confidence band per method; thin lines: single runs.";
    window.__dash.compared = data.methods.map(m => m.method);
  }
}

// ------------------------------------------------------------------ one experiment
class ExperimentPage {
  constructor(name) {
    window.__dash.page = "experiment";
    Object.assign(window.__dash, {drawn: 0, analysed: 0, results: 0, trials: 0, errors: []});
    this.name = name;
    this.api = `api/experiments/${enc(name)}`;
    this.sort = {key: "trial_id", dir: 1};
    this.pageIndex = 0;
    this.pageSize = 100;
    this.metric = null;
    this.analysisOffset = -1;
    $("#app").innerHTML = `
      <h1><a href="#/">Experiments</a> / <span id="exp-name"></span> <span id="exp-status"></span></h1>
      <div id="exp-info" class="note"></div>
      <div class="bar">metric <select id="metric"></select>
        <label><input type="checkbox" id="ylog"> log scale</label> <span id="live" class="note"></span></div>
      <div class="panels">
        <div class="panel"><h2>Best value so far</h2><canvas id="best-chart" class="chart"></canvas></div>
        <div class="panel"><h2>Learning curves <small>× stopped, ‖ paused, ▶ resumed</small></h2><canvas id="curves-chart" class="chart"></canvas></div>
        <div class="panel wide"><h2>Parallel coordinates <small>colour: rank of the trial's best value, best in yellow</small></h2><canvas id="parallel-chart" class="chart"></canvas></div>
        <div class="panel"><h2>Hyperparameter importance</h2><div id="importance"></div></div>
        <div class="panel" id="rungs-panel"><h2>Rung occupancy</h2><div id="rungs"></div></div>
        <div class="panel hidden" id="pareto-panel"><h2>Pareto front</h2><canvas id="pareto-chart" class="chart"></canvas><div id="pareto-note" class="note"></div></div>
      </div>
      <div class="panel wide"><h2>Trials <small id="trial-count"></small></h2>
        <div class="bar"><input id="trial-filter" placeholder="filter: text, or status=Stopped, lr>0.01">
          rows <select id="page-size"><option>50</option><option selected>100</option><option>500</option><option value="0">all</option></select>
          <button id="prev">◀</button><span id="page"></span><button id="next">▶</button></div>
        <table id="trials" class="grid"><thead></thead><tbody></tbody></table></div>`;
    $("#exp-name").textContent = name;
    $("#metric").addEventListener("change", () => { this.metric = $("#metric").value; this.recompute(); this.analysisOffset = -1; this.redraw(); this.refreshAnalysis(); });
    $("#ylog").addEventListener("change", () => this.redraw());
    $("#trial-filter").addEventListener("input", () => { this.pageIndex = 0; this.renderTable(); });
    $("#page-size").addEventListener("change", () => { this.pageSize = Number($("#page-size").value); this.pageIndex = 0; this.renderTable(); });
    $("#prev").addEventListener("click", () => { this.pageIndex = Math.max(0, this.pageIndex - 1); this.renderTable(); });
    $("#next").addEventListener("click", () => { this.pageIndex += 1; this.renderTable(); });
    $("#trials thead").addEventListener("click", ev => {
      const key = ev.target.dataset && ev.target.dataset.key;
      if (!key) { return; }
      this.sort = {key, dir: this.sort.key === key ? -this.sort.dir : 1};
      this.renderTable();
    });
    window.addEventListener("resize", this.onResize = () => this.redraw());
    this.start();
  }
  stop() { this.stopped = true; clearTimeout(this.timer); window.removeEventListener("resize", this.onResize); }

  async start() {
    let snapshot;
    try { snapshot = await getJSON(`${this.api}/data`); }
    catch (err) {
      if (!this.stopped) { $("#exp-info").textContent = `no such experiment (${err.message})`; window.__dash.errors.push(String(err)); }
      return;
    }
    if (this.stopped) { return; }
    this.meta = snapshot.metadata || {};
    this.metrics = snapshot.experiment.metrics.length ? snapshot.experiment.metrics : Object.keys(snapshot.results.metrics);
    this.modes = snapshot.experiment.modes;
    this.metric = this.metrics[0] || null;
    $("#metric").innerHTML = this.metrics.map(m => `<option>${esc(m)}</option>`).join("");
    this.R = {trial: [], seq: [], time: [], resource: [], wtime: [], cost: [], m: {}};
    for (const m of this.metrics) { this.R.m[m] = []; }
    this.trials = new Map(); this.seqRow = new Map(); this.dropped = new Set();
    this.apply(snapshot);
    this.header(snapshot.experiment);
    this.redraw(true);
    this.renderTable();
    // drawn once the browser painted the frame holding the charts
    requestAnimationFrame(() => setTimeout(() => { window.__dash.drawn = performance.now(); }, 0));
    this.refreshAnalysis();
    this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  async poll() {
    if (this.stopped) { return; }
    let delay = POLL_MS;
    try {
      const delta = await getJSON(`${this.api}/events?since=${this.offset}`);
      if (this.stopped) { return; }
      window.__dash.polls += 1;
      if (delta.offset !== this.offset) {
        this.apply(delta);
        this.redraw(); this.renderTable();
        window.__dash.updated = Date.now();
        window.__dash.updates = (window.__dash.updates || 0) + 1;
      }
      this.header(delta.experiment);
      if (delta.more) { delay = 0; }
      if (delta.experiment.status === "running" || delta.offset !== this.analysisOffset) { this.refreshAnalysis(); }
    } catch (err) {
      window.__dash.errors.push(String(err));
      if (err.status === 404 && !this.stopped) { this.start(); return; }  // the log was replaced: load it again
      delay = 5 * POLL_MS;
    }
    if (!this.stopped) { this.timer = setTimeout(() => this.poll(), delay); }
  }

  header(exp) {
    $("#exp-status").innerHTML = badge(exp.status);
    const counts = Object.entries(exp.trial_counts).map(([k, v]) => `${v} ${k}`).join(", ");
    const link = `<a href="${this.api}">metadata</a>`;
    $("#exp-info").innerHTML = `${esc(exp.method)} · ${esc(this.metrics.map((m, i) => `${m} (${this.modes[i]})`).join(", "))} · ` +
      `started ${esc(when(exp.start))} · ${exp.trials} trials (${esc(counts)}) · ${exp.results} results · ` +
      `${fmt(exp.last_time)} s ${exp.simulated ? "simulated" : "wallclock"} · ${link}`;
    $("#live").textContent = exp.status === "running" ? "live: updating every second" : "";
  }

  // Fold a delta (columns plus trial, status and decision events) into the page's state.
  apply(d) {
    const R = this.R, res = d.results;
    for (const [id, config, created] of d.trials) { this.trial(id).config = config; this.trial(id).created = created; }
    const base = R.trial.length;
    for (let i = 0; i < res.trial.length; i++) {
      const row = base + i, t = this.trial(res.trial[i]);
      R.trial.push(res.trial[i]); R.seq.push(res.seq[i]); R.time.push(res.time[i]);
      R.resource.push(res.resource[i]); R.wtime.push(res.wtime[i]); R.cost.push(res.cost[i]);
      for (const m of this.metrics) { R.m[m].push(res.metrics[m] ? res.metrics[m][i] : null); }
      this.seqRow.set(res.seq[i], row);
      t.rows.push(row);
      if (res.wtime[i] !== null) { t.runtime = res.wtime[i]; }
      if (res.cost[i] !== null) { t.cost = res.cost[i]; }
      if (res.resource[i] !== null && !(t.resource >= res.resource[i])) { t.resource = res.resource[i]; }
    }
    for (const seq of d.drops) { const row = this.seqRow.get(seq); if (row !== undefined) { this.dropped.add(row); } }
    for (const [seq, id, decision] of d.decisions) {
      if (decision === "CONTINUE") { continue; }
      const row = this.seqRow.get(seq);
      if (row !== undefined) { this.trial(R.trial[row]).marks.push([row, decision]); }
    }
    for (const [id, status, , seen] of d.status) {
      const t = this.trial(id);
      if (status === "InProgress" && t.status === "Paused" && t.rows.length) {
        // resumed from its last result the loop had seen then (results of this delta came first)
        let row = t.rows[t.rows.length - 1];
        if (seen !== null && seen !== undefined) {
          for (let k = t.rows.length - 1; k >= 0; k--) { row = t.rows[k]; if (R.seq[row] <= seen) { break; } }
        }
        t.marks.push([row, "RESUME"]);
      }
      t.status = status;
    }
    this.offset = d.offset;
    this.recompute();
    window.__dash.results = R.trial.length - this.dropped.size;
    window.__dash.trials = this.trials.size;
  }

  trial(id) {
    let t = this.trials.get(id);
    if (!t) { t = {id, config: {}, status: "InProgress", rows: [], marks: [], runtime: null, cost: null, resource: null}; this.trials.set(id, t); }
    return t;
  }
  mode() { return this.modes[this.metrics.indexOf(this.metric)] || "min"; }

  // Per trial last and best of the chosen metric, and the best so far over time.
  recompute() {
    const m = this.metric, values = m ? this.R.m[m] : [], sign = this.mode() === "max" ? -1 : 1;
    this.bestTrial = null; let bestValue = Infinity;
    for (const t of this.trials.values()) {
      t.last = null; t.best = null; t.n = 0;
      for (const row of t.rows) {
        if (this.dropped.has(row)) { continue; }
        t.n += 1;
        const v = values[row];
        if (v === null || v === undefined) { continue; }
        t.last = v;
        if (t.best === null || sign * v < sign * t.best) { t.best = v; }
      }
      if (t.best !== null && sign * t.best < bestValue) { bestValue = sign * t.best; this.bestTrial = t.id; }
    }
    const order = this.R.time.map((_, i) => i).filter(i => !this.dropped.has(i) && values[i] !== null);
    order.sort((a, b) => this.R.time[a] - this.R.time[b]);
    this.bsf = {t: [], v: []}; let best = Infinity;
    for (const i of order) {
      if (sign * values[i] < best) { best = sign * values[i]; this.bsf.t.push(this.R.time[i]); this.bsf.v.push(values[i]); }
    }
    if (this.bsf.t.length) { this.bsf.t.push(Math.max(...order.length ? [this.R.time[order[order.length - 1]]] : [0])); this.bsf.v.push(this.bsf.v[this.bsf.v.length - 1]); }
  }

  redraw() {
    if (!this.R || !this.metric) { return; }
    const ylog = $("#ylog").checked, label = `${this.metric} (${this.mode()})`;
    const simulated = String(this.meta.backend || "").includes("Simulator");
    const timeLabel = `${simulated ? "simulated" : "wallclock"} time (s)`;
    // best so far
    const b = new Axes($("#best-chart"), {x: extent(this.bsf.t), y: extent(this.bsf.v, ylog), ylog, xlabel: timeLabel, ylabel: `best ${label}`});
    b.drawAxes(); b.clip(); b.line(this.bsf.t, this.bsf.v, PALETTE[0], 2, true); b.ctx.restore();
    // learning curves, coloured by the trial's status, marks where the scheduler decided
    const values = this.R.m[this.metric], res = this.R.resource;
    const c = new Axes($("#curves-chart"), {x: extent(res), y: extent(values, ylog), ylog,
      xlabel: this.meta.resource_attr || "results reported", ylabel: label});
    c.drawAxes(); c.clip();
    const ctx = c.ctx, paths = {}, colors = {Completed: "#1f77b4", InProgress: "#2ca02c", Stopped: "#999", Paused: "#ff7f0e", Failed: "#d62728"};
    const stops = [[], []], pauses = [[], []], resumes = [[], []];
    const counts = {STOP: 0, PAUSE: 0, RESUME: 0};
    for (const t of this.trials.values()) {
      for (const [, kind] of t.marks) { counts[kind] = (counts[kind] || 0) + 1; }
      const path = paths[t.status] || (paths[t.status] = new Path2D());
      let open = false;
      for (const row of t.rows) {
        const v = values[row], x = res[row];
        if (this.dropped.has(row) || v === null || x === null || (ylog && v <= 0)) { continue; }
        const X = c.px(x), Y = c.py(v);
        if (open) { path.lineTo(X, Y); } else { path.moveTo(X, Y); open = true; }
      }
      for (const [row, kind] of t.marks) {
        const list = kind === "STOP" ? stops : kind === "PAUSE" ? pauses : resumes;
        list[0].push(res[row]); list[1].push(values[row]);
      }
    }
    window.__dash.marks = counts;
    ctx.lineWidth = 1; ctx.globalAlpha = Math.max(0.15, Math.min(0.8, 30 / Math.sqrt(this.trials.size + 1)));
    for (const [status, path] of Object.entries(paths)) { ctx.strokeStyle = colors[status] || "#555"; ctx.stroke(path); }
    ctx.globalAlpha = 1;
    c.points(stops[0], stops[1], "#d62728", 3, "x");
    c.points(pauses[0], pauses[1], "#ff7f0e", 3, "bar");
    c.points(resumes[0], resumes[1], "#2ca02c", 4, "tri");
    const best = this.trials.get(this.bestTrial);
    if (best) { c.line(best.rows.map(r => res[r]), best.rows.map(r => values[r]), "#d62728", 2.2); }
    ctx.restore();
    c.legend(Object.keys(paths).map(s => [s, colors[s] || "#555"]).concat(best ? [[`best: trial ${best.id}`, "#d62728"]] : []));
    this.drawParallel();
  }

  drawParallel() {
    const space = this.meta.config_space || {}, trials = [...this.trials.values()];
    let keys = Object.keys(space).filter(k => space[k] && typeof space[k] === "object" && space[k].domain_cls);
    if (!keys.length && trials.length) { keys = Object.keys(trials[0].config).filter(k => new Set(trials.map(t => JSON.stringify(t.config[k]))).size > 1); }
    const sign = this.mode() === "max" ? -1 : 1;
    trials.sort((a, b) => (a.best === null) - (b.best === null) || sign * ((b.best ?? 0) - (a.best ?? 0)));
    const axes = keys.map(k => {
      const spec = space[k] || {}, kw = spec.domain_kwargs || {};
      const vals = trials.map(t => t.config[k] === undefined ? null : t.config[k]);
      const categorical = ["Categorical", "Ordinal"].includes(spec.domain_cls) || vals.some(v => v !== null && typeof v !== "number");
      return {name: k, values: vals, log: !!(kw.log || kw.log_scale),
              categories: categorical ? (kw.categories || [...new Set(vals.filter(v => v !== null))]).map(String) : null};
    });
    const bests = trials.map(t => t.best);
    axes.push({name: this.metric, values: bests, log: $("#ylog").checked, categories: null});
    // colour by rank (trials were sorted worst first): a few outliers do not wash it out
    const ranked = bests.filter(v => v !== null).length;
    let k = 0;
    const color = bests.map(v => v === null ? null : (k++) / Math.max(1, ranked - 1));
    Charts.parallel($("#parallel-chart"), axes, color);
  }

  // Rows of the trial table: every trial, filtered, sorted, one page of them drawn.
  renderTable() {
    if (!this.trials) { return; }
    const space = this.meta.config_space || {};
    const hp = Object.keys(space).filter(k => space[k] && typeof space[k] === "object" && space[k].domain_cls);
    const first = this.trials.values().next().value;
    const keys = hp.length ? hp : first ? Object.keys(first.config) : [];
    const cols = [["trial_id", "trial"], ["status", "status"], ["n", "results"], ["last", `last ${this.metric}`],
                  ["best", `best ${this.metric}`], ["resource", this.meta.resource_attr || "resource"],
                  ["runtime", "runtime (s)"], ["cost", "cost"], ...keys.map(k => ["config." + k, k])];
    const get = (t, key) => key === "trial_id" ? t.id : key.startsWith("config.") ? t.config[key.slice(7)] : t[key];
    $("#trials thead").innerHTML = "<tr>" + cols.map(([k, label]) =>
      `<th data-key="${esc(k)}">${esc(label)}${this.sort.key === k ? (this.sort.dir > 0 ? " ▲" : " ▼") : ""}</th>`).join("") + "<th>files</th></tr>";
    let rows = [...this.trials.values()];
    const filters = $("#trial-filter").value.trim().split(/\s+/).filter(Boolean).map(word => {
      const m = word.match(/^([\w.]+)(=|<|>)(.+)$/);
      if (!m) { const w = word.toLowerCase(); return t => (t.id + " " + t.status + " " + JSON.stringify(t.config)).toLowerCase().includes(w); }
      const [, key, op, raw] = m, num = Number(raw);
      const field = ["trial_id", "status", "n", "last", "best", "resource", "runtime", "cost"].includes(key) ? key : "config." + key;
      return t => { const v = get(t, field); return op === "=" ? String(v).toLowerCase() === raw.toLowerCase() : op === "<" ? v < num : v > num; };
    });
    rows = rows.filter(t => filters.every(f => f(t)));
    const {key, dir} = this.sort;
    rows.sort((a, b) => {
      const x = get(a, key), y = get(b, key);
      if (x === y) { return a.id - b.id; }
      if (x === null || x === undefined) { return 1; }
      if (y === null || y === undefined) { return -1; }
      return (x < y ? -1 : 1) * dir;
    });
    const size = this.pageSize || rows.length || 1, pages = Math.max(1, Math.ceil(rows.length / size));
    this.pageIndex = Math.min(this.pageIndex, pages - 1);
    const page = rows.slice(this.pageIndex * size, (this.pageIndex + 1) * size);
    const base = `${this.api}/trials`;
    $("#trials tbody").innerHTML = page.map(t => "<tr>" + cols.map(([k]) => {
      const v = get(t, k);
      return `<td data-v="${esc(v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : v)}">${k === "status" ? badge(v) : esc(typeof v === "number" && k !== "trial_id" && k !== "n" ? fmt(v) : v ?? "-")}</td>`;
    }).join("") + `<td><a href="${base}/${t.id}/std.out" target="_blank">out</a> <a href="${base}/${t.id}/std.err" target="_blank">err</a> <a href="${base}/${t.id}/config.json" target="_blank">config</a></td></tr>`).join("");
    $("#page").textContent = ` ${this.pageIndex + 1}/${pages} `;
    $("#trial-count").textContent = `${rows.length} of ${this.trials.size}`;
  }

  async refreshAnalysis() {
    if (this.analysisBusy || this.stopped || (this.analysisAt && Date.now() - this.analysisAt < 5000 && this.analysisOffset >= 0)) { return; }
    this.analysisBusy = true;
    try {
      const a = await getJSON(`${this.api}/analysis?metric=${enc(this.metric || "")}`);
      if (this.stopped) { return; }
      this.analysisOffset = a.offset; this.analysisAt = Date.now();
      this.drawAnalysis(a);
      window.__dash.analysed = performance.now();
    } catch (err) { window.__dash.errors.push(String(err)); }
    this.analysisBusy = false;
  }

  drawAnalysis(a) {
    const imp = a.importance;
    $("#importance").innerHTML = imp.importance.length
      ? `<div class="note">share of the variance of each trial's best ${esc(imp.metric)} explained by one hyperparameter on its own (binned main effect); ρ: Spearman rank correlation</div>` +
        imp.importance.map(r => `<div class="hbar"><span class="label">${esc(r.name)}</span><span class="fill" style="width:${(100 * r.importance).toFixed(1)}%"></span><span class="val">${(100 * r.importance).toFixed(1)}%${r.spearman === null ? "" : ` ρ=${r.spearman.toFixed(2)}`}</span></div>`).join("")
      : `<div class="note">${esc(imp.reason || "no data yet")}</div>`;
    const rungs = a.rungs;
    $("#rungs-panel").classList.toggle("hidden", !rungs);
    if (rungs) {
      const most = Math.max(1, ...rungs.reached);
      $("#rungs").innerHTML = `<div class="note">${esc(rungs.type || "")} · trials that reached each rung level (bar) and are at it now</div>` +
        rungs.levels.map((level, i) => `<div class="hbar"><span class="label">${esc(this.meta.resource_attr || "r")} ≥ ${fmt(level)}</span><span class="fill" style="width:${(100 * rungs.reached[i] / most).toFixed(1)}%"></span><span class="val">${rungs.reached[i]} reached, ${rungs.at[i]} at</span></div>`).join("");
    }
    const p = a.pareto;
    $("#pareto-panel").classList.toggle("hidden", !p);
    if (p && p.points.length) {
      const xs = p.points.map(q => q[1]), ys = p.points.map(q => q[2]), front = new Set(p.front);
      const ax = new Axes($("#pareto-chart"), {x: extent(xs), y: extent(ys), xlabel: `${p.metrics[0]} (${p.modes[0]})`, ylabel: `${p.metrics[1]} (${p.modes[1]})`});
      ax.drawAxes(); ax.clip();
      ax.points(xs, ys, "#aaa", 2.5);
      const fp = p.points.filter(q => front.has(q[0])).sort((u, v) => u[1] - v[1]);
      ax.line(fp.map(q => q[1]), fp.map(q => q[2]), "#d62728", 1.5, true);
      ax.points(fp.map(q => q[1]), fp.map(q => q[2]), "#d62728", 3.5);
      ax.ctx.restore();
      $("#pareto-note").textContent = `${fp.length} non-dominated of ${p.points.length} trials (last results)` +
        (p.hypervolume === null ? "" : ` · hypervolume ${fmt(p.hypervolume)} w.r.t. [${p.reference.map(fmt).join(", ")}]`);
    }
  }
}
