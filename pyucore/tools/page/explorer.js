// pyucore's run explorer: draws the model that pyucore.tools.explorer inlines below (no library, no network).
// Timeline rows are drawn on a canvas, only the rows in view, at most one rectangle per pixel column:
// a run of thousands of processes scrolls as fast as a small one.
"use strict";
const M = /*MODEL*/;

const ROW = 18;
const STATE_COLORS = {running: "#2e7d32", runnable: "#64b5f6", sleeping: "#cfd8dc", zombie: "#e57373"};
const MARKS = {
  fork: {color: "#1b5e20", shape: "up"}, exec: {color: "#0d47a1", shape: "diamond"},
  exit: {color: "#000000", shape: "square"}, kill: {color: "#b71c1c", shape: "cross"},
  fault: {color: "#ef6c00", shape: "dot"}, cow: {color: "#6a1b9a", shape: "down"},
  swap: {color: "#455a64", shape: "down"}, reap: {color: "#4e342e", shape: "ring"},
  pick: {color: "#00838f", shape: "tick"}, priority: {color: "#f9a825", shape: "diamond"},
};
const PTE = {V: 1, R: 2, W: 4, X: 8, U: 16, COW: 256};
const VM = {READ: 1, WRITE: 2, EXEC: 4, STACK: 8};

const $ = (id) => document.getElementById(id);
const byPid = new Map(M.procs.map((p) => [p.pid, p]));
const rows = M.procs.filter((p) => p.pid !== 0);         // idle is the CPU's, drawn on the CPU row
const rowOf = new Map(rows.map((p, i) => [p.pid, i]));
const END = Math.max(M.end, 1);
const view = {t0: 0, t1: END};
let cursor = 0;
let selected = rows.length > 1 ? rows[1].pid : (rows.length ? rows[0].pid : null);

function esc(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));
}

function hex(n) {
  return "0x" + n.toString(16).padStart(8, "0");
}

function fmtTime(t) {
  if (t >= 1e6) return (t / 1e6).toFixed(t >= 1e7 ? 1 : 2) + "M";
  if (t >= 1e3) return (t / 1e3).toFixed(t >= 1e4 ? 1 : 2) + "k";
  return String(Math.round(t));
}

// ---- time lookups ------------------------------------------------------------------------------------

function slicesOf(pid) {
  return M.slices[pid] || [];
}

