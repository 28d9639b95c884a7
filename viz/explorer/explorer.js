// pathgrad explorer: one script for the standalone page (viz.explore) and the notebook widget
// (viz.Explorer, anywidget). Every number it shows comes from the scene the engine wrote
// (values, rate factors, paths, the sweep's partial sums, already formatted); the script only
// shows, hides and colours them. No network requests, no dependencies, no build step.

const SVGNS = "http://www.w3.org/2000/svg";
const READABLE = 10;  // px: the smallest text at the first view
const MAX_TEXT = 20;  // px: "fit" enlarges a small picture until its smallest text is this
const PLAY_MS = 6000;  // Play replays the whole sweep in about this long, whatever its length

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

  fit() {
    const s = this.fitScale();
    if (s) this.zoom(s);
  }

  // The first view: the whole picture, enlarged until its smallest text is READABLE px (then
  // the stage scrolls). A diagram (shape = true) whose readable size would leave less than
  // half of it in view (a 16-neuron layer) opens whole instead, for its shape; "+" reads it.
  // A computation graph is read by its numbers: it always opens readable.
  open() {
    const s = this.fitScale();
    if (!s) return;
    const readable = (READABLE + 0.05) / this.smallestText();  // + rounding
    const over = Math.max(readable * this.natural[0] / (this.box.clientWidth - 12),
      readable * this.natural[1] / (this.box.clientHeight - 12));
    this.zoom(over <= 2 || !this.shape ? Math.max(s, readable) : s);
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

function render({ model, el }) {
  const scene = model.get("scene");
  const standalone = el.id === "pathgrad-explorer";
  const S = {
    selected: null, showAll: false, mode: "paths", step: 0, timer: null,
    view: scene.network ? "network" : "graph",
  };
  const root = h("div", { class: "pg-root", tabindex: "0" });
  el.replaceChildren(root);

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
  const zoom = h("div", { class: "pg-zoom" },
    button("−", () => pic().zoom(pic().scale / 1.25), "smaller"),
    button("fit", () => pic().fit(), "fit the width"),
    button("+", () => pic().zoom(pic().scale * 1.25), "larger"));
  const bar = h("div", { class: "pg-bar" }, views, modes, controls, zoom);
  const note = h("div", { class: "pg-note" });
  const stage = h("div", { class: "pg-stage" });
  const panel = h("aside", { class: "pg-panel", "aria-live": "polite" });
  const tip = h("div", { class: "pg-tip", role: "tooltip" });
  root.append(title, bar, note, h("div", { class: "pg-main" }, stage, panel), tip);

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

  // ---- value texts in the graph: "data …" / "grad …" cells, by (drawn element, slot) ----
  const cells = scene.nodes.map(() => ({ data: null, grad: null }));
  if (graph) {
    const texts = new Map();
    for (const [key, g] of graph.nodes) {
      const all = [...g.querySelectorAll("text")];
      texts.set(key, {
        data: all.filter((t) => t.textContent.startsWith("data ")),
        grad: all.filter((t) => t.textContent.startsWith("grad ")),
      });
    }
    scene.nodes.forEach((n, i) => {
      const t = texts.get(n.drawn);
      if (!t || n.slot === null || n.slot === undefined) return;
      cells[i].data = t.data[n.slot] || null;
      cells[i].grad = t.grad[n.slot] || null;
    });
  }
  const setCell = (i, kind, text, cls) => {
    const t = cells[i][kind];
    if (!t) return;
    t.textContent = text;
    t.classList.remove("pg-pending", "pg-partial", "pg-final");
    if (cls) t.classList.add(cls);
  };
  const showEngine = () => scene.nodes.forEach((n, i) => {
    setCell(i, "data", n.data_text, null);
    setCell(i, "grad", n.grad_text, null);
  });

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

  function setView(view) {
    S.view = view;
    setNote();
    for (const b of views.children) b.classList.toggle("pg-on", b.textContent === (view === "network" ? "Network" : "Computation graph"));
    stage.replaceChildren(pic().box);
    sizeStage();
    if (!pic().opened) { pic().opened = true; pic().open(); }
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
  if (scene.n_stale) {
    notes.push(`The .grad of ${scene.n_stale} node(s) (${scene.stale.join(", ")}${scene.n_stale > scene.stale.length ? ", …" : ""}) ` +
      `differs from ∂${scene.root_name}/∂node: backward() was not called on ${scene.root_name}, or leaves accumulated ` +
      `several calls. This page shows ∂${scene.root_name}/∂node from the engine's sweep.`);
  }
  if (scene.network && scene.network.note) notes.push(scene.network.note[0].toUpperCase() + scene.network.note.slice(1) + ".");
  // what to click depends on the picture shown: the note and the panel's hint say the same
  function setNote() {
    const more = [];
    if (scene.grouped && S.view === "graph") {
      more.push("A large graph: each neuron is one box (its z, a, weights and bias). Click a box, " +
        "then choose one of them in the panel.");
    } else if (scene.grouped) {
      more.push("Click a weight (an edge) to light up its paths. The computation graph is large: " +
        "there each neuron is one box.");
    }
    note.textContent = [...notes, ...more].join(" ");
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

  function lightPaths() {
    const i = S.selected;
    if (i === null || i === undefined) return;
    const info = scene.paths[i];
    const shown = info.paths.slice(0, S.showAll ? scene.max_paths : scene.k);
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
        p.edges.forEach((e) => add(e, c));
        p.nodes.forEach((n, m) => {
          if (m > 0) add("o" + n, c);
          if (m > 0) { const op = graph.nodes.get(`v${n}op`); if (op && !nodeColor.has(`v${n}op`)) nodeColor.set(`v${n}op`, c); }
          const d = scene.nodes[n].drawn;
          if (!nodeColor.has(d)) nodeColor.set(d, c);
        });
      });
      for (const [key, cs] of edgeColors) graph.lightEdge(key, cs);
      for (const [key, c] of nodeColor) graph.lightNode(key, c);
      graph.lightNode(scene.nodes[i].drawn, null, "pg-picked");
    } else if (network && info.network) {
      network.svg.classList.add("pg-dim");
      const seen = new Map();
      info.network.slice(0, shown.length).forEach((ids, j) => {
        for (const id of ids) {
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

  function pathPanel() {
    const i = S.selected;
    if (i === null || i === undefined) {
      const hint = scene.network && S.view === "network"
        ? `Click a weight (an edge) to light up its paths to ${scene.root_name}.`
        : scene.grouped
          ? `Click a box, then choose its z, a, a weight or the bias, to light up every path to ${scene.root_name}.`
          : `Click any node to light up every path from it to ${scene.root_name}.`;
      return [h("p", { class: "pg-hint" }, hint),
        h("p", { class: "pg-hint" }, "Step, Back, Play and Reset replay the backward pass node by node " +
          "(or the forward pass); the arrow keys step, Home and End jump, Escape clears the selection. " +
          "Hover an edge for its rate factor.")];
    }
    const n = scene.nodes[i];
    const info = scene.paths[i];
    const out = [h("h2", {}, `${n.name}: data ${n.data_text.slice(5)}, ∂${scene.root_name}/∂${n.name} = ${n.grad_text.slice(5)}`)];
    const legend = h("div", { class: "pg-legend" });
    legend.innerHTML = S.showAll && info.legend_all ? info.legend_all : info.legend;
    out.push(legend);
    if (info.legend_all) {
      const more = Math.min(info.count, scene.max_paths);
      out.push(button(S.showAll ? `show the top ${scene.k}` : `show all ${more < info.count ? `(the top ${more})` : more}`,
        () => { S.showAll = !S.showAll; redraw(); }, "how many paths to light up"));
    }
    if (scene.grouped) {
      const box = n.drawn;
      const members = scene.nodes.map((m, j) => [m, j]).filter(([m]) => m.drawn === box && box.startsWith("n"));
      if (members.length) {
        out.push(h("p", { class: "pg-hint" }, "in this neuron's box:"));
        out.push(h("div", { class: "pg-members" }, ...members.map(([m, j]) =>
          h("button", { type: "button", class: j === i ? "pg-on" : "", onclick: () => select(j) }, m.name))));
      }
    }
    return out;
  }

  // ---- the replays -----------------------------------------------------------------------
  const steps = () => (S.mode === "forward" ? scene.forward : scene.backward);

  function showReplay() {
    const list = steps();
    const s = S.step;
    if (S.mode === "backward") {
      scene.nodes.forEach((m, i) => {
        setCell(i, "data", m.data_text, null);
        setCell(i, "grad", "grad 0", "pg-pending");
      });
      setCell(scene.root, "grad", scene.backward[0].grad_text, "pg-final");
      for (let t = 0; t < s; t++) {
        const st = list[t];
        setCell(st.node, "grad", st.grad_text, "pg-final");
        for (const [j, text] of st.updates) setCell(j, "grad", text, "pg-partial");
      }
      // a node's grad is complete once the sweep reached it
      for (let t = 0; t < s; t++) setCell(list[t].node, "grad", list[t].grad_text, "pg-final");
    } else {
      scene.nodes.forEach((m, i) => {
        setCell(i, "data", i < s ? m.data_text : "data ·", i < s ? "pg-final" : "pg-pending");
        setCell(i, "grad", "grad ·", "pg-pending");
      });
    }
    if (s > 0) {
      const cur = list[s - 1].node;
      graph.lightNode(scene.nodes[cur].drawn, "#000000", "pg-current");
      // the edges the step works along: into the node (backward: grad flows to its operands)
      scene.edges.filter((e) => e.child === cur).forEach((e) => graph.lightEdge(e.id, ["#E69F00"]));
      graph.lightEdge("o" + cur, ["#E69F00"]);
      const g = graph.nodes.get(scene.nodes[cur].drawn);
      if (g && g.scrollIntoView) g.scrollIntoView({ block: "nearest", inline: "nearest" });
      const op = graph.nodes.get(`v${cur}op`);
      if (op) graph.lightNode(`v${cur}op`, "#000000", "pg-current");
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
        out.push(h("p", {}, `Every grad starts at 0; the seed ${scene.root_name}.grad = 1. Press Step.`));
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
      if (s === list.length) out.push(h("p", { class: "pg-done" }, `Done: ${scene.root_name} = ${scene.nodes[scene.root].data_text.slice(5)}. Now the backward pass.`));
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
    // PLAY_MS for the whole sweep (at most 0.5 s a step): the step shown is read from the
    // clock, so a slow redraw of a big graph skips steps rather than stretching the replay.
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
    if (graph) {
      if (S.mode === "paths") {
        showEngine();
        counter.textContent = "";
      } else showReplay();
    }
    if (S.mode === "paths") lightPaths();
    panel.replaceChildren(...(S.mode === "paths" ? pathPanel() : replayPanel()));
  }

  // ---- events ------------------------------------------------------------------------------
  if (graph) {
    for (const [key, g] of graph.nodes) {
      const m = /^(v|n)(\d+)(op|c.*|s.*)?$/.exec(key);  // v{i}c…, v{i}s…: drawn again
      if (!m) continue;
      g.classList.add("pg-click");
      g.addEventListener("click", (ev) => {
        ev.stopPropagation();
        if (m[1] === "v") return select(Number(m[2]));
        const inBox = scene.nodes.map((n, j) => [n, j]).filter(([n]) => n.drawn === key);
        // a neuron's box selects its z first (its weighted input), the box lists the rest
        const z = inBox.find(([n]) => n.op && n.op.startsWith("Σ")) || inBox.find(([n]) => n.op) || inBox[0];
        if (z) select(z[1]);
      });
    }
    for (const [key, g] of graph.edges) {
      const a = g.querySelector("a");
      if (a) a.removeAttributeNS("http://www.w3.org/1999/xlink", "title");
      const edge = scene.edges.find((e) => e.id === key);
      if (!edge) continue;
      const line = g.querySelector("path");
      if (line) {  // a wide invisible stroke makes thin edges easy to hover
        const grip = line.cloneNode(false);
        grip.setAttribute("stroke", "transparent");
        grip.setAttribute("stroke-width", "12");
        grip.setAttribute("class", "pg-grip");
        graph.grips.append(grip);
        grip.addEventListener("mousemove", (ev) => showTip(ev, edge.tip, edge.rule));
        grip.addEventListener("mouseleave", () => { tip.style.display = "none"; });
      }
      g.addEventListener("mousemove", (ev) => showTip(ev, edge.tip, edge.rule));
      g.addEventListener("mouseleave", () => { tip.style.display = "none"; });
    }
    graph.svg.addEventListener("click", () => { if (S.mode === "paths") clearSelection(); });
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
    if (ev.key === "ArrowRight" || ev.key === "ArrowDown") go(S.step + 1);
    else if (ev.key === "ArrowLeft" || ev.key === "ArrowUp") go(S.step - 1);
    else if (ev.key === "Home") go(0);
    else if (ev.key === "End") go(steps().length);
    else if (ev.key === "Escape") { stop(); if (S.mode !== "paths") setMode("paths"); clearSelection(); }
    else return;
    ev.preventDefault();
  };
  (standalone ? document : root).addEventListener("keydown", onKey);

  if (network) setView("network");
  else { setNote(); stage.replaceChildren(graph.box); sizeStage(); graph.opened = true; graph.open(); }
  const onResize = () => { sizeStage(); };
  if (standalone) window.addEventListener("resize", onResize);
  if (scene.select !== null && scene.select !== undefined) select(scene.select);
  else redraw();
  return () => {
    stop();
    if (standalone) document.removeEventListener("keydown", onKey);
    if (standalone) window.removeEventListener("resize", onResize);
  };
}

export default { render };
