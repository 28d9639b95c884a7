// pathgrad playground: the training engine (no DOM). The step is the JavaScript that
// viz.playground_code wrote from the compiled tape and the rows (spec.code); this file only
// holds buffers, the optimizers (nn.optim's formulas), the L2 term, the mini-batch order
// (numpy's PCG64 and Generator.permutation, as fit draws it) and the history.

// ---- numpy's default_rng: PCG64 (XSL-RR 128/64) and Generator.permutation ----------------
const MASK64 = (1n << 64n) - 1n;
const MASK128 = (1n << 128n) - 1n;
const PCG_MULT = 0x2360ED051FC65DA44385DF649FCCF645n;

class PCG64 {
  constructor(state) {
    this.s = BigInt(state.state);
    this.inc = BigInt(state.inc);
    this.has32 = state.has_uint32 | 0;
    this.u32 = state.uinteger >>> 0;
  }
  save() {
    return { state: this.s.toString(), inc: this.inc.toString(), has_uint32: this.has32, uinteger: this.u32 };
  }
  next64() {
    this.s = (this.s * PCG_MULT + this.inc) & MASK128;
    const x = ((this.s >> 64n) ^ this.s) & MASK64;
    const rot = this.s >> 122n;
    return ((x >> rot) | (x << ((64n - rot) & 63n))) & MASK64;
  }
  next32() {
    if (this.has32) { this.has32 = 0; return this.u32; }
    const n = this.next64();
    this.has32 = 1;
    this.u32 = Number(n >> 32n);
    return Number(n & 0xffffffffn);
  }
  // numpy's random_interval: the smallest mask >= max, rejection until value <= max
  interval(max) {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1; mask |= mask >>> 2; mask |= mask >>> 4; mask |= mask >>> 8; mask |= mask >>> 16;
    mask >>>= 0;
    let v;
    do { v = (this.next32() & mask) >>> 0; } while (v > max);
    return v;
  }
  // Generator.permutation(n): arange(n) shuffled by Fisher-Yates from the end
  permutation(n) {
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = i;
    for (let i = n - 1; i >= 1; i--) {
      const j = this.interval(i);
      const t = a[i]; a[i] = a[j]; a[j] = t;
    }
    return a;
  }
}

class GuardFlip extends Error {
  constructor(guard, example) {
    super(`comparison ${guard} came out the other way for example ${example} than when traced`);
    this.guard = guard; this.example = example;
  }
}

// ---- the generated step over a batch --------------------------------------------------------
class StepEngine {
  constructor(code) {
    const make = new Function("GuardFlip",
      `${code.helpers}\n${code.source}\nreturn { prologue, epilogue, forward, backward };`);
    Object.assign(this, make(GuardFlip));
    this.code = code;
    this.S = Float64Array.from(code.scalars);
    this.GS = new Float64Array(code.n_scalars);
    this.cap = 0;
  }
  buffers(B) {
    if (B > this.cap) {
      this.cap = B;
      this.V = new Float64Array(this.code.n_rows * B);
      this.G = new Float64Array(this.code.n_rows * B);
    }
  }
  // parameters into S, then the scalars that read no input
  load(theta) {
    const S = this.S, at = this.code.param_scalar;
    for (let j = 0; j < at.length; j++) if (at[j] >= 0) S[at[j]] = theta[j];
    this.prologue(S);
  }
  // the input columns (features, then targets) of the examples idx into their rows
  fill(columns, idx, B) {
    const V = this.V;
    this.code.input_rows.forEach((r, c) => {
      if (r < 0) return;
      const col = columns[c], o = r * B;
      for (let b = 0; b < B; b++) V[o + b] = col[idx[b]];
    });
  }
  forwardOnly(theta, columns, idx) {
    const B = idx.length;
    this.buffers(B);
    this.load(theta);
    this.fill(columns, idx, B);
    this.forward(this.V, this.S, B);
    return B;
  }
  // mean loss over the batch and its gradient (into grad, model.parameters() order)
  lossAndGrad(theta, columns, idx, grad) {
    const B = this.forwardOnly(theta, columns, idx);
    const { V, G, S, GS } = this;
    const code = this.code;
    GS.fill(0);
    let total = 0;
    if (code.root_row >= 0) {
      const r = code.root_row * B;
      for (let b = 0; b < B; b++) total += V[r + b];
      G.fill(0, 0, code.n_rows * B);
      for (let b = 0; b < B; b++) G[r + b] = 1.0;
      this.backward(V, G, S, GS, B);
    } else {
      total = S[code.root_scalar] * B;
      GS[code.root_scalar] = B;
    }
    this.epilogue(S, GS);
    const at = code.param_scalar, scale = 1.0 / B;
    for (let j = 0; j < at.length; j++) grad[j] = at[j] >= 0 ? GS[at[j]] * scale : 0.0;
    return total / B;
  }
}