// Index (in slice units) of the first slice of flat whose end is after t.
function firstSliceEndingAfter(flat, t) {
  let lo = 0, hi = flat.length / 3;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (flat[mid * 3 + 1] <= t) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function stateAt(pid, t) {
  const flat = slicesOf(pid);
  const i = firstSliceEndingAfter(flat, t);
  if (i < flat.length / 3 && flat[i * 3] <= t) return M.states[flat[i * 3 + 2]];
  const p = byPid.get(pid);
  if (t >= END && flat.length && flat[flat.length - 2] >= END) return M.states[flat[flat.length - 1]];
  if (p && p.exit !== null && t >= p.exit) return "zombie";
  return "new";
}

function alive(p, t) {
  return (p.fork === null || p.fork <= t) && (p.reap === null || p.reap > t);
}

// The parent of p at t: the forker, or init once the forker has exited (do_exit reparents to init).
function parentAt(p, t) {
  if (p.parent === null || p.parent <= 1) return {pid: p.parent, reparented: false};
  const forker = byPid.get(p.parent);
  if (forker && forker.exit !== null && forker.exit <= t) return {pid: 1, reparented: true};
  return {pid: p.parent, reparented: false};
}

// Every moment something happens, for stepping with the arrow keys.
const moments = (() => {
  const set = new Set([0, END]);
  for (const flat of Object.values(M.slices)) for (let i = 0; i < flat.length; i += 3) set.add(flat[i]);
  for (const list of Object.values(M.markers)) for (const m of list) set.add(m[0]);
  for (const line of M.console) set.add(line[0]);
  return Array.from(set).sort((a, b) => a - b);
})();

// The CPU row: who runs when (idle included), sorted by start.
const cpu = (() => {
  const out = [];
  const running = M.states.indexOf("running");
  for (const [pid, flat] of Object.entries(M.slices)) {
    for (let i = 0; i < flat.length; i += 3) {
      if (flat[i + 2] === running) out.push([flat[i], flat[i + 1], Number(pid)]);
    }
  }
  return out.sort((a, b) => a[0] - b[0]);
})();

// ---- drawing -----------------------------------------------------------------------------------------

function setupCanvas(canvas, width, height) {
  const ratio = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.height = height + "px";
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return ctx;
}

function xOf(t, width) {
  return (t - view.t0) / (view.t1 - view.t0) * width;
}

function tOf(x, width) {
  return view.t0 + x / width * (view.t1 - view.t0);
}

function pidColor(pid) {
  return pid === 0 ? "#b0bec5" : "hsl(" + ((pid * 137) % 360) + ",55%,45%)";
}

// Draws [start, end, key] intervals on one row, at most one rectangle per pixel column.
function drawIntervals(ctx, items, first, width, y, h, colorOf) {
  let lastPx = -1;
  for (let i = first; i < items.length; i++) {
    const [start, end, key] = items[i];
    if (start >= view.t1) break;
    const px1 = Math.min(width, Math.max(Math.floor(xOf(start, width)) + 1, Math.floor(xOf(end, width))));
    if (px1 <= lastPx) continue;
    const px0 = Math.max(lastPx, Math.floor(xOf(start, width)), 0);
    ctx.fillStyle = colorOf(key);
    ctx.fillRect(px0, y, px1 - px0, h);
    lastPx = px1;
  }
}

function drawMarker(ctx, shape, x, y) {
  ctx.beginPath();
  if (shape === "up") { ctx.moveTo(x, y - 5); ctx.lineTo(x + 4, y + 3); ctx.lineTo(x - 4, y + 3); }
  else if (shape === "down") { ctx.moveTo(x, y + 5); ctx.lineTo(x + 4, y - 3); ctx.lineTo(x - 4, y - 3); }
  else if (shape === "diamond") { ctx.moveTo(x, y - 5); ctx.lineTo(x + 4, y); ctx.lineTo(x, y + 5); ctx.lineTo(x - 4, y); }
  else if (shape === "square") { ctx.rect(x - 3.5, y - 3.5, 7, 7); }
  else if (shape === "dot") { ctx.arc(x, y, 2.5, 0, 2 * Math.PI); }
  if (shape === "cross" || shape === "ring" || shape === "tick") {
    if (shape === "cross") { ctx.moveTo(x - 4, y - 4); ctx.lineTo(x + 4, y + 4); ctx.moveTo(x + 4, y - 4); ctx.lineTo(x - 4, y + 4); }
    else if (shape === "tick") { ctx.moveTo(x, y - 6); ctx.lineTo(x, y + 6); }
    else ctx.arc(x, y, 3.5, 0, 2 * Math.PI);
    ctx.lineWidth = 2;
    ctx.stroke();
  } else {
    ctx.fill();
  }
}

function drawMarkers(ctx, list, width, y) {
  let lo = 0, hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid][0] < view.t0) lo = mid + 1; else hi = mid;
  }
  const lastX = {};
  for (let i = lo; i < list.length && list[i][0] <= view.t1; i++) {
    const kind = list[i][1];
    const x = Math.round(xOf(list[i][0], width));
    if (lastX[kind] !== undefined && x - lastX[kind] < 3) continue;   // thinned: one per 3 pixels and kind
    lastX[kind] = x;
    ctx.fillStyle = ctx.strokeStyle = MARKS[kind].color;
    drawMarker(ctx, MARKS[kind].shape, x, y);
  }
}

function drawCursor(ctx, width, height) {
  const x = Math.round(xOf(cursor, width)) + 0.5;
  ctx.strokeStyle = "#ff6f00";
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(x, 0);
  ctx.lineTo(x, height);
  ctx.stroke();
}

function drawAxis() {
  const canvas = $("axis");
  const width = canvas.clientWidth, height = 44;
  const ctx = setupCanvas(canvas, width, height);
  const span = view.t1 - view.t0;
  const step = Math.pow(10, Math.floor(Math.log10(span / 6 || 1)));
  const tick = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= 10) || step * 10;
  ctx.fillStyle = "#555";
  ctx.font = "11px sans-serif";
  for (let t = Math.ceil(view.t0 / tick) * tick; t <= view.t1; t += tick) {
    const x = Math.round(xOf(t, width)) + 0.5;
    ctx.fillRect(x, 0, 1, 6);
    ctx.fillText(fmtTime(t), x + 2, 12);
  }
  drawIntervals(ctx, cpu, Math.max(0, lowerBound(cpu, view.t0) - 1), width, 22, 16, pidColor);
  drawCursor(ctx, width, height);
}

