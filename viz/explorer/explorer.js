// pathgrad explorer: one script for the standalone page (viz.explore) and the notebook widget
// (viz.Explorer, anywidget). The page holds the graph (its edges, constants and order) and
// recomputes every value, rate factor, gradient and path product itself, with kernels the rule
// rows wrote as JavaScript (viz/javascript.py): nudge any leaf and everything downstream moves.
// No network requests, no dependencies, no build step.

const SVGNS = "http://www.w3.org/2000/svg";
const READABLE = 10;  // px: the smallest text at the first view
const MAX_TEXT = 20;  // px: "fit" enlarges a small picture until its smallest text is this
const MIN_TEXT = 8;  // px: "fit" never shrinks text below this (the stage scrolls instead)
const PLAY_MS = 6000;  // Play replays the whole sweep in about this long, whatever its length
const MINUS = "\u2212";

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function svgText(svg) {
  const at = svg.indexOf("<svg");
  return at < 0 ? svg : svg.slice(at);
}

// ---- numbers as the Python side writes them ---------------------------------------------------
const pad2 = (e) => (Math.abs(e) < 10 ? "0" : "") + Math.abs(e);
const zero = (x) => (x === 0 ? 0 : x);  // -0 reads as 0

// Python's f"{x:.{p}g}": p significant digits, no trailing zeros, e-notation out of [1e-4, 10^p)
function fmtG(x, p = 4) {
  x = zero(x);
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return "0";
  const [mant, e] = x.toExponential(p - 1).split("e");
  const exp = Number(e);
  const strip = (t) => (t.includes(".") ? t.replace(/0+$/, "").replace(/\.$/, "") : t);
  if (exp < -4 || exp >= p) return `${strip(mant)}e${exp < 0 ? "-" : "+"}${pad2(exp)}`;
  return strip(x.toFixed(Math.max(0, p - 1 - exp)));
}

// style.number(x, d): micrograd's %.4f, scientific where that would hide the value
function fmtFixed(x, d = 4) {
  x = zero(x);
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0 || (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e6)) return x.toFixed(d);
  const [mant, e] = x.toExponential(Math.max(d - 1, 1)).split("e");
  return `${mant}e${Number(e) < 0 ? "-" : "+"}${pad2(Number(e))}`;
}