// ---- optimizers: nn.optim's SGD (momentum, nesterov, weight decay) and Adam ---------------
function optimizerState(opt, n) {
  if (opt.kind === "adam") return { t: 0, m: new Float64Array(n), v: new Float64Array(n) };
  return { t: 0, velocity: null };
}

function copyState(st) {
  const out = { t: st.t };
  for (const k of ["m", "v", "velocity"]) if (k in st) out[k] = st[k] ? Float64Array.from(st[k]) : null;
  return out;
}

// One update: returns the new parameters and state, or throws naming the first non-finite number
function optimizerStep(opt, lr, st, theta, grad) {
  const n = theta.length;
  let g = grad;
  if (opt.weight_decay) { g = new Float64Array(n); for (let i = 0; i < n; i++) g[i] = grad[i] + opt.weight_decay * theta[i]; }
  const out = new Float64Array(n);
  const next = { t: st.t + 1 };
  if (opt.kind === "adam") {
    const [b1, b2] = opt.betas, w1 = 1.0 - b1;
    const m = new Float64Array(n), v = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      m[i] = w1 < 0.5 ? st.m[i] + w1 * (g[i] - st.m[i]) : g[i] - (g[i] - st.m[i]) * (1.0 - w1);
      v[i] = st.v[i] * b2 + (1.0 - b2) * g[i] * g[i];
    }
    const t = next.t, stepSize = lr / (1.0 - b1 ** t), c2 = Math.sqrt(1.0 - b2 ** t);
    for (let i = 0; i < n; i++) out[i] = theta[i] - stepSize * m[i] / (Math.sqrt(v[i]) / c2 + opt.eps);
    check(m, "the first moment (exp_avg)"); check(v, "the second moment (exp_avg_sq)");
    next.m = m; next.v = v;
  } else if (opt.momentum === 0) {
    for (let i = 0; i < n; i++) out[i] = theta[i] - lr * g[i];
    next.velocity = null;
  } else {
    const mu = opt.momentum, vel = new Float64Array(n);
    for (let i = 0; i < n; i++) vel[i] = st.velocity === null ? g[i] : mu * st.velocity[i] + g[i];
    check(vel, "the velocity");
    for (let i = 0; i < n; i++) out[i] = theta[i] - lr * (opt.nesterov ? g[i] + mu * vel[i] : vel[i]);
    next.velocity = vel;
  }
  check(out, "the update of");
  return [out, next];
}

function check(a, what) {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) {
      const e = new Error(`${what} parameter ${i} would be ${a[i]}`);
      e.parameter = i;
      throw e;
    }
  }
}

// ---- the trainer: data versions, settings, the step, history and time travel -------------
const SNAPSHOT_EVERY = 16;

class Trainer {
  constructor(spec) {
    this.spec = spec;
    this.engine = new StepEngine(spec.code);
    this.n = spec.n_params;
    this.grad = new Float64Array(this.n);
    this.rng0 = spec.rng;
    this.reset();
  }

  // the data as columns for the tape: features, then the target columns
  static columns(spec, X, y) {
    const n = y.length, d = spec.n_inputs, cols = [];
    for (let c = 0; c < d; c++) { const col = new Float64Array(n); for (let i = 0; i < n; i++) col[i] = X[i * d + c]; cols.push(col); }
    if (spec.one_hot > 0) {
      for (let k = 0; k < spec.one_hot; k++) { const col = new Float64Array(n); for (let i = 0; i < n; i++) col[i] = y[i] === k ? 1.0 : 0.0; cols.push(col); }
    } else cols.push(Float64Array.from(y));
    return cols;
  }

  dataVersion(X, y) {
    return { X, y, n: y.length, columns: Trainer.columns(this.spec, X, y) };
  }

  reset() {
    const spec = this.spec;
    this.data = this.dataVersion(Float64Array.from(spec.X), Float64Array.from(spec.y));
    this.settings = { lr: spec.lr, l2: spec.l2, batch_size: spec.batch_size };
    this.theta = Float64Array.from(spec.theta);
    this.opt = optimizerState(spec.optimizer, this.n);
    this.rng = new PCG64(this.rng0);
    this.order = null; this.pos = 0;
    this.t = 0;
    this.losses = [];
    this.snaps = new Map();
    this.error = null;
    this.snapshot();
  }

  snapshot() {
    this.snaps.set(this.t, {
      theta: Float64Array.from(this.theta), opt: copyState(this.opt), rng: this.rng.save(),
      order: this.order, pos: this.pos, data: this.data, settings: { ...this.settings },
    });
  }