function lowerBound(items, t) {
  let lo = 0, hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid][1] <= t) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function drawRows() {
  const scroller = $("scroller"), canvas = $("rows");
  const width = canvas.clientWidth, height = Math.min(scroller.clientHeight, rows.length * ROW) || 1;
  const ctx = setupCanvas(canvas, width, height);
  const top = scroller.scrollTop;
  const first = Math.floor(top / ROW), last = Math.min(rows.length - 1, Math.ceil((top + height) / ROW));
  for (let i = first; i <= last; i++) {
    const pid = rows[i].pid, y = i * ROW - top;
    if (pid === selected) { ctx.fillStyle = "#fff8e1"; ctx.fillRect(0, y, width, ROW); }
    const flat = slicesOf(pid);
    const triples = [];
    for (let k = firstSliceEndingAfter(flat, view.t0); k < flat.length / 3 && flat[k * 3] < view.t1; k++) {
      triples.push([flat[k * 3], flat[k * 3 + 1], flat[k * 3 + 2]]);
    }
    drawIntervals(ctx, triples, 0, width, y + 3, ROW - 7, (s) => STATE_COLORS[M.states[s]]);
    drawMarkers(ctx, M.markers[pid] || [], width, y + ROW / 2 - 1);
    ctx.fillStyle = "#f0f0f0";
    ctx.fillRect(0, y + ROW - 1, width, 1);
  }
  drawCursor(ctx, width, height);
}

let drawQueued = false;
function redraw() {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => { drawQueued = false; drawAxis(); drawRows(); });
}

// ---- panels ------------------------------------------------------------------------------------------

function stateBadge(state) {
  return '<span class="st st-' + state + '">' + state + "</span>";
}

const TREE_LIMIT = 2000;       // nodes shown at once; the rest are counted

function renderTree() {
  const t = cursor;
  const children = new Map();
  const living = M.procs.filter((p) => alive(p, t));
  const livingPids = new Set(living.map((p) => p.pid));
  const roots = [];
  for (const p of living) {
    const parent = parentAt(p, t);
    if (parent.pid === null || !livingPids.has(parent.pid)) { roots.push(p); continue; }
    if (!children.has(parent.pid)) children.set(parent.pid, []);
    children.get(parent.pid).push(p);
  }
  let shown = 0;
  const parts = [];
  const walk = (p, depth) => {
    if (shown >= TREE_LIMIT) return;
    shown++;
    const state = stateAt(p.pid, t);
    const parent = parentAt(p, t);
    let text = "<b>" + p.pid + "</b> " + esc(p.name || "-") + " " + stateBadge(state);
    if (p.exit !== null && p.exit <= t) text += " exit " + p.code;
    if (parent.reparented) text += ' <span class="reparented">(orphan, reparented to init)</span>';
    parts.push('<li><div class="node' + (p.pid === selected ? " selected" : "") + '" data-pid="' + p.pid + '">' + text + "</div>");
    const kids = children.get(p.pid);
    if (kids && depth < 400) {
      parts.push("<ul>");
      for (const kid of kids) walk(kid, depth + 1);
      parts.push("</ul>");
    }
    parts.push("</li>");
  };
  parts.push("<ul>");
  for (const root of roots) walk(root, 0);
  parts.push("</ul>");
  if (living.length > shown) parts.push('<p class="note">' + (living.length - shown) + " more processes not shown</p>");
  $("tree").innerHTML = parts.join("");
  $("tree-time").textContent = "at t=" + t;
}

// The memory of pid at t: the last full snapshot at or before t with the deltas after it applied, as
// {when, why (of the last change), vmas, pages sorted by address}; null before the first snapshot.
function memoryAt(pid, t) {
  const list = M.memory[pid] || [];
  let lo = 0, hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid][0] <= t) lo = mid + 1; else hi = mid;
  }
  const last = lo - 1;
  let full = last;
  while (full >= 0 && list[full][2] === null) full--;
  if (full < 0) return null;
  const pages = new Map(list[full][3].map((page) => [page[0], page]));
  for (let i = full + 1; i <= last; i++) {
    for (const page of list[i][3]) {
      if (page[1] === 0 && page[2] === 0) pages.delete(page[0]); else pages.set(page[0], page);
    }
  }
  return {when: list[last][0], why: list[last][1], vmas: list[full][2],
    pages: Array.from(pages.values()).sort((a, b) => a[0] - b[0])};
}

