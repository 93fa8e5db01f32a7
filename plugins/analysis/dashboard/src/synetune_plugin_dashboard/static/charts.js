// Small canvas charts for the dashboard: axes with round ticks, lines, bands, points and
// parallel coordinates. Hand-written so that 100,000 points draw in a few milliseconds and
// nothing has to be downloaded.
"use strict";

const Charts = (() => {
  const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                   "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

  function niceTicks(lo, hi, count) {
    if (!(hi > lo)) { return [lo]; }
    const raw = (hi - lo) / Math.max(1, count);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => s >= raw) || raw;
    const ticks = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
      ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    }
    return ticks;
  }

  function fmt(v) {
    if (v === null || v === undefined || Number.isNaN(v)) { return "-"; }
    if (typeof v !== "number") { return String(v); }
    if (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3)) { return v.toExponential(2); }
    return String(Number(v.toPrecision(4)));
  }

  function extent(values, log) {
    let lo = Infinity, hi = -Infinity;
    for (const v of values) {
      if (v === null || !Number.isFinite(v) || (log && v <= 0)) { continue; }
      if (v < lo) { lo = v; }
      if (v > hi) { hi = v; }
    }
    if (lo === Infinity) { return [0, 1]; }
    if (lo === hi) { return log ? [lo / 2, hi * 2] : [lo - 0.5, hi + 0.5]; }
    return [lo, hi];
  }

  // A chart area on a canvas: data to pixel maps and the axes drawn around it.
  class Axes {
    constructor(canvas, opts) {
      const ratio = window.devicePixelRatio || 1;
      const width = canvas.clientWidth || 600, height = canvas.clientHeight || 300;
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      this.ctx = canvas.getContext("2d");
      this.ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      this.ctx.clearRect(0, 0, width, height);
      this.w = width; this.h = height;
      this.m = Object.assign({l: 58, r: 12, t: 10, b: 36}, opts.margin || {});
      this.xlog = !!opts.xlog; this.ylog = !!opts.ylog;
      this.x = opts.x; this.y = opts.y;
      this.opts = opts;
    }
    tx(v) { return this.xlog ? Math.log10(v) : v; }
    ty(v) { return this.ylog ? Math.log10(v) : v; }
    px(v) {
      const [a, b] = [this.tx(this.x[0]), this.tx(this.x[1])];
      return this.m.l + (this.tx(v) - a) / ((b - a) || 1) * (this.w - this.m.l - this.m.r);
    }
    py(v) {
      const [a, b] = [this.ty(this.y[0]), this.ty(this.y[1])];
      return this.h - this.m.b - (this.ty(v) - a) / ((b - a) || 1) * (this.h - this.m.t - this.m.b);
    }
    drawAxes() {
      const c = this.ctx, m = this.m;
      c.save();
      c.strokeStyle = "#ddd"; c.fillStyle = "#444"; c.font = "11px sans-serif"; c.lineWidth = 1;
      const ticks = (range, log, n) => log
        ? niceTicks(Math.log10(range[0]), Math.log10(range[1]), n).map(t => Math.pow(10, t))
        : niceTicks(range[0], range[1], n);
      c.textAlign = "center"; c.textBaseline = "top";
      for (const t of ticks(this.x, this.xlog, Math.max(2, this.w / 90))) {
        const p = this.px(t);
        c.beginPath(); c.moveTo(p, m.t); c.lineTo(p, this.h - m.b); c.stroke();
        c.fillText(fmt(t), p, this.h - m.b + 4);
      }
      c.textAlign = "right"; c.textBaseline = "middle";
      for (const t of ticks(this.y, this.ylog, Math.max(2, this.h / 50))) {
        const p = this.py(t);
        c.beginPath(); c.moveTo(m.l, p); c.lineTo(this.w - m.r, p); c.stroke();
        c.fillText(fmt(t), m.l - 4, p);
      }
      c.strokeStyle = "#888";
      c.strokeRect(m.l, m.t, this.w - m.l - m.r, this.h - m.t - m.b);
      c.textAlign = "center"; c.textBaseline = "bottom";
      if (this.opts.xlabel) { c.fillText(this.opts.xlabel, (m.l + this.w - m.r) / 2, this.h - 2); }
      if (this.opts.ylabel) {
        c.translate(11, (m.t + this.h - m.b) / 2); c.rotate(-Math.PI / 2);
        c.textBaseline = "middle"; c.fillText(this.opts.ylabel, 0, 0);
      }
      c.restore();
    }
    clip() {
      const c = this.ctx, m = this.m;
      c.save(); c.beginPath();
      c.rect(m.l, m.t, this.w - m.l - m.r, this.h - m.t - m.b); c.clip();
    }
    // x and y arrays; a null or non-finite y breaks the line
    line(xs, ys, color, width, step) {
      const c = this.ctx; let open = false, lastY = 0;
      c.beginPath();
      for (let i = 0; i < xs.length; i++) {
        const x = xs[i], y = ys[i];
        if (y === null || !Number.isFinite(y) || !Number.isFinite(x)) { open = false; continue; }
        const X = this.px(x), Y = this.py(y);
        if (!open) { c.moveTo(X, Y); open = true; }
        else { if (step) { c.lineTo(X, lastY); } c.lineTo(X, Y); }
        lastY = Y;
      }
      c.strokeStyle = color; c.lineWidth = width || 1.5; c.stroke();
    }
    band(xs, lo, hi, color) {
      const c = this.ctx, idx = [];
      for (let i = 0; i < xs.length; i++) {
        if (Number.isFinite(lo[i]) && Number.isFinite(hi[i]) && lo[i] !== null) { idx.push(i); }
      }
      if (!idx.length) { return; }
      c.beginPath();
      idx.forEach((i, k) => k ? c.lineTo(this.px(xs[i]), this.py(hi[i]))
                              : c.moveTo(this.px(xs[i]), this.py(hi[i])));
      for (let k = idx.length - 1; k >= 0; k--) { c.lineTo(this.px(xs[idx[k]]), this.py(lo[idx[k]])); }
      c.closePath(); c.globalAlpha = 0.18; c.fillStyle = color; c.fill(); c.globalAlpha = 1;
    }
    points(xs, ys, color, size, shape) {
      const c = this.ctx, s = size || 3;
      c.beginPath();
      for (let i = 0; i < xs.length; i++) {
        if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) { continue; }
        const X = this.px(xs[i]), Y = this.py(ys[i]);
        if (shape === "x") { c.moveTo(X - s, Y - s); c.lineTo(X + s, Y + s); c.moveTo(X - s, Y + s); c.lineTo(X + s, Y - s); }
        else if (shape === "bar") { c.moveTo(X - s, Y - s); c.lineTo(X - s, Y + s); c.moveTo(X + s, Y - s); c.lineTo(X + s, Y + s); }
        else if (shape === "tri") { c.moveTo(X - s, Y - s); c.lineTo(X + s, Y); c.lineTo(X - s, Y + s); c.closePath(); }
        else { c.moveTo(X + s, Y); c.arc(X, Y, s, 0, 2 * Math.PI); }
      }
      c.strokeStyle = color; c.fillStyle = color; c.lineWidth = 1.5;
      if (shape === "x" || shape === "bar") { c.stroke(); } else { c.fill(); }
    }
    legend(items) {
      const c = this.ctx; let y = this.m.t + 6;
      c.font = "11px sans-serif"; c.textBaseline = "middle"; c.textAlign = "left";
      for (const [label, color] of items) {
        const x = this.w - this.m.r - 8 - c.measureText(label).width - 16;
        c.fillStyle = "rgba(255,255,255,0.8)"; c.fillRect(x - 2, y - 7, c.measureText(label).width + 22, 14);
        c.fillStyle = color; c.fillRect(x, y - 2, 12, 4);
        c.fillStyle = "#222"; c.fillText(label, x + 16, y); y += 15;
      }
    }
  }

  // Viridis-like ramp: 0 -> dark purple, 1 -> yellow.
  const RAMP = ["#440154", "#46327e", "#365c8d", "#277f8e", "#1fa187", "#4ac16d", "#a0da39", "#fde725"];

  // axes: [{name, values (per line, null where missing), categories (or null), log}]
  // color: per line in [0, 1] (null: grey); lines drawn in RAMP buckets, best last
  function parallel(canvas, axes, color) {
    const ratio = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || 800, h = canvas.clientHeight || 300;
    canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio);
    const c = canvas.getContext("2d");
    c.setTransform(ratio, 0, 0, ratio, 0, 0); c.clearRect(0, 0, w, h);
    if (!axes.length) { return; }
    const top = 18, bottom = h - 22, left = 40, right = w - 40;
    const xAt = i => axes.length === 1 ? (left + right) / 2 : left + i * (right - left) / (axes.length - 1);
    const scaled = axes.map(axis => {
      if (axis.categories) {
        const n = Math.max(1, axis.categories.length - 1);
        const index = new Map(axis.categories.map((v, i) => [v, i]));
        return axis.values.map(v => { const k = index.get(String(v)); return k === undefined ? null : k / n; });
      }
      const vals = axis.log ? axis.values.map(v => (v > 0 ? Math.log10(v) : null)) : axis.values;
      const [lo, hi] = extent(vals, false);
      axis.range = axis.log ? [Math.pow(10, lo), Math.pow(10, hi)] : [lo, hi];
      return vals.map(v => (v === null || !Number.isFinite(v)) ? null : (v - lo) / ((hi - lo) || 1));
    });
    const n = axes[0].values.length;
    // lines through an axis with few values would lie on top of each other: spread them a little
    scaled.forEach((col, i) => {
      if (new Set(col).size > 24) { return; }
      for (let j = 0; j < n; j++) {
        if (col[j] !== null) { col[j] = Math.min(1, Math.max(0, col[j] + (((j * 2654435761) % 1000) / 1000 - 0.5) * 0.05)); }
      }
    });
    const buckets = RAMP.map(() => new Path2D()), grey = new Path2D();
    for (let j = 0; j < n; j++) {
      const col = color[j];
      const path = (col === null || !Number.isFinite(col)) ? grey
        : buckets[Math.min(RAMP.length - 1, Math.floor(col * RAMP.length))];
      let open = false;
      for (let i = 0; i < axes.length; i++) {
        const s = scaled[i][j];
        if (s === null) { open = false; continue; }
        const X = xAt(i), Y = bottom - s * (bottom - top);
        if (open) { path.lineTo(X, Y); } else { path.moveTo(X, Y); open = true; }
      }
    }
    c.lineWidth = 1; c.globalAlpha = Math.max(0.06, Math.min(0.6, 25 / Math.sqrt(n + 1)));
    c.strokeStyle = "#bbb"; c.stroke(grey);
    for (let b = 0; b < RAMP.length; b++) { c.strokeStyle = RAMP[b]; c.stroke(buckets[b]); }
    c.globalAlpha = 1; c.font = "11px sans-serif"; c.fillStyle = "#222"; c.strokeStyle = "#666";
    axes.forEach((axis, i) => {
      const X = xAt(i);
      c.beginPath(); c.moveTo(X, top); c.lineTo(X, bottom); c.stroke();
      c.textAlign = i === 0 && axes.length > 1 ? "left" : i === axes.length - 1 && axes.length > 1 ? "right" : "center";
      c.textBaseline = "bottom"; c.fillText(axis.name, i === 0 ? X - 10 : i === axes.length - 1 ? X + 10 : X, top - 3);
      c.textAlign = "center";
      c.textBaseline = "top";
      if (axis.categories) {
        const k = axis.categories.length;
        axis.categories.forEach((cat, q) => {
          c.textAlign = "left";
          c.fillText(String(cat).slice(0, 10), X + 3, bottom - (k > 1 ? q / (k - 1) : 0) * (bottom - top) - 6);
        });
      } else if (axis.range) {
        c.fillText(fmt(axis.range[0]), X, bottom + 3);
        c.textBaseline = "bottom"; c.fillText(fmt(axis.range[1]), X, top + 12);
      }
    });
  }

  return {Axes, PALETTE, RAMP, extent, fmt, niceTicks, parallel};
})();