  restore(t) {
    let s = t;
    while (!this.snaps.has(s)) s--;
    const snap = this.snaps.get(s);
    this.theta = Float64Array.from(snap.theta);
    this.opt = copyState(snap.opt);
    this.rng = new PCG64(snap.rng);
    this.order = snap.order; this.pos = snap.pos;
    this.data = snap.data; this.settings = { ...snap.settings };
    this.t = s;
    while (this.t < t) this.stepOnce(false);
  }

  // Everything after step t is dropped (a fork: train on, change data or a setting)
  fork() {
    if (this.t < this.losses.length) {
      this.losses.length = this.t;
      for (const k of [...this.snaps.keys()]) if (k > this.t) this.snaps.delete(k);
    }
    this.error = null;
  }

  batchSize() {
    const n = this.data.n, b = this.settings.batch_size;
    return b === null || b >= n ? n : b;
  }

  nextBatch() {
    const n = this.data.n, size = this.batchSize();
    if (this.pos === 0 || this.order === null || this.order.length !== n) {
      this.pos = 0;
      if (size < n) this.order = this.rng.permutation(n);
      else { this.order = new Int32Array(n); for (let i = 0; i < n; i++) this.order[i] = i; }
    }
    const idx = this.order.subarray(this.pos * size, Math.min(n, (this.pos + 1) * size));
    this.pos = (this.pos + 1) * size >= n ? 0 : this.pos + 1;
    return idx;
  }

  // one step; record: whether it extends the history (false while replaying to a goto)
  stepOnce(record = true) {
    const { engine, grad, settings } = this;
    const saved = { rng: this.rng.save(), order: this.order, pos: this.pos };
    const idx = this.nextBatch();
    let loss;
    try {
      loss = engine.lossAndGrad(this.theta, this.data.columns, idx, grad);
      const l2 = settings.l2;
      if (l2) {
        let sq = 0.0;
        for (let j = 0; j < this.n; j++) sq += this.theta[j] * this.theta[j];
        loss += sq * l2;
        for (let j = 0; j < this.n; j++) grad[j] += l2 * this.theta[j] + l2 * this.theta[j];
      }
      if (!Number.isFinite(loss)) throw new Error(`the loss is ${loss}`);
      check(grad, "the gradient of");
      const [theta, opt] = optimizerStep(this.spec.optimizer, settings.lr, this.opt, this.theta, grad);
      this.theta = theta; this.opt = opt;
    } catch (e) {
      this.rng = new PCG64(saved.rng); this.order = saved.order; this.pos = saved.pos;
      const why = e instanceof GuardFlip ? e.message : e.message.replace(/^the update of/, "the update makes");
      this.error = `training diverged at step ${this.t + 1}: ${why}; the model keeps its parameters from before this step (step ${this.t})`;
      throw new Error(this.error);
    }
    this.t += 1;
    if (record) {
      this.losses.push(loss);
      if (this.t % SNAPSHOT_EVERY === 0) this.snapshot();
    }
    return loss;
  }

  train(k) {
    if (!(Number.isInteger(k) && k >= 0)) throw new Error(`train(n): n must be a whole number >= 0, got ${k}`);
    if (this.error) throw new Error(this.error);
    this.fork();
    const out = [];
    for (let i = 0; i < k; i++) out.push(this.stepOnce(true));
    return out;
  }

  goto(t) {
    if (!(Number.isInteger(t) && t >= 0 && t <= this.losses.length)) {
      throw new Error(`goto(t): t must be a step from 0 to ${this.losses.length}, got ${t}`);
    }
    this.restore(t);
  }

  // a change of data or of a setting: a fork at the current step, remembered from here on
  change(fn) {
    this.fork();
    fn();
    this.snapshot();
  }

  setSetting(name, value) { this.change(() => { this.settings[name] = value; if (name === "batch_size") this.pos = 0; }); }

  setData(X, y) { this.change(() => { this.data = this.dataVersion(X, y); this.pos = 0; this.order = null; }); }

  stateDict() {
    const out = {};
    for (const [name, shape, idx] of this.spec.tensors) out[name] = nest(idx.map((j) => this.theta[j]), shape);
    return out;
  }
}

function nest(flat, shape) {
  if (shape.length === 0) return flat[0];
  if (shape.length === 1) return flat.slice();
  const size = flat.length / shape[0];
  return Array.from({ length: shape[0] }, (_, k) => nest(flat.slice(k * size, (k + 1) * size), shape.slice(1)));
}

export { PCG64, StepEngine, Trainer, GuardFlip, nest };