// frame (ppn) -> pids mapping it at t, from each living process's memory at t.
function frameHolders(t) {
  const holders = new Map();
  for (const pid of Object.keys(M.memory)) {
    const p = byPid.get(Number(pid));
    if (!p || (p.fork !== null && p.fork > t) || (p.exit !== null && p.exit <= t)) continue;
    const memory = memoryAt(p.pid, t);
    if (!memory) continue;
    for (const [, bits, frame] of memory.pages) {
      if (!(bits & PTE.V)) continue;
      if (!holders.has(frame)) holders.set(frame, []);
      holders.get(frame).push(Number(pid));
    }
  }
  return holders;
}

function vmaText(flags) {
  return (flags & VM.READ ? "r" : "-") + (flags & VM.WRITE ? "w" : "-") + (flags & VM.EXEC ? "x" : "-") +
    (flags & VM.STACK ? " stack" : "");
}

function bitsText(bits) {
  return ["R", "W", "X", "U"].map((b) => (bits & PTE[b] ? b : "-")).join("");
}

function renderMemory() {
  const box = $("memory"), t = cursor, p = byPid.get(selected);
  if (!p) { box.innerHTML = '<p class="note">Click a process to see its memory.</p>'; $("memory-title").textContent = ""; return; }
  $("memory-title").textContent = "of pid " + p.pid + " (" + (p.name || "-") + ") at t=" + t;
  const list = M.memory[p.pid] || [];
  if (p.fork !== null && p.fork > t) { box.innerHTML = '<p class="note">Not forked yet (fork at t=' + p.fork + ").</p>"; return; }
  if (p.exit !== null && p.exit <= t) { box.innerHTML = '<p class="note">Exited at t=' + p.exit + " (code " + p.code + "): its memory was freed.</p>"; return; }
  const memory = memoryAt(p.pid, t);
  if (!memory) {
    box.innerHTML = '<p class="note">' + (list.length || p.pid <= 1 ? "No user memory at this moment (a kernel thread, or before exec)." :
      "No memory was recorded for this process (a trace without memory detail).") + "</p>";
    return;
  }
  const {when, why, vmas, pages} = memory;
  const holders = frameHolders(t);
  const copies = new Map();
  for (const m of M.markers[p.pid] || []) {
    if (m[0] <= t && m[1] === "cow" && m[2] === "cow copy") copies.set(Math.floor(m[3] / 4096), m[0]);
  }
  let shared = 0, swapped = 0, copied = 0;
  const body = pages.map(([vpn, bits, frame]) => {
    const va = vpn * 4096;
    if (!(bits & PTE.V)) {
      swapped++;
      return '<tr class="swapped"><td>' + hex(va) + "</td><td>-</td><td>----</td><td>on the swap disk, slot " + frame + "</td></tr>";
    }
    const who = holders.get(frame) || [p.pid];
    let cls = "", what = "private (ref " + who.length + ")";
    if (who.length > 1) {
      cls = "cow-shared";
      shared++;
      what = (bits & PTE.COW ? "COW-shared" : "shared") + ", ref " + who.length + " (pids " + who.join(", ") + ")";
    } else if (bits & PTE.COW) {
      what = "COW, now the last reference (ref 1): the next write takes it back";
    } else if (copies.has(vpn)) {
      cls = "cow-copied";
      copied++;
      what = "private copy made by a COW break at t=" + copies.get(vpn) + " (ref 1)";
    }
    return '<tr class="' + cls + '" data-va="' + hex(va) + '"><td>' + hex(va) + "</td><td>" + hex(frame * 4096) + "</td><td>" +
      bitsText(bits) + (bits & PTE.COW ? " COW" : "") + "</td><td>" + what + "</td></tr>";
  });
  const vmaRows = vmas.map(([start, end, flags]) => {
    const mapped = pages.filter(([vpn]) => vpn * 4096 >= start && vpn * 4096 < end).length;
    return "<tr><td>" + hex(start) + ".." + hex(end - 1) + "</td><td>" + vmaText(flags) + "</td><td>" + mapped + " of " + (end - start) / 4096 + " pages</td></tr>";
  });
  box.innerHTML = '<p class="note">Page table as changed by the last ' + esc(why) + " at t=" + when + ": " + pages.length + " user pages, " +
    shared + " shared copy-on-write, " + copied + " copied by COW breaks, " + swapped + " on swap.</p>" +
    "<table><thead><tr><th>VMA</th><th>flags</th><th>mapped</th></tr></thead><tbody>" + vmaRows.join("") + "</tbody></table><br>" +
    '<table id="pages"><thead><tr><th>virtual page</th><th>frame</th><th>bits</th><th>sharing</th></tr></thead><tbody>' +
    body.join("") + "</tbody></table>";
}