const short = (x) => fmtG(x).replace("-", MINUS);  // ``_short``: 4 digits, typographic minus
const signed = (x) => { const t = short(x); return t.startsWith(MINUS) ? `(${t})` : t; };
const plusMinus = (x, f = short) => (zero(x) > 0 ? "+" : "") + f(x);
const gradOf = (name) => (/^[\w[\],.']+$/.test(name) ? `${name}.grad` : `(${name}).grad`);

// Python's repr of a float in an error message: 1.0, -0.5, 1e+200
function repr(x) {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const t = String(x);
  if (/e/.test(t)) return t.replace(/e([+-])(\d)$/, "e$10$2");
  return Number.isInteger(x) && Math.abs(x) < 1e16 ? `${t}.0` : t;
}

// ---- the engine --------------------------------------------------------------------------------
class MathError extends Error {}

// The graph as flat arrays, recomputed by the kernels the rows wrote (``scene.engine``):
// v (values), R (one rate factor per edge), g (∂root/∂node), in the engine's topological order.
class Engine {
  constructor(spec, names) {
    const made = new Function(spec.source)();
    this.K = made.K;
    this.KC = made.KC;
    this.kernels = spec.kernels;
    this.ieee = Boolean(spec.ieee);  // a graph made inside ieee(): inf and nan are numbers
    this.names = names;
    const n = (this.n = spec.sig.length);
    this.sig = Int32Array.from(spec.sig);
    this.start = Int32Array.from(spec.start);
    this.P = Int32Array.from(spec.parents);
    this.c = Float64Array.from(spec.consts, (x) => (x === null ? NaN : x));
    this.v0 = Float64Array.from(spec.data, (x) => (x === null ? NaN : x));
    this.v = Float64Array.from(this.v0);
    this.R = new Float64Array(this.P.length);
    this.g = new Float64Array(n);
    this.saved = [new Float64Array(n), new Float64Array(this.P.length)];
    this.child = new Int32Array(this.P.length);  // the node each edge goes into
    this.first = new Int32Array(n).fill(n);  // each node's first consumer
    for (let i = 0; i < n; i++) {
      for (let e = this.start[i]; e < this.start[i + 1]; e++) {
        this.child[e] = i;
        if (this.first[this.P[e]] > i) this.first[this.P[e]] = i;
      }
    }
    // nodes made by hand (a _backward closure, no row): their exported rates, and the nodes
    // upstream of one, which a nudge may not change (the page cannot recompute the closure)
    this.opaque = new Map(Object.entries(spec.opaque || {}).map(([i, r]) => [Number(i), r]));
    for (const [i, rates] of this.opaque) rates.forEach((r, k) => { this.R[this.start[i] + k] = r; });
    this.feedsOpaque = new Uint8Array(n);
    for (let i = n - 1; i >= 0; i--) {
      if (!this.feedsOpaque[i] && !this.opaque.has(i)) continue;
      for (let e = this.start[i]; e < this.start[i + 1]; e++) this.feedsOpaque[this.P[e]] = 1;
    }
    this.leaves = [];
    for (let i = 0; i < n; i++) if (this.sig[i] === -1) this.leaves.push(i);
    this.root = n - 1;
    this.version = 0;
    this.forward(0);
    this.backward();
  }

  // values and rate factors from node ``from`` on; throws a MathError naming the op that failed
  forward(from) {
    const { K, sig, start, P, c, v, R } = this;
    for (let i = from, n = this.n; i < n; i++) {
      const k = sig[i];
      if (k < 0) continue;  // a leaf, or a node made by hand (kept as exported)
      const s = start[i];
      const o = K[k](v, P, s, c[i], R);
      let ok = o - o === 0;
      for (let e = s, end = start[i + 1]; e < end; e++) ok = ok && R[e] - R[e] === 0;
      if (!ok && !this.ieee) this.fail(i);
      v[i] = o;
    }
  }

  // one reverse sweep, the engine's: every grad from 0, the root's 1, edges in order
  backward() {
    const { start, P, R, g } = this;
    g.fill(0);
    g[this.root] = 1;
    for (let i = this.n - 1; i >= 0; i--) {
      const gi = g[i];
      if (gi === 0) continue;
      for (let e = start[i], end = start[i + 1]; e < end; e++) g[P[e]] += gi * R[e];
    }
    this.version++;
  }

  // The checked kernel says how Python's math would have failed (it throws the same kinds)
  fail(i) {
    const s = this.start[i], end = this.start[i + 1];
    const meta = this.kernels[this.sig[i]];
    let kind = "OverflowError";
    try {
      this.KC[this.sig[i]](this.v, this.P, s, this.c[i], new Float64Array(this.R.length));
    } catch (e) {
      if (!e.kind) throw e;
      kind = e.kind;
    }
    const args = [];
    for (let e = s; e < end; e++) args.push(repr(this.v[this.P[e]]));
    if (!Number.isNaN(this.c[i])) args.push(repr(this.c[i]));
    const at = `'${meta.op}' at (${args.join(", ")})`;
    const hint = meta.domain ? ` (${meta.domain})` : "";
    const message = kind === "ZeroDivisionError" ? `division by zero in ${at}${hint}`
      : kind === "ValueError" ? `math domain error in ${at}${hint}`
        : `overflow in ${at}: the result or its rate factor is too large for a float`;
    const err = new MathError(`${message} [node ${this.names[i]}]`);
    err.name = kind;
    err.node = i;
    err.op = meta.op;
    throw err;
  }

  // set leaf i to x and recompute; on a domain error every number stays as it was
  set(i, x) {
    if (typeof x !== "number" || !Number.isFinite(x)) {
      throw new TypeError(`set: ${this.names[i]} needs a finite number, got ${String(x)}`);
    }
    if (this.feedsOpaque[i]) {
      const j = [...this.opaque.keys()].find((o) => this.reaches(i, o));
      throw new Error(`set: ${this.names[i]} feeds ${this.names[j]}, a node made by hand (a ` +
        "_backward closure, no rule row): the page cannot recompute it. Give its op a row " +
        "(pathgrad.autograd.rules.register) to make it live");
    }
    const [vs, rs] = this.saved;
    vs.set(this.v);
    rs.set(this.R);
    this.v[i] = x;
    try {
      this.forward(this.first[i]);
    } catch (e) {
      this.v.set(vs);
      this.R.set(rs);
      throw e;
    }
    this.backward();
  }

  // whether node a is upstream of node b
  reaches(a, b) {
    const seen = new Uint8Array(this.n);
    seen[a] = 1;
    for (let j = a + 1; j <= b; j++) {
      for (let e = this.start[j]; e < this.start[j + 1]; e++) if (seen[this.P[e]]) { seen[j] = 1; break; }
    }
    return seen[b] === 1;
  }

  reset() {
    this.v.set(this.v0);
    this.forward(0);
    this.backward();
  }

  changed() {
    return this.leaves.some((i) => this.v[i] !== this.v0[i]);
  }

  // ---- paths -------------------------------------------------------------------------------
  // The k paths from node i to the root with the largest |product| (k-best over the DAG: the
  // best k into a node are among the best k into each operand times the edge's rate), each
  // {edges, nodes, product}; abs: Σ|products| over every path.
  paths(i, k) {
    const { start, P, R, n } = this;
    const best = new Map([[i, [{ prod: 1, edge: -1, prev: null }]]]);
    let abs = new Map([[i, 1]]);
    for (let j = i + 1; j < n; j++) {
      let cand = null;
      let a = 0;
      for (let e = start[j], end = start[j + 1]; e < end; e++) {
        const from = best.get(P[e]);
        if (!from) continue;
        a += abs.get(P[e]) * Math.abs(R[e]);
        cand = cand || [];
        for (const p of from) cand.push({ prod: p.prod * R[e], edge: e, prev: p });
      }
      if (!cand) continue;
      cand.sort((x, y) => Math.abs(y.prod) - Math.abs(x.prod));
      best.set(j, cand.length > k ? cand.slice(0, k) : cand);
      abs.set(j, a);
    }
    const end = best.get(this.root) || [];
    const total = abs.get(this.root) || 0;
    abs = null;
    return {
      abs: total,
      paths: end.map((p) => {
        const edges = [];
        for (let q = p; q.edge >= 0; q = q.prev) edges.push(q.edge);
        edges.reverse();
        return { edges, nodes: [i, ...edges.map((e) => this.child[e])], product: p.prod };
      }),
    };
  }
}
// One laid-out picture (the computation graph or the network diagram) and its handles.
class Picture {
  constructor(svg) {
    this.box = h("div", { class: "pg-canvas" });
    this.box.innerHTML = svgText(svg);
    this.svg = this.box.querySelector("svg");
    this.graph = this.svg.querySelector("g.graph");
    this.nodes = new Map(); // title -> <g class="node">
    this.edges = new Map(); // id e{i}_{k} / w{l}_{j}_{k}, or "o{i}" for v{i}op -> v{i}
    for (const g of this.svg.querySelectorAll("g.node")) {
      this.nodes.set(g.querySelector("title").textContent.trim(), g);
    }
    for (const g of this.svg.querySelectorAll("g.edge")) {
      const title = g.querySelector("title").textContent.trim();
      const m = /^v(\d+)op->v(\d+)$/.exec(title);
      this.edges.set(m ? "o" + m[2] : g.id, g);
    }
    // edges' wide hover strokes, under the nodes so they never take a node's click
    this.grips = document.createElementNS(SVGNS, "g");
    this.grips.setAttribute("class", "pg-grips");
    const first = [...this.graph.children].find((c) => c.tagName === "g");
    this.graph.insertBefore(this.grips, first || null);
    this.overlay = document.createElementNS(SVGNS, "g");
    this.overlay.setAttribute("class", "pg-overlay");
    this.graph.append(this.overlay);
    this.natural = [this.svg.width.baseVal.value, this.svg.height.baseVal.value];
    this.scale = 1;
  }

  zoom(scale) {
    this.scale = scale;
    this.svg.setAttribute("width", this.natural[0] * scale);
    this.svg.setAttribute("height", this.natural[1] * scale);
  }

  // The smallest text's size in px at scale 1 (Graphviz writes font sizes in the viewBox's
  // units, points: the viewBox maps them to the natural width).
  smallestText() {
    if (this.small === undefined) {
      const vb = this.svg.viewBox && this.svg.viewBox.baseVal;
      const unit = vb && vb.width ? this.natural[0] / vb.width : 1;
      let least = Infinity;
      for (const t of this.svg.querySelectorAll("text")) {
        if (!t.textContent.trim()) continue;
        least = Math.min(least, parseFloat(t.getAttribute("font-size") || "14") * unit);
      }
      this.small = Number.isFinite(least) ? least : 14;
    }
    return this.small;
  }

  // The scale that shows the whole picture in the stage, up as well as down (up to where the
  // smallest text is MAX_TEXT px: a three-node graph need not fill a wide screen).
  fitScale() {
    const width = this.box.clientWidth - 12;
    const height = this.box.clientHeight - 12;
    if (width <= 0 || height <= 0) return null;
    const s = Math.min(width / this.natural[0], height / this.natural[1]);
    return Math.min(s, MAX_TEXT / this.smallestText());
  }

  // "fit": the whole picture where its text stays at least MIN_TEXT px, else as much of it as
  // that allows (the stage scrolls)
  fit() {
    const s = this.fitScale();
    if (s) this.zoom(Math.max(s, MIN_TEXT / this.smallestText()));
  }

  // The first view: the whole picture if its smallest text is READABLE px there, else enlarged
  // until it is (the stage scrolls): diagrams of a [16, 16] network included.
  open() {
    const s = this.fitScale();
    if (!s) return;
    const readable = (READABLE + 0.05) / this.smallestText();  // + rounding
    this.zoom(Math.max(s, readable));
  }

  // scroll the stage so that the element ``key`` (the output, on opening) is in view
  reveal(key) {
    const g = this.nodes.get(key);
    if (!g) return;
    const b = g.getBoundingClientRect(), box = this.box.getBoundingClientRect();
    this.box.scrollLeft += b.left + b.width / 2 - (box.left + box.width / 2);
    this.box.scrollTop += b.top + b.height / 2 - (box.top + box.height / 2);
  }

  clear() {
    this.overlay.replaceChildren();
    this.svg.classList.remove("pg-dim");
    for (const e of this.svg.querySelectorAll(".pg-lit, .pg-current, .pg-picked")) {
      e.classList.remove("pg-lit", "pg-current", "pg-picked");
    }
    for (const e of this.svg.querySelectorAll("[data-pg-stroke]")) {
      e.setAttribute("stroke", e.getAttribute("data-pg-stroke"));
      e.setAttribute("fill", e.getAttribute("data-pg-fill"));
      e.removeAttribute("data-pg-stroke");
      e.removeAttribute("data-pg-fill");
    }
  }

  // Colour an edge for each path that runs along it: one dashed stripe per colour.
  lightEdge(key, colors) {
    const g = this.edges.get(key);
    if (!g) return;
    g.classList.add("pg-lit");
    const line = g.querySelector("path");
    if (!line) return;
    const dash = 9;
    colors.forEach((color, j) => {
      const copy = line.cloneNode(false);
      copy.setAttribute("stroke", color);
      copy.setAttribute("stroke-width", "3.2");
      copy.setAttribute("fill", "none");
      copy.setAttribute("pointer-events", "none");
      if (colors.length > 1) {
        copy.setAttribute("stroke-dasharray", `${dash} ${dash * (colors.length - 1)}`);
        copy.setAttribute("stroke-dashoffset", String(-dash * j));
      }
      this.overlay.append(copy);
    });
    for (const p of g.querySelectorAll("polygon")) this.stroke(p, colors[0], true);
  }

  lightNode(key, color, cls = "pg-lit") {
    const g = this.nodes.get(key);
    if (!g) return;
    g.classList.add(cls);
    if (!color) return;
    for (const p of g.querySelectorAll("polygon, ellipse")) {
      if (p.getAttribute("stroke") && p.getAttribute("stroke") !== "none") this.stroke(p, color);
    }
  }

  stroke(p, color, fill = false) {
    if (!p.hasAttribute("data-pg-stroke")) {
      p.setAttribute("data-pg-stroke", p.getAttribute("stroke"));
      p.setAttribute("data-pg-fill", p.getAttribute("fill"));
    }
    p.setAttribute("stroke", color);
    if (fill) p.setAttribute("fill", color);
  }
}

// The book's labels name a network diagram's elements: weight edges w{l}_{j}_{k}, neurons L{l}_{j}
const W_LABEL = /^w(\d+)\[(\d+),(\d+)\]$/, Z_LABEL = /^z(\d+)\[(\d+)\]$/, A_LABEL = /^a(\d+)\[(\d+)\]$/;
function networkIds(labels) {
  const ids = [];
  const w = W_LABEL.exec(labels[0]);
  if (w) ids.push(`w${w[1]}_${w[2]}_${w[3]}`);
  let last = null;
  const a0 = A_LABEL.exec(labels[0]);
  if (a0) { last = [a0[1], a0[2]]; ids.push(`L${a0[1]}_${a0[2]}`); }
  for (const label of labels.slice(1)) {
    const z = Z_LABEL.exec(label);
    if (z) {
      ids.push(`L${z[1]}_${z[2]}`);
      if (last && Number(last[0]) === Number(z[1]) - 1) ids.push(`w${z[1]}_${z[2]}_${last[1]}`);
      last = null;
    }
    const a = A_LABEL.exec(label);
    if (a) last = [a[1], a[2]];
  }
  return ids;
}

function render({ model, el }) {
  const scene = model.get("scene");
  const standalone = el.id === "pathgrad-explorer";
  const S = {
    selected: null, showAll: false, mode: "paths", step: 0, timer: null,
    view: scene.network ? "network" : "graph", error: null, anchor: null,
  };
  const names = scene.nodes.map((n) => n.name);
  const live = scene.engine ? new Engine(scene.engine, names) : null;
  const root = h("div", { class: "pg-root", tabindex: "0" });
  el.replaceChildren(root);
  const rootName = scene.root_name;

  // ---- header: title, views, modes, controls ------------------------------------------
  const title = h("h1", { class: "pg-title" }, scene.title);
  const views = h("div", { class: "pg-tabs pg-views" });
  const modes = h("div", { class: "pg-tabs pg-modes" });
  const counter = h("span", { class: "pg-counter" });
  const button = (label, fn, hint) => h("button", { type: "button", title: hint, onclick: fn }, label);
  const controls = h("div", { class: "pg-controls" },
    button("Reset", () => go(0), "back to the start (Home)"),
    button("Back", () => go(S.step - 1), "one node back (←)"),
    button("Step", () => go(S.step + 1), "one node further (→)"),
    button("Play", () => play(), "replay to the end"),
    counter);
  const resetValues = button("Reset values", () => api.reset(), "every leaf back to its exported value");
  resetValues.classList.add("pg-reset-values");
  const zoom = h("div", { class: "pg-zoom" },
    button("−", () => pic().zoom(pic().scale / 1.25), "smaller"),
    button("fit", () => pic().fit(), "fit the width"),
    button("+", () => pic().zoom(pic().scale * 1.25), "larger"));
  const bar = h("div", { class: "pg-bar" }, views, modes, controls, resetValues, zoom);
  const note = h("div", { class: "pg-note" });
  const alarm = h("div", { class: "pg-error", role: "alert" });
  alarm.hidden = true;
  const stage = h("div", { class: "pg-stage" });
  const panel = h("aside", { class: "pg-panel", "aria-live": "polite" });
  const tip = h("div", { class: "pg-tip", role: "tooltip" });
  root.append(title, bar, note, alarm, h("div", { class: "pg-main" }, stage, panel), tip);

  // the stage takes the height left in the window (a notebook cell: 78% of it)
  function sizeStage() {
    const top = stage.getBoundingClientRect().top + (window.scrollY || 0);
    const room = standalone ? (window.innerHeight || 800) - top - 10
      : (window.innerHeight || 800) * 0.78;
    const height = `${Math.max(320, Math.round(room))}px`;
    for (const p of [graph, network]) if (p) p.box.style.height = height;
    panel.style.maxHeight = height;
  }

  const graph = scene.svg ? new Picture(scene.svg) : null;
  const network = scene.network ? new Picture(scene.network.svg) : null;
  if (network) network.shape = true;
  const pic = () => (S.view === "network" ? network : graph);

  // ---- what the drawing shows: each drawn value is bound to an engine node (a long sum's box
  // shows one term's graph at a time: switching terms binds the same elements to its nodes) --
  const spec = scene.picture || { fixed: [], cells: [], boxes: [] };
  const boxes = spec.boxes;
  const B = { sel: boxes.map(() => 0), eng: Int32Array.from(spec.fixed), proxyOf: new Map(),
    cellOf: new Map(), edgeKey: new Map(), rateOf: new Map() };
  const texts = new Map();  // drawn element -> its "data …" / "grad …" texts, in row order
  if (graph) {
    for (const [key, g] of graph.nodes) {
      const all = [...g.querySelectorAll("text")];
      texts.set(key, {
        data: all.filter((t) => t.textContent.startsWith("data ")),
        grad: all.filter((t) => t.textContent.startsWith("grad ")),
      });
    }
  }
  const boxAt = new Map(boxes.map((b, k) => [b.drawn, k]));
  const drawnOf = (i) => { const q = B.proxyOf.get(i); return q === undefined ? null : spec.cells[q][0]; };
  function bind() {
    B.eng = Int32Array.from(spec.fixed);
    boxes.forEach((b, k) => {
      const al = b.opens ? b.aligned[B.sel[k]] : null;
      if (al) b.positions.forEach((q, p) => { if (q >= 0) B.eng[q] = al[p]; });
    });
    B.proxyOf.clear(); B.cellOf.clear(); B.edgeKey.clear(); B.rateOf.clear();
    if (!live || !graph) return;
    B.eng.forEach((i, q) => {
      B.proxyOf.set(i, q);
      const [key, slot] = spec.cells[q];
      const t = texts.get(key);
      if (t && slot !== null && slot !== undefined) B.cellOf.set(i, { data: t.data[slot] || null, grad: t.grad[slot] || null });
      const k = boxAt.get(q);
      if (k !== undefined) {
        if (boxes[k].opens) B.edgeKey.set(boxes[k].term_edges[B.sel[k]], `e${q}_0`);
        return;
      }
      for (let e = live.start[i]; e < live.start[i + 1]; e++) B.edgeKey.set(e, `e${q}_${e - live.start[i]}`);
    });
    for (const [e, key] of B.edgeKey) {
      const g = graph.edges.get(key);
      const t = g ? g.querySelector("text") : null;
      if (t) B.rateOf.set(e, t);
    }
  }
  bind();
  // writes only what changed: every text or class written costs the SVG a new layout
  const setCell = (i, kind, text, cls) => {
    const c = B.cellOf.get(i);
    const t = c && c[kind];
    if (!t) return;
    if (t.textContent !== text) t.textContent = text;
    const want = [t.pgDrag ? "pg-drag" : "", cls || ""].join(" ").trim();
    if ((t.getAttribute("class") || "") !== want) {
      if (want) t.setAttribute("class", want); else t.removeAttribute("class");
    }
  };
  const dataText = (i) => `data ${fmtFixed(live.v[i])}`;
  const gradText = (i) => `grad ${fmtFixed(live.g[i])}`;
  function showRates(upTo = Infinity) {
    for (const [e, t] of B.rateOf) {
      const text = live.child[e] < upTo ? fmtG(live.R[e]) : "·";
      if (t.textContent !== text) t.textContent = text;
    }
  }
  function showEngine() {
    if (!live) return;
    for (const i of B.cellOf.keys()) {
      setCell(i, "data", dataText(i), null);
      setCell(i, "grad", gradText(i), null);
    }
    showRates();
  }

  // ---- tabs ------------------------------------------------------------------------------
  const tab = (box, label, active, fn) => {
    const b = h("button", { type: "button", class: active ? "pg-on" : "", onclick: fn }, label);
    box.append(b);
    return b;
  };
  if (network) {
    tab(views, "Network", true, () => setView("network"));
    if (graph) tab(views, "Computation graph", false, () => setView("graph"));
  }
  const modeTabs = graph ? {
    paths: tab(modes, "Paths", true, () => setMode("paths")),
    backward: tab(modes, "Backward pass", false, () => setMode("backward")),
    forward: tab(modes, "Forward pass", false, () => setMode("forward")),
  } : {};
  if (!graph) { controls.hidden = true; modes.hidden = true; }
  if (!live) resetValues.hidden = true;

  function setView(view) {
    S.view = view;
    setNote();
    for (const b of views.children) b.classList.toggle("pg-on", b.textContent === (view === "network" ? "Network" : "Computation graph"));
    stage.replaceChildren(pic().box);
    sizeStage();
    if (!pic().opened) {
      pic().opened = true;
      pic().open();
      // the first view shows the output: the diagram's last layer, the graph's root
      if (view === "network") {
        const last = [...network.nodes.keys()].filter((k) => /^L\d+_\d+$/.test(k))
          .sort((a, b) => Number(b.split("_")[0].slice(1)) - Number(a.split("_")[0].slice(1)))[0];
        if (last) network.reveal(last);
      } else graph.reveal(drawnOf(scene.root));
    }
    redraw();
  }

  function setMode(mode) {
    stop();
    if (mode !== "paths" && S.view !== "graph") setView("graph");
    S.mode = mode;
    for (const [m, b] of Object.entries(modeTabs)) b.classList.toggle("pg-on", m === mode);
    S.step = 0;
    redraw();
  }

  // ---- notes -----------------------------------------------------------------------------
  const notes = [];
  if (scene.network && scene.network.note) notes.push(scene.network.note[0].toUpperCase() + scene.network.note.slice(1) + ".");
  function setNote() {
    const more = [];
    if (scene.grouped && S.view === "graph") {
      more.push("A large graph: each neuron is one box (its z, a, weights and bias). Click a box, " +
        "then choose one of them in the panel.");
    } else if (scene.grouped) {
      more.push("Click a weight (an edge) to light up its paths. The computation graph is large: " +
        "there each neuron is one box.");
    }
    if (spec.cut && S.view === "graph") {
      more.push(`A large graph: the drawing shows the ${spec.cut} values nearest ${rootName} of all ` +
        `${scene.nodes.length.toLocaleString("en-US")}, which the page holds and recomputes ` +
        "(a value whose operands are not drawn shows its numbers only).");
    }
    if (boxes.length && S.view === "graph") {
      more.push(`A loss over a batch: ${boxes.map((b) => b.what).join(" and ")} ${boxes.length > 1 ? "are boxes" : "is a box"} ` +
        "(click one to open it); the page holds and recomputes every node.");
    }
    note.replaceChildren([...notes, ...more].join(" "));
    boxes.forEach((b, k) => { if (b.opens && S.view === "graph") note.append(" ", termControl(k)); });
    note.hidden = !note.textContent;
  }

  // ---- selection and paths ---------------------------------------------------------------
  function select(i) {
    stop();
    if (S.mode !== "paths" && graph) setMode("paths");
    S.selected = i;
    S.showAll = false;
    redraw();
  }

  let pathCache = null;  // [node, k, engine version] -> paths
  function pathsOf(i) {
    const k = S.showAll ? scene.max_paths : scene.k;
    if (!pathCache || pathCache.key !== `${i}/${k}/${live.version}`) {
      pathCache = { key: `${i}/${k}/${live.version}`, found: live.paths(i, k) };
    }
    return pathCache.found;
  }

  function lightPaths() {
    const i = S.selected;
    if (i === null || i === undefined || !live) return;
    const shown = pathsOf(i).paths;
    const color = (j) => scene.palette[j % scene.palette.length];
    if (S.view === "graph") {
      graph.svg.classList.add("pg-dim");
      const edgeColors = new Map();
      const nodeColor = new Map();
      const add = (key, c) => {
        if (!edgeColors.has(key)) edgeColors.set(key, []);
        if (!edgeColors.get(key).includes(c)) edgeColors.get(key).push(c);
      };
      shown.forEach((p, j) => {
        const c = color(j);
        p.edges.forEach((e) => { const key = B.edgeKey.get(e); if (key) add(key, c); });
        p.nodes.forEach((n, m) => {
          const q = B.proxyOf.get(n);
          if (q === undefined) return;
          if (m > 0) add("o" + q, c);
          if (m > 0) { const op = graph.nodes.get(`v${q}op`); if (op && !nodeColor.has(`v${q}op`)) nodeColor.set(`v${q}op`, c); }
          const d = spec.cells[q][0];
          if (!nodeColor.has(d)) nodeColor.set(d, c);
        });
      });
      for (const [key, cs] of edgeColors) graph.lightEdge(key, cs);
      for (const [key, c] of nodeColor) graph.lightNode(key, c);
      if (drawnOf(i)) graph.lightNode(drawnOf(i), null, "pg-picked");
    } else if (network) {
      network.svg.classList.add("pg-dim");
      const seen = new Map();
      shown.forEach((p, j) => {
        for (const id of networkIds(p.nodes.map((n) => scene.nodes[n].label))) {
          if (!seen.has(id)) seen.set(id, []);
          if (!seen.get(id).includes(color(j))) seen.get(id).push(color(j));
        }
      });
      for (const [id, cs] of seen) {
        if (network.edges.has(id)) network.lightEdge(id, cs);
        else network.lightNode(id, cs[0]);
      }
    }
  }

  // draw_paths' legend, from the engine's numbers: a row per path (its factors by name, then by
  // value, and its product), then their sum against the gradient
  function legend(i) {
    const n = scene.nodes[i];
    const { paths, abs } = pathsOf(i);
    const count = n.count_text;
    const total = n.count === null ? Infinity : n.count;
    const d = `∂${rootName}/∂${n.name}`;
    const box = h("table", { class: "pg-legend-table" });
    const line = (...parts) => box.append(h("tr", {}, h("td", { align: "left" }, ...parts)));
    const bold = (t) => h("b", {}, t);
    if (total === 0) {
      line(bold(`${d} = 0`), `: ${rootName} does not depend on ${n.name} (no paths)`);
      return box;
    }
    const exact = paths.length === total;
    const allZero = abs === 0;
    const which = allZero ? (total === 1 ? "one path, whose product is 0" : `all ${count} products are 0`)
      : exact ? (total === 1 ? "one path" : `all ${count}`)
        : `the top ${paths.length} of ${count} by |product|`;
    line(bold(d), ", the gradient with respect to ", bold(n.name), ` (framed), as a sum over paths: ${which}`);
    const inner = h("table", { class: "pg-paths" });
    paths.forEach((p, j) => {
      const factors = p.edges.map((e) => scene.factors[e]);
      const values = p.edges.map((e) => signed(live.R[e]));
      inner.append(
        h("tr", {}, h("td", { bgcolor: scene.palette[j % scene.palette.length] }),
          h("td", { align: "left" }, factors.join(" · ") || "(the node itself)"), h("td")),
        h("tr", {}, h("td"), h("td", { align: "left" }, `= ${values.join(" · ") || "1"}`),
          h("td", { valign: "bottom" }, "= ", bold(short(p.product)))));
    });
    box.append(h("tr", {}, h("td", { align: "left" }, inner)));
    const shown = paths.reduce((a, p) => a + p.product, 0);
    const grad = live.g[i];
    if (allZero) {
      const dead = paths.every((p) => p.edges.some((e) => live.R[e] === 0 && live.sig[live.child[e]] >= 0 && live.kernels[live.sig[live.child[e]]].op === "relu"));
      line(bold(`${d} = 0`), dead ? ": every path passes a dead relu (its rate factor is 0)"
        : ": every path passes a rate factor of 0");
    } else if (exact) {
      line(`${total === 1 ? "the one path" : `Σ of all ${count} paths`} = `, bold(fmtFixed(shown, 6)), ` = ${d}, the gradient`);
    } else {
      const share = grad !== 0 ? `${(100 * shown / grad).toFixed(1)}% of` : "of";
      line(`Σ of these ${paths.length} = `, bold(fmtFixed(shown, 6)), `, ${share} the gradient ${d} = `, bold(fmtFixed(grad, 6)));
      line(`(the sum over all ${count} paths)`);
      const carried = paths.reduce((a, p) => a + Math.abs(p.product), 0) / abs;
      const rest = total - paths.length;
      line(`they carry ${(100 * carried).toFixed(1)}% of Σ|products| = ${fmtFixed(abs, 6)}; ` +
        `${rest === 1 ? "the other path adds" : `the other ${rest.toLocaleString("en-US")} paths add`} the rest`);
    }
    return box;
  }

  function pathPanel() {
    const i = S.selected;
    if (i === null || i === undefined) {
      const hint = scene.network && S.view === "network"
        ? `Click a weight (an edge) to light up its paths to ${rootName}.`
        : scene.grouped
          ? `Click a box, then choose its z, a, a weight or the bias, to light up every path to ${rootName}.`
          : `Click any node to light up every path from it to ${rootName}.`;
      return [h("p", { class: "pg-hint" }, hint),
        h("p", { class: "pg-hint" }, "Drag a leaf's value sideways to nudge it (Shift: fine steps), " +
          "or select a leaf and type a value or press ↑/↓: every value, rate factor, gradient and " +
          "path recomputes."),
        h("p", { class: "pg-hint" }, "Step, Back, Play and Reset replay the backward pass node by node " +
          "(or the forward pass); the arrow keys step, Home and End jump, Escape clears the selection. " +
          "Hover an edge for its rate factor.")];
    }
    const n = scene.nodes[i];
    const out = [h("h2", {}, `${n.name}: data ${fmtFixed(live.v[i])}, ∂${rootName}/∂${n.name} = ${fmtFixed(live.g[i])}`)];
    if (live.sig[i] === -1) out.push(nudgeBox(i));
    if (S.anchor && S.anchor.leaf === i) out.push(nielsen());
    const box = h("div", { class: "pg-legend" }, legend(i));
    out.push(box);
    const total = n.count === null ? Infinity : n.count;
    if (total > scene.k) {
      const more = Math.min(total, scene.max_paths);
      out.push(button(S.showAll ? `show the top ${scene.k}` : `show all ${more < total ? `(the top ${more})` : more}`,
        () => { S.showAll = !S.showAll; redraw(); }, "how many paths to light up"));
    }
    const drawnAs = drawnOf(i);
    if (scene.grouped && drawnAs && drawnAs.startsWith("n")) {
      const members = membersOf(drawnAs);
      if (members.length) {
        out.push(h("p", { class: "pg-hint" }, "in this neuron's box:"));
        out.push(h("div", { class: "pg-members" }, ...members.map((j) =>
          h("button", { type: "button", class: j === i ? "pg-on" : "", onclick: () => select(j) }, names[j]))));
      }
    }
    const k = boxes.findIndex((b) => b.top === i);
    if (k >= 0) out.push(boxPanel(k));
    return out;
  }

  // engine nodes drawn in one element (a neuron's box), in drawing order
  const membersOf = (key) => spec.cells.flatMap(([k], q) => (k === key ? [B.eng[q]] : []));

  // a long sum's box: which term the drawing shows (one that opens), or its terms listed
  function showTerm(k, j) {
    const b = boxes[k];
    const n = b.n;
    j = ((j % n) + n) % n;
    if (!b.aligned[j]) { showError(new Error(`term ${j + 1} of ${b.what} has another shape: it cannot be drawn in place of term 1`)); return; }
    B.sel[k] = j;
    bind();
    redraw();
  }
  function termControl(k) {
    const b = boxes[k];
    const input = h("input", { type: "number", min: "1", max: String(b.n), step: "1", value: String(B.sel[k] + 1),
      class: "pg-term", "aria-label": `which of ${b.n}` });
    input.addEventListener("change", () => showTerm(k, Math.round(Number(input.value)) - 1));
    input.addEventListener("keydown", (ev) => ev.stopPropagation());
    return h("span", { class: "pg-term-control" }, `${b.what}: showing `,
      button("◀", () => showTerm(k, B.sel[k] - 1), "the previous one"), input,
      button("▶", () => showTerm(k, B.sel[k] + 1), "the next one"), ` of ${b.n}`);
  }
  function boxPanel(k) {
    const b = boxes[k];
    const out = h("div", { class: "pg-box" }, h("h3", {}, `${b.what} = ${fmtFixed(live.v[b.top], 6)}`));
    if (b.opens) {
      out.append(h("p", {}, termControl(k)),
        h("p", { class: "pg-hint" }, "The graph draws one term at a time; the page computes them all."));
      return out;
    }
    const list = h("table", { class: "pg-terms" });
    const order = b.terms.map((t, j) => j).sort((x, y) => Math.abs(live.v[b.terms[y]]) - Math.abs(live.v[b.terms[x]]));
    for (const j of order) {
      const t = b.terms[j], leaf = live.P[live.start[t]];
      list.append(h("tr", {}, h("td", {}, button(names[leaf], () => select(leaf), "select it")),
        h("td", { class: "pg-num" }, fmtFixed(live.v[leaf])), h("td", { class: "pg-num" }, `${names[t]} = ${fmtFixed(live.v[t], 6)}`)));
    }
    out.append(h("p", { class: "pg-hint" }, `its ${b.n} terms, the largest first (click a name to select it):`), list);
    return out;
  }

  // ---- nudging -------------------------------------------------------------------------------
  function nudgeBox(i) {
    const input = h("input", { type: "number", step: "any", value: String(live.v[i]), class: "pg-input",
      "aria-label": `value of ${names[i]}` });
    input.addEventListener("change", () => {
      const x = Number(input.value);
      if (input.value.trim() === "" || !Number.isFinite(x)) { showError(new TypeError(`${names[i]} needs a number, got "${input.value}"`)); return; }
      nudge(i, x);
    });
    input.addEventListener("keydown", (ev) => ev.stopPropagation());
    return h("div", { class: "pg-nudge" }, h("label", {}, `${names[i]} = `, input),
      h("span", { class: "pg-hint" }, " drag its value in the graph (Shift: fine), or ↑/↓"));
  }

  // Nielsen's panel: ΔC as it really changed beside ∂C/∂w·Δw and each path's share Π(rates)·Δw
  function nielsen() {
    const a = S.anchor;
    const dw = live.v[a.leaf] - a.x0;
    const dC = live.v[live.root] - a.C0;
    const predicted = a.grad * dw;
    const w = names[a.leaf];
    const rows = [
      ["Δ" + w, plusMinus(dw)],
      [`Δ${rootName}, as it really changed`, plusMinus(dC)],
      [`∂${rootName}/∂${w} · Δ${w}, the first-order prediction`, plusMinus(predicted)],
    ];
    const table = h("table", { class: "pg-nielsen-table" }, ...rows.map(([k, v]) => h("tr", {}, h("td", {}, k), h("td", { class: "pg-num" }, v))));
    const shares = h("table", { class: "pg-shares" });
    a.paths.forEach((p, j) => shares.append(h("tr", {},
      h("td", { bgcolor: scene.palette[j % scene.palette.length] }),
      h("td", {}, p.edges.map((e) => scene.factors[e]).join(" · ") || "(itself)"),
      h("td", { class: "pg-num" }, `${plusMinus(p.product * dw)}`))));
    const ratio = predicted !== 0 ? dC / predicted : null;
    const verdict = dw === 0 ? "Nudge the value to see the change."
      : ratio === null ? `the prediction is 0 (∂${rootName}/∂${w} = 0): the change is second order`
        : `real ÷ predicted = ${fmtG(ratio, 4)}: ${Math.abs(ratio - 1) < 0.01 ? "the linear approximation holds" : Math.abs(ratio - 1) < 0.1 ? "close: the curvature shows" : "the linear approximation fails for a step this large"}`;
    return h("div", { class: "pg-nielsen" },
      h("h3", {}, `Nudging ${w} from ${short(a.x0)}: ΔC ≈ Σ paths Π(rates)·Δ${w}`),
      table, h("p", { class: "pg-verdict" }, verdict),
      a.paths.length ? h("p", { class: "pg-hint" }, `each path's share Π(rates)·Δ${w} (rates at ${w} = ${short(a.x0)}):`) : "",
      shares);
  }

  function nudge(i, x) {
    if (!S.anchor || S.anchor.leaf !== i) {
      S.anchor = { leaf: i, x0: live.v[i], C0: live.v[live.root], grad: live.g[i], paths: live.paths(i, scene.k).paths };
    }
    try {
      live.set(i, x);
      S.error = null;
      alarm.hidden = true;
      if (graph) for (const g of graph.svg.querySelectorAll(".pg-failed")) g.classList.remove("pg-failed");
    } catch (e) {
      showError(e);
      return false;
    }
    publish();
    refresh();
    return true;
  }

  function showError(e) {
    S.error = e;
    alarm.textContent = `${e.name}: ${e.message}. The last valid values stay on screen.`;
    alarm.hidden = false;
    if (graph) {
      for (const g of graph.svg.querySelectorAll(".pg-failed")) g.classList.remove("pg-failed");
      if (e.node !== undefined) {
        const g = graph.nodes.get(drawnOf(e.node));
        if (g) g.classList.add("pg-failed");
      }
    }
  }

  // the network diagram's neuron texts (a, z, δ = ∂L/∂z, b), from the nodes its labels name
  const netTexts = [];
  if (network && live) {
    const byLabel = new Map();
    scene.nodes.forEach((n, i) => { if (n.label && !byLabel.has(n.label)) byLabel.set(n.label, i); });
    for (const [key, g] of network.nodes) {
      const m = /^L(\d+)_(\d+)$/.exec(key);
      if (!m) continue;
      for (const t of g.querySelectorAll("text")) {
        const k = /^(a|z|δ|b) (\S+)$/.exec(t.textContent.trim());
        if (!k) continue;
        const label = `${k[1] === "δ" ? "z" : k[1]}${m[1]}[${m[2]}]`;
        const i = byLabel.get(label);
        if (i === undefined) continue;
        const digits = (k[2].split(".")[1] || "").length;
        netTexts.push({ t, i, kind: k[1], digits });
      }
    }
  }
  function showNetwork() {
    for (const { t, i, kind, digits } of netTexts) {
      const text = `${kind} ${fmtFixed(kind === "δ" ? live.g[i] : live.v[i], digits)}`;
      if (t.textContent !== text) t.textContent = text;
    }
  }

  // a nudge redraws what depends on the numbers (fast: texts only, then the panel)
  function refresh() {
    showNetwork();
    if (graph && S.mode === "paths") showEngine();
    else if (graph) showReplay();
    if (graph) {
      graph.clear();
      if (S.mode === "paths") lightPaths();
      else showReplay();
    }
    if (network && S.view === "network") { network.clear(); lightPaths(); }
    panel.replaceChildren(...(S.mode === "paths" ? pathPanel() : replayPanel()));
    resetValues.disabled = !live.changed();
  }

  // drag a leaf's value sideways: 0.01 a pixel (Shift or Alt: 0.001), while dragging
  function dragValue(i, ev) {
    const x0 = live.v[i], start = ev.clientX;
    let moved = false, pending = null;
    const move = (e) => {
      const dx = e.clientX - start;
      if (!moved && Math.abs(dx) < 3) return;
      if (!moved && S.mode === "paths" && S.selected !== i) { S.selected = i; S.showAll = false; }
      moved = true;
      const step = e.shiftKey || e.altKey ? 0.001 : 0.01;
      const x = Number((x0 + dx * step).toFixed(6));
      if (pending === null) requestAnimationFrame(() => { nudge(i, pending); pending = null; });
      pending = x;
    };
    const up = () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      if (moved) { S.dragged = true; setTimeout(() => { S.dragged = false; }, 0); }
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  }

  // ---- the replays, from the engine's current numbers ------------------------------------
  function backwardSteps() {
    const steps = [];
    const running = new Float64Array(live.n);
    running[live.root] = 1;
    for (let i = live.n - 1; i >= 0; i--) {
      const g = running[i];
      const lines = [], updates = [];
      for (let e = live.start[i]; e < live.start[i + 1]; e++) {
        const j = live.P[e], r = live.R[e];
        running[j] += g * r;
        lines.push(`${gradOf(names[j])} += ${signed(r)} × ${signed(g)} = ${short(running[j])}`);
        updates.push([j, `grad ${fmtFixed(running[j])}`]);
      }
      if (live.sig[i] === -1) lines.push(`${names[i]} is a leaf: nothing to pass back; ∂${rootName}/∂${names[i]} = ${short(g)}`);
      steps.push({ node: i, grad_text: `grad ${fmtFixed(g)}`, head: `${gradOf(names[i])} = ${short(g)} is complete`, lines, updates });
    }
    return steps;
  }
  function forwardSteps() {
    return scene.nodes.map((n, i) => ({
      node: i,
      line: live.sig[i] === -1 ? `${names[i]} = ${short(live.v[i])} (given)`
        : live.sig[i] === -2 ? `${names[i]} = ${short(live.v[i])} (made by hand: its _backward closure)`
        : `${names[i]} = ${n.expr} = ${n.tpl.replace(/⟦(\d+)⟧/g, (_, k) => signed(live.v[live.P[live.start[i] + Number(k)]]))} = ${short(live.v[i])}`,
    }));
  }
  let stepCache = null;
  const steps = () => {
    const key = `${S.mode}/${live.version}`;
    if (!stepCache || stepCache.key !== key) stepCache = { key, list: S.mode === "forward" ? forwardSteps() : backwardSteps() };
    return stepCache.list;
  };

  function showReplay() {
    const list = steps();
    if (S.mode === "backward" || S.mode === "forward") setNote();
    const s = S.step;
    if (S.mode === "backward") {
      for (let i = 0; i < live.n; i++) {
        setCell(i, "data", dataText(i), null);
        setCell(i, "grad", "grad 0", "pg-pending");
      }
      showRates();
      setCell(scene.root, "grad", list[0].grad_text, "pg-final");
      for (let t = 0; t < s; t++) {
        const st = list[t];
        setCell(st.node, "grad", st.grad_text, "pg-final");
        for (const [j, text] of st.updates) setCell(j, "grad", text, "pg-partial");
      }
      for (let t = 0; t < s; t++) setCell(list[t].node, "grad", list[t].grad_text, "pg-final");
    } else {
      for (let i = 0; i < live.n; i++) {
        setCell(i, "data", i < s ? dataText(i) : "data ·", i < s ? "pg-final" : "pg-pending");
        setCell(i, "grad", "grad ·", "pg-pending");
      }
      showRates(s);  // a rate factor once its node (and so its operands) is computed
    }
    if (s > 0) {
      const cur = list[s - 1].node;
      const q = B.proxyOf.get(cur);
      if (q !== undefined) {
        graph.lightNode(drawnOf(cur), "#000000", "pg-current");
        for (let e = live.start[cur]; e < live.start[cur + 1]; e++) { const key = B.edgeKey.get(e); if (key) graph.lightEdge(key, ["#E69F00"]); }
        graph.lightEdge("o" + q, ["#E69F00"]);
        const g = graph.nodes.get(drawnOf(cur));
        if (g && g.scrollIntoView) g.scrollIntoView({ block: "nearest", inline: "nearest" });
        if (graph.nodes.get(`v${q}op`)) graph.lightNode(`v${q}op`, "#000000", "pg-current");
      }
    }
    counter.textContent = `${S.mode} step ${s} / ${list.length}`;
  }

  function replayPanel() {
    const list = steps();
    const s = S.step;
    const out = [];
    if (S.mode === "backward") {
      out.push(h("h2", {}, "Backward pass: reverse topological order, the engine's"));
      if (s === 0) {
        out.push(h("p", {}, `Every grad starts at 0; the seed ${rootName}.grad = 1. Press Step.`));
      } else {
        const st = list[s - 1];
        out.push(h("p", { class: "pg-head" }, st.head));
        const ul = h("ul", { class: "pg-lines" });
        for (const line of st.lines) ul.append(h("li", {}, line));
        out.push(ul);
      }
      if (s === list.length) out.push(h("p", { class: "pg-done" }, "Done: every grad on the page is the engine's."));
    } else {
      out.push(h("h2", {}, "Forward pass: values in topological order"));
      if (s === 0) out.push(h("p", {}, "Press Step to compute the first value."));
      else out.push(h("p", { class: "pg-head" }, list[s - 1].line));
      if (s === list.length) out.push(h("p", { class: "pg-done" }, `Done: ${rootName} = ${fmtFixed(live.v[live.root])}. Now the backward pass.`));
    }
    return out;
  }

  function go(s) {
    if (!graph) return;
    if (S.mode === "paths") setMode("backward");
    const n = steps().length;
    S.step = Math.max(0, Math.min(n, s));
    if (S.step === n) stop();
    redraw();
  }

  function play() {
    if (S.timer) { stop(); return; }
    if (S.mode === "paths" || S.step >= steps().length) go(0);
    const n = steps().length;
    const each = Math.min(500, PLAY_MS / n);
    const start = performance.now() - S.step * each;
    S.timer = setInterval(() => {
      const due = Math.min(n, Math.floor((performance.now() - start) / each));
      if (due > S.step) go(due);
    }, Math.max(16, each));
    controls.querySelectorAll("button")[3].textContent = "Pause";
  }

  function stop() {
    if (S.timer) clearInterval(S.timer);
    S.timer = null;
    const b = controls.querySelectorAll("button")[3];
    if (b) b.textContent = "Play";
  }

  // ---- drawing everything from the state ---------------------------------------------------
  function redraw() {
    if (graph) graph.clear();
    if (network) network.clear();
    if (graph && live) {
      if (S.mode === "paths") {
        showEngine();
        counter.textContent = "";
      } else showReplay();
    }
    if (S.mode === "paths") lightPaths();
    panel.replaceChildren(...(S.mode === "paths" ? pathPanel() : replayPanel()));
    if (live) resetValues.disabled = !live.changed();
  }

  // ---- events ------------------------------------------------------------------------------
  if (graph) {
    for (const [key, g] of graph.nodes) {
      const m = /^(v|n)(\d+)(op|c.*|s.*)?$/.exec(key);  // v{i}c…, v{i}s…: drawn again
      if (!m) continue;
      g.classList.add("pg-click");
      g.addEventListener("click", (ev) => {
        ev.stopPropagation();
        if (S.dragged) return;
        if (m[1] === "v") return select(B.eng[Number(m[2])]);
        const inBox = membersOf(key);
        const z = inBox.find((j) => (scene.nodes[j].op || "").startsWith("Σ")) || inBox.find((j) => scene.nodes[j].op) || inBox[0];
        if (z !== undefined) select(z);
      });
    }
    if (live) {
      // a drawn value's "data" text takes drags when the node bound to it is a leaf
      spec.cells.forEach(([key, slot], q) => {
        const t = texts.get(key) && texts.get(key).data[slot];
        if (!t) return;
        t.addEventListener("pointerdown", (ev) => {
          const i = B.eng[q];
          if (live.sig[i] !== -1) return;
          ev.preventDefault();
          dragValue(i, ev);
        });
        t.pgDrag = live.sig[B.eng[q]] === -1;
        if (t.pgDrag) t.classList.add("pg-drag");
      });
    }
    for (const [key, g] of graph.edges) {
      const a = g.querySelector("a");
      if (a) a.removeAttributeNS("http://www.w3.org/1999/xlink", "title");
      const em = /^e(\d+)_(\d+)$/.exec(key);
      if (!em || !live) continue;
      const engineEdge = () => {
        const q = Number(em[1]), k = boxAt.get(q);
        return k !== undefined ? boxes[k].term_edges[B.sel[k]] : live.start[B.eng[q]] + Number(em[2]);
      };
      const tipText = () => {
        const e = engineEdge();
        const i = live.child[e], j = live.P[e];
        const factor = scene.factors[e];
        if (S.mode === "forward" && i >= S.step) return `∂${names[i]}/∂${names[j]} = ${factor}: not computed yet`;
        const value = short(live.R[e]);
        return `∂${names[i]}/∂${names[j]} = ${factor}${factor !== value ? ` = ${value}` : ""}`;
      };
      const rule = () => scene.rules[scene.nodes[live.child[engineEdge()]].rule];
      const line = g.querySelector("path");
      if (line) {
        const grip = line.cloneNode(false);
        grip.setAttribute("stroke", "transparent");
        grip.setAttribute("stroke-width", "12");
        grip.setAttribute("class", "pg-grip");
        graph.grips.append(grip);
        grip.addEventListener("mousemove", (ev) => showTip(ev, tipText(), rule()));
        grip.addEventListener("mouseleave", () => { tip.style.display = "none"; });
      }
      g.addEventListener("mousemove", (ev) => showTip(ev, tipText(), rule()));
      g.addEventListener("mouseleave", () => { tip.style.display = "none"; });
    }
    graph.svg.addEventListener("click", () => { if (S.mode === "paths" && !S.dragged) clearSelection(); });
  }
  if (network) {
    for (const [key, g] of network.edges) {
      const i = scene.network.weights[key];
      if (i === undefined) continue;
      g.classList.add("pg-click");
      g.addEventListener("click", (ev) => { ev.stopPropagation(); select(i); });
    }
  }

  function showTip(ev, text, sub) {
    tip.replaceChildren(h("div", { class: "pg-tip-main" }, text), h("div", { class: "pg-tip-rule" }, sub));
    tip.style.display = "block";
    const r = root.getBoundingClientRect();
    tip.style.left = `${ev.clientX - r.left + 14}px`;
    tip.style.top = `${ev.clientY - r.top + 14}px`;
  }

  function clearSelection() {
    S.selected = null;
    S.showAll = false;
    redraw();
  }

  const onKey = (ev) => {
    if (ev.target && ["INPUT", "TEXTAREA", "SELECT"].includes(ev.target.tagName)) return;
    const leaf = live && S.mode === "paths" && S.selected !== null && live.sig[S.selected] === -1;
    if (leaf && (ev.key === "ArrowUp" || ev.key === "ArrowDown")) {
      const step = (ev.shiftKey || ev.altKey ? 0.001 : 0.01) * (ev.key === "ArrowUp" ? 1 : -1);
      nudge(S.selected, Number((live.v[S.selected] + step).toFixed(6)));
    } else if (ev.key === "ArrowRight" || ev.key === "ArrowDown") go(S.step + 1);
    else if (ev.key === "ArrowLeft" || ev.key === "ArrowUp") go(S.step - 1);
    else if (ev.key === "Home") go(0);
    else if (ev.key === "End") go(steps().length);
    else if (ev.key === "Escape") { stop(); if (S.mode !== "paths") setMode("paths"); clearSelection(); }
    else return;
    ev.preventDefault();
  };
  (standalone ? document : root).addEventListener("keydown", onKey);

  // ---- the page's API (window.pathgrad) and the widget's values trait -----------------------
  const byName = new Map();
  if (live) for (let i = live.n - 1; i >= 0; i--) byName.set(names[i], i);
  const leafIndex = (name) => {
    const i = typeof name === "number" ? name : byName.get(String(name));
    if (i === undefined || i < 0 || i >= (live ? live.n : 0)) throw new Error(`set: no node named ${JSON.stringify(name)} in this graph`);
    if (live.sig[i] !== -1) {
      const op = live.sig[i] >= 0 ? live.kernels[live.sig[i]].op : scene.nodes[i].op;
      throw new Error(`set: ${names[i]} is computed by '${op}', not a leaf: set a leaf (an input or a weight)`);
    }
    return i;
  };
  const leafValues = () => {
    const out = {};
    if (live) for (const i of live.leaves) if (!(names[i] in out)) out[names[i]] = live.v[i];
    return out;
  };
  let publishing = false;
  function publish() {
    if (standalone || !model.set) return;
    publishing = true;
    model.set("values", leafValues());
    if (model.save_changes) model.save_changes();
    publishing = false;
  }
  const api = {
    engine: live,  // the Engine itself, for benchmarks (not part of the documented API)
    nodes: () => (live ? names.map((name, i) => ({ name, data: live.v[i], grad: live.g[i] })) : []),
    set(name, x) {
      const i = leafIndex(name);
      if (!nudge(i, x)) throw S.error;
      return api.nodes();
    },
    reset() {
      if (!live) return [];
      live.reset();
      S.anchor = null;
      S.error = null;
      alarm.hidden = true;
      publish();
      refresh();
      return api.nodes();
    },
  };
  if (typeof window !== "undefined") window.pathgrad = api;
  if (!standalone && model.on) {
    model.on("change:values", () => {
      if (publishing || !live) return;
      const values = model.get("values") || {};
      let refused = false;
      for (const [name, x] of Object.entries(values)) {
        const i = byName.get(name);
        if (i === undefined || live.sig[i] !== -1) refused = true;
        else if (live.v[i] !== x && !(typeof x === "number" && nudge(i, x))) refused = true;
      }
      if (refused) publish();  // Python's trait back to what the page holds
    });
  }

  if (network) setView("network");
  else if (graph) { setNote(); stage.replaceChildren(graph.box); sizeStage(); graph.opened = true; graph.open(); graph.reveal(drawnOf(scene.root)); }
  const onResize = () => { sizeStage(); };
  if (standalone) window.addEventListener("resize", onResize);
  if (scene.select !== null && scene.select !== undefined) select(scene.select);
  else redraw();
  if (!standalone) {
    const values = model.get("values") || {};
    if (Object.keys(values).length) model.get("values") && Object.entries(values).forEach(([k, x]) => { const i = byName.get(k); if (i !== undefined && live.sig[i] === -1 && live.v[i] !== x) nudge(i, x); });
    publish();
  }
  return () => {
    stop();
    if (standalone) document.removeEventListener("keydown", onKey);
    if (standalone) window.removeEventListener("resize", onResize);
  };
}

export default { render };
