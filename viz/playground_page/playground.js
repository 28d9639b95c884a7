// pathgrad playground: the page's views. Runs after trainer.js (Trainer, StepEngine) and the
// explorer's script (h, Picture, Engine, fmtG, fmtFixed, short) in one module: the traced
// example's graph is the explorer's picture and engine, fed the page's weights every frame.

const GRID = 48;         // the plane's heat map: GRID x GRID model evaluations
const PLANE_PX = 340;    // the plane's size on screen
const NEURON_PX = 46;    // a hidden neuron's heat map
const K_SHOWN = 5;       // paths lit for a clicked node
const SYNC_MS = 400;
const GRAPH_MS = 250;    // while playing, the traced graph is redrawn at most this often

function hexRGB(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function renderPlayground({ model, el }) {
  const spec = model.get("spec");
  const standalone = el.id === "pathgrad-playground";
  const tr = new Trainer(spec);
  const looks = new StepEngine(spec.code);   // forward passes for the plane and the accuracy
  const plane = spec.plane;
  const palette = spec.palette.map(hexRGB);
  const classes = spec.classes;
  const classColor = (y) => {
    if (spec.n_outputs > 1) return palette[(y | 0) % palette.length];
    return y > spec.threshold ? palette[0] : palette[1];
  };
  const S = { playing: false, mode: "trace", addClass: classes[classes.length - 1], traced: { point: 0 },
    selected: null, raf: 0, lastSync: 0, error: null, perFrame: 1, frames: 0,
    graphVisible: true, lastGraph: 0, graphStale: false };

  // ---- layout ----------------------------------------------------------------------------
  const root = h("div", { class: "pg-root pp-root", tabindex: "0" });
  el.replaceChildren(root);
  const button = (label, fn, hint) => h("button", { type: "button", title: hint, onclick: fn }, label);
  const number = (value, hint, onchange, attrs = {}) => {
    const input = h("input", { type: "number", value: String(value), title: hint, ...attrs });
    input.addEventListener("change", () => onchange(input));
    return input;
  };
  const playButton = button("Play", () => (S.playing ? pause() : play()), "train continuously (Space)");
  const lrInput = number(spec.lr, "learning rate η", (i) => setNumber(i, "lr", false), { step: "any", min: "0" });
  const l2Input = number(spec.l2, "L2: adds l2 · Σ p² to the loss", (i) => setNumber(i, "l2", true), { step: "any", min: "0" });
  const batchInput = number(spec.batch_size === null ? "" : spec.batch_size, "examples per step (empty: all)",
    (i) => setBatch(i), { step: "1", min: "1", placeholder: "all" });
  const speed = h("select", { title: "steps per frame while playing" },
    ...[1, 5, 25, 100].map((k) => h("option", { value: String(k) }, `${k}/frame`)));
  speed.addEventListener("change", () => { S.perFrame = Number(speed.value); });
  const opt = spec.optimizer;
  const optText = opt.kind === "adam" ? `Adam β=(${opt.betas.join(", ")})` : (opt.momentum ? `SGD, momentum ${opt.momentum}` : "SGD");
  const status = h("span", { class: "pp-status" });
  const bar = h("div", { class: "pg-bar pp-bar" },
    h("div", { class: "pg-controls" }, playButton, button("Step", () => stepOnce(), "one step (→)"),
      button("Reset", () => reset(), "the initial weights and data, history cleared"), speed),
    h("label", { class: "pp-field" }, "learning rate ", lrInput),
    h("label", { class: "pp-field" }, "L2 ", l2Input),
    h("label", { class: "pp-field" }, "batch ", batchInput),
    h("span", { class: "pp-opt" }, `${optText} · ${spec.loss}`),
    button("state_dict ⤓", () => download(), "the weights as model.state_dict() gives them (JSON)"),
    status);
  const alarm = h("div", { class: "pg-error pp-error", role: "alert" });
  alarm.hidden = true;
  const note = h("div", { class: "pg-note" });
  note.hidden = true;

  const canvas = h("canvas", { class: "pp-plane", width: PLANE_PX, height: PLANE_PX });
  const modeBox = h("div", { class: "pg-tabs pp-modes" });
  const modes = {};
  for (const [key, label, hint] of [["trace", "Trace", "click a point or the plane: its graph below"],
    ["add", "Add", "click the plane to add a point of the chosen class"],
    ["remove", "Remove", "click a point to remove it"]]) {
    modes[key] = button(label, () => setMode(key), hint);
    modeBox.append(modes[key]);
  }
  const classBox = h("div", { class: "pp-classes" });
  classes.forEach((c) => {
    const rgb = classColor(c);
    const b = button(String(c), () => { S.addClass = c; syncModes(); }, `the class of added points (and of a traced place on the plane): ${c}`);
    b.style.borderColor = `rgb(${rgb})`;
    b.dataset.cls = String(c);
    classBox.append(b);
  });
  const exampleInput = number(0, "the example to trace", (i) => { const k = Number(i.value); if (Number.isInteger(k) && k >= 0 && k < tr.data.n) { S.traced = { point: k }; redraw(); } }, { step: "1", min: "0" });
  const left = h("div", { class: "pp-left" });
  if (plane) left.append(canvas, modeBox, spec.addable ? classBox : h("span"));
  else left.append(h("p", { class: "pp-hint" }, `The inputs have ${spec.n_inputs} dimensions, not 2: there is no plane to draw, so the page shows the training views and the traced example (pick it by number).`),
    h("label", { class: "pp-field" }, "example ", exampleInput));

  const curve = h("canvas", { class: "pp-curve", width: 560, height: 150 });
  const slider = h("input", { type: "range", min: "0", max: "0", value: "0", class: "pp-slider", title: "every step so far: drag to travel back; training on from there forks" });
  slider.addEventListener("input", () => { pause(); tr.goto(Number(slider.value)); redraw(); sync(); });
  const sliderText = h("span", { class: "pp-step" });
  const neurons = h("div", { class: "pp-neurons" });
  const neuronCanvases = spec.neurons.map((nrn) => {
    const c = h("canvas", { width: GRID, height: GRID, title: nrn.title });
    c.style.width = c.style.height = `${NEURON_PX}px`;
    return c;
  });
  let layer = null;
  spec.neurons.forEach((nrn, j) => {
    if (!layer || layer.dataset.layer !== String(nrn.layer)) {
      layer = h("div", { class: "pp-layer" }, h("div", { class: "pp-layer-title" }, `layer ${nrn.layer}`));
      layer.dataset.layer = String(nrn.layer);
      neurons.append(layer);
    }
    layer.append(h("figure", {}, neuronCanvases[j], h("figcaption", {}, nrn.title)));
  });
  const mid = h("div", { class: "pp-mid" }, h("h2", {}, "Loss per step"), curve,
    h("div", { class: "pp-travel" }, slider, sliderText),
    spec.neurons.length ? h("h2", {}, "Hidden neurons over the plane") : h("span"), neurons);

  // the traced example: the explorer's picture and engine
  const gs = spec.graph.scene;
  const traceHead = h("div", { class: "pp-trace-head" });
  const stage = h("div", { class: "pg-stage pp-stage" });
  const panel = h("aside", { class: "pg-panel pp-panel", "aria-live": "polite" });
  const tip = h("div", { class: "pg-tip", role: "tooltip" });
  const lower = h("section", { class: "pp-lower" }, h("h2", {}, "The traced example's graph"), traceHead,
    h("div", { class: "pg-main" }, stage, panel));
  root.append(h("h1", { class: "pg-title" }, spec.title), bar, alarm, note,
    h("div", { class: "pp-main" }, left, mid), lower, tip);
  if (!plane && spec.n_inputs === 2) note.hidden = true;

  let graph = null, live = null;
  const cells = [];
  const rateTexts = [];
  const moreRows = [];
  const at = [];  // per engine node: its drawn position q, element and cell ({q, drawn, slot})
  const edgeOf = (e) => { const w = at[live.child[e]]; return w ? `e${w.q}_${e - live.start[live.child[e]]}` : null; };
  const drawnOf = (i) => (at[i] ? at[i].drawn : null);
  if (gs) {
    graph = new Picture(gs.svg);
    live = new Engine(gs.engine, gs.nodes.map((n) => n.name));
    stage.append(graph.box);
    graph.box.style.height = "520px";
    const texts = new Map();
    for (const [key, g] of graph.nodes) {
      const all = [...g.querySelectorAll("text")];
      texts.set(key, { data: all.filter((t) => t.textContent.startsWith("data ")), grad: all.filter((t) => t.textContent.startsWith("grad ")) });
    }
    // the explorer's drawing: drawn position q shows engine node fixed[q] in cell cells[q]
    const pic = gs.picture || { fixed: [], cells: [] };
    pic.fixed.forEach((i, q) => { at[i] = { q, drawn: pic.cells[q][0], slot: pic.cells[q][1] }; });
    for (let i = 0; i < live.n; i++) {
      const w = at[i], t = w && texts.get(w.drawn);
      cells.push(t && w.slot !== null && w.slot !== undefined ? [t.data[w.slot] || null, t.grad[w.slot] || null] : [null, null]);
    }
    // a neuron box's summary row of the weights it does not list ("13 more w, |grad| ≤ …")
    for (const [key, g] of graph.nodes) {
      const t = [...g.querySelectorAll("text")].find((x) => /w, \|grad\| ≤/.test(x.textContent));
      if (!t) continue;
      const hidden = [];
      at.forEach((w, i) => { if (w && w.drawn === key && (w.slot === null || w.slot === undefined) && live.sig[i] < 0) hidden.push(i); });
      if (hidden.length) moreRows.push([t, t.textContent.replace(/≤.*$/, "≤ "), hidden]);
    }
    for (let e = 0; e < live.P.length; e++) rateTexts.push(edgeOf(e) ? (graph.edges.get(edgeOf(e)) || { querySelector: () => null }).querySelector("text") : null);
    for (const [key, g] of graph.nodes) {
      const m = /^(v|n)(\d+)(op|c.*|s.*)?$/.exec(key);
      if (!m) continue;
      g.classList.add("pg-click");
      g.addEventListener("click", (ev) => {
        ev.stopPropagation();
        if (m[1] === "v") { const i = (gs.picture || { fixed: [] }).fixed[Number(m[2])]; if (i !== undefined) { S.selected = i; redrawTrace(); } return; }
        const inBox = at.map((w, j) => [w, j]).filter(([w]) => w && w.drawn === key);
        const z = inBox.find(([, j]) => gs.nodes[j].op && gs.nodes[j].op.startsWith("Σ")) || inBox.find(([, j]) => gs.nodes[j].op) || inBox[0];
        if (z) { S.selected = z[1]; redrawTrace(); }
      });
    }
    // hover an edge: its rate factor by name and value, and the rule it came from (explorer's)
    const edgeAt = new Map();
    for (let e = 0; e < live.P.length; e++) if (edgeOf(e)) edgeAt.set(edgeOf(e), e);
    const names = gs.nodes.map((n) => n.name);
    for (const [key, g] of graph.edges) {
      const e = edgeAt.get(key);
      if (e === undefined) continue;
      const a = g.querySelector("a");
      if (a) a.removeAttributeNS("http://www.w3.org/1999/xlink", "title");
      const show = (ev) => {
        const i = live.child[e], j = live.P[e], factor = gs.factors[e], value = short(live.R[e]);
        tip.replaceChildren(h("div", { class: "pg-tip-main" }, `∂${names[i]}/∂${names[j]} = ${factor}${factor !== value ? ` = ${value}` : ""}`),
          h("div", { class: "pg-tip-rule" }, gs.rules[gs.nodes[i].rule] || ""));
        tip.style.display = "block";
        const r = root.getBoundingClientRect();
        tip.style.left = `${ev.clientX - r.left + 14}px`;
        tip.style.top = `${ev.clientY - r.top + 14}px`;
      };
      const line = g.querySelector("path");
      const targets = [g];
      if (line) {  // a wide invisible stroke makes a thin edge easy to hover
        const grip = line.cloneNode(false);
        grip.setAttribute("stroke", "transparent");
        grip.setAttribute("stroke-width", "12");
        grip.setAttribute("class", "pg-grip");
        graph.grips.append(grip);
        targets.push(grip);
      }
      for (const t of targets) {
        t.addEventListener("mousemove", show);
        t.addEventListener("mouseleave", () => { tip.style.display = "none"; });
      }
    }
    graph.svg.addEventListener("click", () => { S.selected = null; redrawTrace(); });
  } else {
    stage.append(h("p", { class: "pp-hint" }, spec.graph.note || "no graph to draw"));
  }

  if (graph && typeof IntersectionObserver !== "undefined") {
    new IntersectionObserver((seen) => {
      S.graphVisible = seen.some((e) => e.isIntersecting);
      if (S.graphVisible && S.graphStale) { redrawTrace(); S.graphStale = false; }
    }).observe(stage);
  }

  // ---- the plane ---------------------------------------------------------------------------
  const gridCols = [];
  if (plane) {
    const [x0, x1, y0, y1] = plane, n = GRID * GRID;
    const a = new Float64Array(n), b = new Float64Array(n);
    for (let r = 0; r < GRID; r++) {
      for (let c = 0; c < GRID; c++) {
        a[r * GRID + c] = x0 + (c + 0.5) / GRID * (x1 - x0);
        b[r * GRID + c] = y1 - (r + 0.5) / GRID * (y1 - y0);
      }
    }
    gridCols.push(a, b);
    const targets = spec.one_hot > 0 ? spec.one_hot : 1;
    for (let k = 0; k < targets; k++) gridCols.push(new Float64Array(n));
  }
  const gridIdx = Int32Array.from({ length: GRID * GRID }, (_, i) => i);
  const toPx = (x, y) => [(x - plane[0]) / (plane[1] - plane[0]) * PLANE_PX, (plane[3] - y) / (plane[3] - plane[2]) * PLANE_PX];
  const fromPx = (px, py) => [plane[0] + px / PLANE_PX * (plane[1] - plane[0]), plane[3] - py / PLANE_PX * (plane[3] - plane[2])];
  const off = document.createElement("canvas");
  off.width = off.height = GRID;

  // the colour of a place from the model's outputs (rows of the looks engine, column b),
  // written into an image's pixel px: a class's colour, stronger the surer the model is
  function outputColor(V, B, b, px, at) {
    const rows = spec.output_rows;
    let rgb, t;
    if (rows.length > 1) {
      let best = 0, second = -Infinity;
      for (let k = 1; k < rows.length; k++) if (V[rows[k] * B + b] > V[rows[best] * B + b]) best = k;
      for (let k = 0; k < rows.length; k++) if (k !== best) second = Math.max(second, V[rows[k] * B + b]);
      rgb = palette[best % palette.length];
      t = Math.min(1, (V[rows[best] * B + b] - second) * 0.5) * 0.55 + 0.1;
    } else {
      const s = V[rows[0] * B + b] - spec.threshold;
      rgb = s > 0 ? palette[0] : palette[1];
      t = Math.min(1, Math.abs(s)) * 0.6 + 0.05;
    }
    paint(px, at, rgb, t);
  }

  // white blended towards rgb by t, into pixel data px at byte offset at
  function paint(px, at, rgb, t) {
    px[at] = 255 + (rgb[0] - 255) * t;
    px[at + 1] = 255 + (rgb[1] - 255) * t;
    px[at + 2] = 255 + (rgb[2] - 255) * t;
    px[at + 3] = 255;
  }

  function drawPlane() {
    const B = looks.forwardOnly(tr.theta, gridCols, gridIdx);
    const V = looks.V;
    const ctx = off.getContext("2d");
    const img = ctx.createImageData(GRID, GRID);
    for (let b = 0; b < B; b++) outputColor(V, B, b, img.data, b * 4);
    ctx.putImageData(img, 0, 0);
    const out = canvas.getContext("2d");
    out.imageSmoothingEnabled = true;
    out.drawImage(off, 0, 0, PLANE_PX, PLANE_PX);
    spec.neurons.forEach((nrn, j) => drawNeuron(neuronCanvases[j], V, B, nrn.row));
    const { X, y, n } = tr.data;
    for (let i = 0; i < n; i++) {
      const [px, py] = toPx(X[2 * i], X[2 * i + 1]);
      out.beginPath();
      out.arc(px, py, 4.2, 0, 2 * Math.PI);
      out.fillStyle = `rgb(${classColor(y[i])})`;
      out.fill();
      out.lineWidth = 1;
      out.strokeStyle = "#fff";
      out.stroke();
    }
    const at = tracedPoint();
    if (at) {
      const [px, py] = toPx(at[0], at[1]);
      out.beginPath();
      out.arc(px, py, 8, 0, 2 * Math.PI);
      out.lineWidth = 2.5;
      out.strokeStyle = "#000";
      out.stroke();
    }
  }

  function drawNeuron(c, V, B, row) {
    let top = 1e-12;
    for (let b = 0; b < B; b++) top = Math.max(top, Math.abs(V[row * B + b]));
    const ctx = c.getContext("2d");
    const img = ctx.createImageData(GRID, GRID);
    for (let b = 0; b < B; b++) {
      const v = V[row * B + b] / top;
      paint(img.data, b * 4, v >= 0 ? palette[0] : palette[1], Math.abs(v) * 0.85);
    }
    ctx.putImageData(img, 0, 0);
  }

  // ---- the loss curve and the time slider --------------------------------------------------
  function drawCurve() {
    const ctx = curve.getContext("2d");
    const W = curve.width, H = curve.height, L = tr.losses, T = L.length;
    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = "#fafafa";
    ctx.fillRect(0, 0, W, H);
    if (!T) { ctx.fillStyle = "#777"; ctx.font = "13px Helvetica, Arial, sans-serif"; ctx.fillText("no steps yet: Play or Step", 12, H / 2); return; }
    const positive = L.every((x) => x > 0);
    const f = positive ? Math.log10 : (x) => x;
    let lo = Infinity, hi = -Infinity;
    for (const x of L) { lo = Math.min(lo, f(x)); hi = Math.max(hi, f(x)); }
    if (hi - lo < 1e-12) { hi += 0.5; lo -= 0.5; }
    const px = (t) => 30 + (t / Math.max(T, 1)) * (W - 40);
    const py = (v) => 8 + (hi - f(v)) / (hi - lo) * (H - 24);
    ctx.strokeStyle = "#0072B2";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    const every = Math.max(1, Math.floor(T / (W - 40)));
    for (let t = 0; t < T; t += every) { const x = px(t + 1), yv = py(L[t]); t === 0 ? ctx.moveTo(x, yv) : ctx.lineTo(x, yv); }
    ctx.stroke();
    ctx.fillStyle = "#555";
    ctx.font = "11px Helvetica, Arial, sans-serif";
    ctx.fillText(fmtG(positive ? 10 ** hi : hi, 3), 2, 14);
    ctx.fillText(fmtG(positive ? 10 ** lo : lo, 3), 2, H - 16);
    ctx.fillText(positive ? "log scale" : "", W - 60, H - 4);
    const cur = px(tr.t);
    ctx.strokeStyle = "#D55E00";
    ctx.beginPath(); ctx.moveTo(cur, 4); ctx.lineTo(cur, H - 14); ctx.stroke();
  }

  // ---- the traced example ------------------------------------------------------------------
  function tracedPoint() {
    const tp = S.traced;
    if (tp.point !== undefined) {
      if (tp.point >= tr.data.n) return null;
      const d = spec.n_inputs;
      return Array.from(tr.data.X.subarray(tp.point * d, tp.point * d + d));
    }
    return tp.x;
  }

  function tracedInputs() {
    const tp = S.traced;
    const x = tracedPoint();
    if (!x) return null;
    const label = tp.point !== undefined ? tr.data.y[tp.point] : tp.label;
    const targets = spec.one_hot > 0 ? Array.from({ length: spec.one_hot }, (_, k) => (label === k ? 1 : 0)) : [label];
    return { x, label, columns: [...x, ...targets] };
  }

  // a text changed only where its words did: each change costs the SVG a new layout
  const shownText = new WeakMap();
  function setText(t, text) {
    if (shownText.get(t) === text) return;
    shownText.set(t, text);
    t.textContent = text;
  }

  function redrawTrace() {
    const ex = tracedInputs();
    if (!ex) { traceHead.textContent = "Click a point (or the plane) to trace its example."; return; }
    const where = S.traced.point !== undefined ? `example ${S.traced.point}` : "a place on the plane";
    traceHead.textContent = `${where}: x = (${ex.x.map((v) => fmtG(v)).join(", ")}), label ${fmtG(ex.label)} · step ${tr.t}` +
      " · grads are ∂C_x/∂node for this one example (the step averages them over its batch and adds L2)";
    if (!live) return;
    looks.load(tr.theta);
    const ins = spec.graph.input_of, sc = spec.graph.scalar_of;
    for (const i of live.leaves) live.v[i] = ins[i] >= 0 ? ex.columns[ins[i]] : looks.S[sc[i]];
    try {
      live.forward(0);
      live.backward();
    } catch (e) {
      traceHead.textContent += ` · ${e.name || "Error"}: ${e.message}`;
    }
    graph.clear();
    for (let i = 0; i < live.n; i++) {
      const [d, g] = cells[i];
      if (d) setText(d, `data ${fmtFixed(live.v[i])}`);
      if (g) setText(g, `grad ${fmtFixed(live.g[i])}`);
    }
    rateTexts.forEach((t, e) => { if (t) setText(t, fmtG(live.R[e])); });
    for (const [t, head, hidden] of moreRows) {
      let top = 0;
      for (const i of hidden) top = Math.max(top, Math.abs(live.g[i]));
      setText(t, head + fmtFixed(top, 3));
    }
    if (live.v[live.root] === 0 && live.leaves.every((i) => live.g[i] === 0)) {
      traceHead.textContent += " · its loss is 0 (past the margin): no gradient flows back from it, every grad is 0";
    }
    lightPaths();
  }

  function lightPaths() {
    const i = S.selected;
    if (i === null || i === undefined || !live) {
      panel.replaceChildren(h("p", { class: "pg-hint" }, "Click a node of the graph (a weight, a neuron's box): its paths to the loss light up, each with its product; they add up to its grad, live at every step."));
      return;
    }
    const names = gs.nodes.map((n) => n.name);
    const found = live.paths(i, K_SHOWN);
    graph.svg.classList.add("pg-dim");
    const color = (j) => gs.palette[j % gs.palette.length];
    const edgeColors = new Map(), nodeColor = new Map();
    found.paths.forEach((p, j) => {
      p.edges.forEach((e) => {
        const key = edgeOf(e);
        if (key === null) return;
        if (!edgeColors.has(key)) edgeColors.set(key, []);
        edgeColors.get(key).push(color(j));
      });
      p.nodes.forEach((n) => { const d = drawnOf(n); if (d && !nodeColor.has(d)) nodeColor.set(d, color(j)); });
    });
    for (const [key, cs] of edgeColors) graph.lightEdge(key, cs);
    for (const [key, c] of nodeColor) graph.lightNode(key, c);
    if (drawnOf(i)) graph.lightNode(drawnOf(i), null, "pg-picked");
    const count = gs.nodes[i].count_text;
    const rows = found.paths.map((p, j) => h("li", { style: `border-left: 6px solid ${color(j)}` },
      h("span", { class: "pp-path" }, p.nodes.map((n) => names[n]).join(" → ")),
      h("br"), `product ${short(p.product)} = ${p.edges.map((e) => short(live.R[e])).join(" · ") || "1"}`));
    const shownSum = found.paths.reduce((s, p) => s + p.product, 0);
    // a neuron's box: its members (z, a, each weight, b) to pick from, as in the explorer
    const box = drawnOf(i);
    const members = box && box.startsWith("n") ? at.map((w, j) => [w, j]).filter(([w]) => w && w.drawn === box) : [];
    const picker = members.length > 1 ? h("div", { class: "pg-members" }, ...members.map(([, j]) =>
      h("button", { type: "button", class: j === i ? "pg-on" : "", onclick: () => { S.selected = j; redrawTrace(); } }, names[j]))) : h("span");
    panel.replaceChildren(
      picker,
      h("h2", {}, `∂${names[live.root]}/∂${names[i]} = ${short(live.g[i])}`),
      h("p", {}, `${count} path${count === "1" ? "" : "s"} to the loss; the ${found.paths.length} largest by |product|:`),
      h("ol", { class: "pp-paths" }, ...rows),
      h("p", { class: "pg-hint" }, `their sum ${short(shownSum)}; all paths add up to the grad ${short(live.g[i])}.`));
  }

  // ---- status, redraw, sync ----------------------------------------------------------------
  function accuracy() {
    if (!classes.length || spec.addable === false) return null;
    const n = tr.data.n;
    const idx = Int32Array.from({ length: n }, (_, i) => i);
    const B = looks.forwardOnly(tr.theta, tr.data.columns, idx);
    const V = looks.V, rows = spec.output_rows;
    let right = 0;
    for (let b = 0; b < B; b++) {
      let guess;
      if (rows.length > 1) { guess = 0; for (let k = 1; k < rows.length; k++) if (V[rows[k] * B + b] > V[rows[guess] * B + b]) guess = k; }
      else guess = V[rows[0] * B + b] > spec.threshold ? classes[classes.length - 1] : classes[0];
      if (guess === tr.data.y[b]) right++;
    }
    return right / n;
  }

  // playing: the traced graph (thousands of SVG texts to lay out again) is redrawn only while
  // it is on screen, and at most every GRAPH_MS; paused, stepped or moved: every time
  function redraw(playing = false) {
    const T = tr.losses.length;
    slider.max = String(T);
    slider.value = String(tr.t);
    sliderText.textContent = `step ${tr.t} of ${T}`;
    const loss = tr.t > 0 ? tr.losses[tr.t - 1] : null;
    let acc = null;
    try {
      if (plane) drawPlane();
      acc = accuracy();
    } catch (e) {
      showError(`${e.message} (drawing the model's outputs)`);
    }
    status.textContent = `step ${tr.t}` + (loss === null ? "" : ` · loss ${fmtG(loss)}`) +
      (acc === null ? "" : ` · accuracy ${(100 * acc).toFixed(1)}%`) + ` · ${tr.data.n} examples`;
    drawCurve();
    const now = performance.now();
    if (!playing || (S.graphVisible && now - S.lastGraph >= GRAPH_MS)) {
      redrawTrace();
      S.lastGraph = now;
      S.graphStale = false;
    } else S.graphStale = true;
    playButton.textContent = S.playing ? "Pause" : "Play";
    if (tr.error) showError(tr.error); else alarm.hidden = true;
  }

  function showError(text) {
    alarm.textContent = text;
    alarm.hidden = false;
  }

  function sync(force = true) {
    if (standalone || !model.set) return;
    const now = Date.now();
    if (!force && now - S.lastSync < SYNC_MS) return;
    S.lastSync = now;
    model.set("parameters", Array.from(tr.theta));
    model.set("step", tr.t);
    if (model.save_changes) model.save_changes();
  }

  // ---- actions -------------------------------------------------------------------------------
  function run(k) {
    try {
      tr.train(k);
    } catch (e) {
      pause();
      showError(e.message);
    }
  }
  function stepOnce() { pause(); run(1); redraw(); sync(); }
  function play() {
    if (tr.error) return;
    S.playing = true;
    const frame = () => {
      if (!S.playing) return;
      run(S.perFrame);
      redraw(true);
      S.frames++;
      sync(false);
      if (S.playing) S.raf = requestAnimationFrame(frame);
    };
    S.raf = requestAnimationFrame(frame);
    playButton.textContent = "Pause";
  }
  function pause() {
    const was = S.playing;
    S.playing = false;
    cancelAnimationFrame(S.raf);
    playButton.textContent = "Play";
    if (was) { sync(); if (S.graphStale) redrawTrace(); }
  }
  function reset() {
    pause();
    tr.reset();
    lrInput.value = String(spec.lr); l2Input.value = String(spec.l2);
    batchInput.value = spec.batch_size === null ? "" : String(spec.batch_size);
    redraw();
    sync();
  }
  function setNumber(input, name, zeroOk) {
    const v = Number(input.value);
    if (input.value === "" || !Number.isFinite(v) || v < 0 || (v === 0 && !zeroOk)) {
      showError(`${name} must be a finite number ${zeroOk ? ">= 0" : "> 0"}, got ${JSON.stringify(input.value)}; kept ${tr.settings[name]}`);
      input.value = String(tr.settings[name]);
      return;
    }
    tr.setSetting(name, v);
    redraw();
  }
  function setBatch(input) {
    if (input.value === "") { tr.setSetting("batch_size", null); redraw(); return; }
    const v = Number(input.value);
    if (!Number.isInteger(v) || v < 1) {
      showError(`batch size must be a whole number >= 1 (empty: all), got ${JSON.stringify(input.value)}`);
      input.value = tr.settings.batch_size === null ? "" : String(tr.settings.batch_size);
      return;
    }
    tr.setSetting("batch_size", v);
    redraw();
  }
  function download() {
    const blob = new Blob([JSON.stringify(tr.stateDict())], { type: "application/json" });
    const a = h("a", { href: URL.createObjectURL(blob), download: "state_dict.json" });
    root.append(a);
    a.click();
    a.remove();
  }
  function setMode(key) { S.mode = key; syncModes(); }
  function syncModes() {
    for (const [k, b] of Object.entries(modes)) b.classList.toggle("pg-on", k === S.mode);
    for (const b of classBox.children) b.classList.toggle("pg-on", b.dataset.cls === String(S.addClass));
  }

  function addPoint(x, y, label) {
    if (!classes.includes(label)) throw new Error(`add_point: the label ${label} is not one of this loss's classes ${JSON.stringify(classes)}`);
    if (!(Number.isFinite(x) && Number.isFinite(y))) throw new Error(`add_point: the point (${x}, ${y}) is not finite`);
    const X = new Float64Array(tr.data.X.length + 2);
    X.set(tr.data.X); X[X.length - 2] = x; X[X.length - 1] = y;
    const Y = new Float64Array(tr.data.n + 1);
    Y.set(tr.data.y); Y[Y.length - 1] = label;
    tr.setData(X, Y);
    return tr.data.n - 1;
  }
  function removePoint(i) {
    const n = tr.data.n, d = spec.n_inputs;
    if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new Error(`remove_point: no example ${i} (there are ${n})`);
    if (n === 1) throw new Error("remove_point: the last example stays (a step needs data)");
    const X = new Float64Array((n - 1) * d), Y = new Float64Array(n - 1);
    X.set(tr.data.X.subarray(0, i * d)); X.set(tr.data.X.subarray((i + 1) * d), i * d);
    Y.set(tr.data.y.subarray(0, i)); Y.set(tr.data.y.subarray(i + 1), i);
    tr.setData(X, Y);
    if (S.traced.point === i) S.traced = { point: 0 };
    else if (S.traced.point > i) S.traced = { point: S.traced.point - 1 };
  }

  function nearest(px, py) {
    let best = -1, dist = 8 * 8;
    const { X, n } = tr.data;
    for (let i = 0; i < n; i++) {
      const [qx, qy] = toPx(X[2 * i], X[2 * i + 1]);
      const dd = (qx - px) ** 2 + (qy - py) ** 2;
      if (dd <= dist) { dist = dd; best = i; }
    }
    return best;
  }

  if (plane) {
    canvas.addEventListener("click", (ev) => {
      const r = canvas.getBoundingClientRect();
      const px = (ev.clientX - r.left) * PLANE_PX / r.width, py = (ev.clientY - r.top) * PLANE_PX / r.height;
      const hit = nearest(px, py);
      try {
        if (S.mode === "add") { const [x, y] = fromPx(px, py); S.traced = { point: addPoint(x, y, S.addClass) }; }
        else if (S.mode === "remove") { if (hit >= 0) removePoint(hit); }
        else S.traced = hit >= 0 ? { point: hit } : { x: fromPx(px, py), label: S.addClass };
      } catch (e) { showError(e.message); }
      redraw();
    });
  }
  const onKey = (ev) => {
    if (ev.target && ev.target.tagName === "INPUT") return;
    if (ev.key === " ") { ev.preventDefault(); S.playing ? pause() : play(); }
    else if (ev.key === "ArrowRight") { ev.preventDefault(); stepOnce(); }
  };
  (standalone ? document : root).addEventListener("keydown", onKey);

  // ---- the page's API -------------------------------------------------------------------------
  const api = {
    train(n = 1) {
      try { return tr.train(n); } finally { redraw(); sync(); }
    },
    parameters: () => Array.from(tr.theta),
    history: () => tr.losses.slice(),
    goto(t) { pause(); tr.goto(t); redraw(); sync(); return tr.t; },
    state_dict: () => tr.stateDict(),
    step: () => tr.t,
    data: () => ({ X: Array.from(tr.data.X), y: Array.from(tr.data.y) }),
    add_point(x, y, label) { const i = addPoint(x, y, label); redraw(); return i; },
    remove_point(i) { removePoint(i); redraw(); },
    trace(i) { S.traced = { point: i }; redraw(); return api.traced(); },
    traced: () => (live ? gs.nodes.map((n, i) => ({ name: n.name, data: live.v[i], grad: live.g[i] })) : []),
    // a setting from a script: lr (> 0), l2 (>= 0), batch_size (a whole number >= 1, or null)
    set(name, value) {
      const ok = name === "lr" ? Number.isFinite(value) && value > 0
        : name === "l2" ? Number.isFinite(value) && value >= 0
          : name === "batch_size" ? value === null || (Number.isInteger(value) && value >= 1) : null;
      if (ok === null) throw new Error(`set: no setting ${JSON.stringify(name)} (lr, l2, batch_size)`);
      if (!ok) throw new Error(`set: ${name} cannot be ${JSON.stringify(value)}`);
      tr.setSetting(name, value);
      const input = { lr: lrInput, l2: l2Input, batch_size: batchInput }[name];
      input.value = value === null ? "" : String(value);
      redraw();
      return value;
    },
    reset() { reset(); return tr.t; },
    error: () => tr.error,
    redraw() { redraw(); },
    play() { play(); return S.frames; },
    pause() { pause(); return S.frames; },
  };
  if (standalone && typeof window !== "undefined") window.pathgrad = api;
  // open on the example the initial model gets most wrong: its graph has gradients to show
  if (spec.code.root_row >= 0) {
    const idx = Int32Array.from({ length: tr.data.n }, (_, i) => i);
    const B = looks.forwardOnly(tr.theta, tr.data.columns, idx), r = spec.code.root_row * B;
    let worst = 0;
    for (let b = 1; b < B; b++) if (looks.V[r + b] > looks.V[r + worst]) worst = b;
    S.traced = { point: worst };
  }
  syncModes();
  redraw();
  if (graph) requestAnimationFrame(() => { graph.open(); graph.reveal(drawnOf(gs.root)); });
  if (!standalone) sync();
  return () => { pause(); if (standalone) document.removeEventListener("keydown", onKey); };
}

export default { render: renderPlayground };