let consoleDone = 0;     // console lines printed at or before the cursor (classes are up to date for it)

function renderConsole() {
  const box = $("console");
  box.innerHTML = M.console.map(([t, pid, text], i) =>
    '<div class="line" data-i="' + i + '" data-t="' + t + '"><span class="pid">' + pid + "</span>" + esc(text) + "</div>").join("");
  const lines = box.children;
  for (let i = 0; i < lines.length; i++) lines[i].classList.add("later");
  consoleDone = 0;
}

function updateConsole(scroll) {
  const lines = $("console").children;
  let done = 0, lo = 0, hi = M.console.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (M.console[mid][0] <= cursor) lo = mid + 1; else hi = mid;
  }
  done = lo;
  for (let i = Math.min(done, consoleDone); i < Math.max(done, consoleDone); i++) lines[i].classList.toggle("later", i >= done);
  if (consoleDone > 0) lines[consoleDone - 1].classList.remove("current");
  if (done > 0) {
    lines[done - 1].classList.add("current");
    if (scroll) lines[done - 1].scrollIntoView({block: "nearest"});
  }
  consoleDone = done;
}

// ---- interaction -------------------------------------------------------------------------------------

function setCursor(t, scrollConsole) {
  cursor = Math.max(0, Math.min(END, Math.round(t)));
  $("cursor").value = cursor;
  document.body.dataset.cursor = cursor;
  $("time-readout").textContent = "t = " + cursor + " instructions; view " + fmtTime(view.t0) + " - " + fmtTime(view.t1);
  renderTree();
  renderMemory();
  updateConsole(scrollConsole);
  redraw();
}

function select(pid) {
  selected = pid;
  document.body.dataset.selected = pid;
  for (const el of document.querySelectorAll("#labels .row.selected")) el.classList.remove("selected");
  const label = document.querySelector('#labels .row[data-pid="' + pid + '"]');
  if (label) label.classList.add("selected");
  renderTree();
  renderMemory();
  redraw();
}

function zoom(factor, centerT) {
  const span = Math.min(END, Math.max(10, (view.t1 - view.t0) * factor));
  const c = centerT === undefined ? (view.t0 + view.t1) / 2 : centerT;
  const ratio = (c - view.t0) / (view.t1 - view.t0);
  view.t0 = Math.max(0, Math.min(END - span, c - ratio * span));
  view.t1 = view.t0 + span;
  setCursor(cursor, false);
}

function pan(dt) {
  const span = view.t1 - view.t0;
  view.t0 = Math.max(0, Math.min(END - span, view.t0 + dt));
  view.t1 = view.t0 + span;
  redraw();
}

function rowAt(canvas, event) {
  const rect = canvas.getBoundingClientRect();
  return Math.floor((event.clientY - rect.top + $("scroller").scrollTop) / ROW);
}

function describeAt(canvas, event) {
  const rect = canvas.getBoundingClientRect();
  const x = event.clientX - rect.left, t = tOf(x, rect.width);
  if (canvas.id === "axis") {
    const i = lowerBound(cpu, t);
    if (i < cpu.length && cpu[i][0] <= t) return cpu[i][2] === 0 ? "idle" : "pid " + cpu[i][2] + " running";
    return null;
  }
  const p = rows[rowAt(canvas, event)];
  if (!p) return null;
  const head = "pid " + p.pid + " (" + (p.name || "-") + ")\n";
  for (const m of M.markers[p.pid] || []) {
    if (Math.abs(xOf(m[0], rect.width) - x) <= 4) return head + m[2] + " at t=" + m[0];
  }
  const flat = slicesOf(p.pid), k = firstSliceEndingAfter(flat, t);
  if (k < flat.length / 3 && flat[k * 3] <= t) {
    return head + M.states[flat[k * 3 + 2]] + " from t=" + flat[k * 3] + " to t=" + flat[k * 3 + 1] + " (" + (flat[k * 3 + 1] - flat[k * 3]) + " instructions)";
  }
  return head.trim();
}

function attachCanvas(canvas) {
  let down = null;
  canvas.addEventListener("mousedown", (e) => { down = {x: e.clientX, t0: view.t0, moved: false}; });
  window.addEventListener("mousemove", (e) => {
    if (!down) return;
    if (Math.abs(e.clientX - down.x) > 3) down.moved = true;
    if (down.moved) {
      const span = view.t1 - view.t0;
      pan(down.t0 - (e.clientX - down.x) / canvas.clientWidth * span - view.t0);
    }
  });
  window.addEventListener("mouseup", (e) => {
    if (!down) return;
    const click = !down.moved && e.target === canvas;
    down = null;
    if (!click) return;
    const rect = canvas.getBoundingClientRect();
    if (canvas.id === "rows") {
      const p = rows[rowAt(canvas, e)];
      if (p) select(p.pid);
    }
    setCursor(tOf(e.clientX - rect.left, rect.width), true);
  });
  canvas.addEventListener("mousemove", (e) => {
    const tip = $("tooltip"), text = down && down.moved ? null : describeAt(canvas, e);
    tip.hidden = !text;
    if (text) {
      tip.textContent = text;
      tip.style.left = (e.clientX + 12) + "px";
      tip.style.top = (e.clientY + 12) + "px";
    }
  });
  canvas.addEventListener("mouseleave", () => { $("tooltip").hidden = true; });
  canvas.addEventListener("wheel", (e) => {
    if (e.ctrlKey || e.metaKey) {
      e.preventDefault();
      const rect = canvas.getBoundingClientRect();
      zoom(e.deltaY > 0 ? 1.25 : 0.8, tOf(e.clientX - rect.left, rect.width));
    } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      e.preventDefault();
      pan(((e.deltaX || e.deltaY) / canvas.clientWidth) * (view.t1 - view.t0));
    }
  }, {passive: false});
}

function stepCursor(direction) {
  let lo = 0, hi = moments.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (moments[mid] <= cursor) lo = mid + 1; else hi = mid;
  }
  const i = direction > 0 ? lo : lo - 2;
  if (i >= 0 && i < moments.length) setCursor(moments[i], true);
}

function start() {
  const first = M.procs.find((p) => p.name && p.pid > 1);
  $("title").textContent = "pyucore run" + (first ? ": " + first.name : "") + " (" + (rows.length) + " processes, " + fmtTime(END) + " instructions)";
  document.title = $("title").textContent;
  $("legend").innerHTML = Object.entries(STATE_COLORS).map(([s, c]) => '<span><i style="background:' + c + '"></i>' + s + "</span>").join("") +
    '<span><i style="background:#b0bec5"></i>idle</span>';
  $("labels").innerHTML = rows.map((p) => '<div class="row" data-pid="' + p.pid + '" title="pid ' + p.pid + '">pid ' + p.pid + " " + esc(p.name || "") + "</div>").join("");
  $("tracks").style.height = rows.length * ROW + "px";
  $("cursor").max = END;
  $("stats").textContent = M.stats || "(no stats recorded)";
  renderConsole();
  $("labels").addEventListener("click", (e) => { const row = e.target.closest(".row"); if (row) select(Number(row.dataset.pid)); });
  $("tree").addEventListener("click", (e) => { const node = e.target.closest(".node"); if (node) select(Number(node.dataset.pid)); });
  $("console").addEventListener("click", (e) => {
    const line = e.target.closest(".line");
    if (!line) return;
    const [t, pid] = M.console[Number(line.dataset.i)];
    if (byPid.has(pid) && pid !== 0) select(pid);
    setCursor(t, false);
  });
  $("cursor").addEventListener("input", (e) => setCursor(Number(e.target.value), true));
  $("zoom-in").addEventListener("click", () => zoom(0.5, cursor));
  $("zoom-out").addEventListener("click", () => zoom(2, cursor));
  $("zoom-fit").addEventListener("click", () => { view.t0 = 0; view.t1 = END; setCursor(cursor, false); });
  $("scroller").addEventListener("scroll", redraw);
  window.addEventListener("resize", redraw);
  window.addEventListener("keydown", (e) => {
    if (e.target.tagName === "INPUT" && e.target.type !== "range") return;
    if (e.key === "ArrowRight" || e.key === "ArrowLeft") { e.preventDefault(); stepCursor(e.key === "ArrowRight" ? 1 : -1); }
    else if (e.key === "+" || e.key === "=") zoom(0.5, cursor);
    else if (e.key === "-") zoom(2, cursor);
    else if (e.key === "0") $("zoom-fit").click();
  });
  attachCanvas($("axis"));
  attachCanvas($("rows"));
  select(selected);
  setCursor(0, false);
  document.body.dataset.ready = "1";
}

start();
