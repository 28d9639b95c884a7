"""Replay on JAX or PyTorch: the tape's plan through another array library, the same rows.

``ArrayReplay(tape, "jax" | "torch", device)`` evaluates the plan of ``tape`` with
the rule table's math namespace built over ``jax.numpy`` or PyTorch (``numpy_math.array_math``):
forward per group (a layer of ``wsum`` nodes is one matrix product, other groups one rule call on
``(k, batch)`` stacks), then the reverse sweep with each row's rate factors, exactly as the
numpy replay does, so no op is written twice. The batch-independent prologue and epilogue stay
in numpy (``replay_scalar``); inputs and outputs are numpy arrays.

* JAX: the sweep is traced once per batch size under ``jax.jit`` with 64-bit floats
  (``jax.enable_x64``, for this replay only). With more than one device (``device=`` a list, or
  all of ``jax.devices()``), the batch is split over them with ``jax.sharding`` (a ``Mesh`` of one
  ``"batch"`` axis; padded to a multiple of the device count with examples whose adjoint
  seed is 0) and XLA adds up the gradients across devices.
* PyTorch: float64 tensors on ``device`` (default CPU), run op by op (no graph of its own:
  ``torch.no_grad``).

Without the library, ``require`` raises an ImportError naming the extra to install.
"""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..rules import ROWS
from .numpy_math import array_math
from .tape import Group, GuardFlip, Tape, plan

__all__ = ["ArrayReplay", "require"]

_EXTRA = {"jax": "jax", "torch": "torch"}


def require(backend: str) -> Any:
    """The module of ``backend`` (``jax`` or ``torch``), or an ImportError naming the extra."""
    try:
        return importlib.import_module(_EXTRA[backend])
    except ImportError as error:
        raise ImportError(
            f"compile(backend={backend!r}) needs {backend}: pip install 'pathgrad[{backend}]'"
        ) from error


class _TorchAsNumpy:
    """PyTorch under numpy's names, as ``array_math`` expects them: the few whose signature
    differs here, every other function (``exp``, ``log``, a new op's ``atan``) is torch's."""

    def __init__(self, torch: Any, device: Any) -> None:
        self._torch, self._device = torch, device
        self.__name__ = "torch"

    def where(self, c: Any, a: Any, b: Any) -> Any:
        return self._torch.where(self._torch.as_tensor(c, device=self._device), a, b)

    def maximum(self, x: Any, c: Any) -> Any:
        return self._torch.clamp_min(x, c)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._torch, name)


class _Sweep:
    """Forward and reverse sweep of the plan on arrays of library ``xp`` with namespace ``m``.

    ``ops`` holds what differs between libraries: ``stack``, ``take`` (gather scalars),
    ``scatter_sum`` (adjoints of scalars: indices, values, length).
    """

    def __init__(self, tape: Tape, m: Any, ops: SimpleNamespace) -> None:
        self.t, self.m, self.ops = tape, m, ops
        self.levels = plan(tape)
        self.inputs = [(i, tape.input_of[i]) for i in range(tape.n) if tape.input_of[i] >= 0]

    def __call__(self, S: Any, X: Any, seed: Any) -> tuple[Any, Any, list[Any]]:
        t, ops = self.t, self.ops
        val: dict[int, Any] = {i: X[k] for i, k in self.inputs}
        self._like = X[0]  # a batch row: scalars read as rows broadcast to its shape
        for level in self.levels:
            for group in level:
                self._forward(group, S, val)
        out = val[t.root]
        flips = [self._flips(g, S, val) for g in t.guards]
        adj: dict[int, Any] = {t.root: seed}
        gs_idx: list[np.ndarray] = []
        gs_val: list[Any] = []
        for level in reversed(self.levels):
            for group in level:
                self._backward(group, S, val, adj, gs_idx, gs_val)
        return out, ops.scatter_sum(gs_idx, gs_val, len(t.scalar_nodes)), flips

    def _flips(self, guard: tuple[str, Any, Any, bool], S: Any, val: dict[int, Any]) -> Any:
        """Where comparison ``guard`` has the other outcome than when traced (a batch row)."""
        op, a, b, outcome = guard
        x, y = (c if isinstance(c, float) else self._operand(S, val, [c]) for c in (a, b))
        result = {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]
        return self.ops.broadcast(result != outcome, self._like)

    def _operand(self, S: Any, val: dict[int, Any], ps: list[int]) -> Any:
        """The values of nodes ``ps`` as one operand: a scalar, a ``(k, 1)`` column of scalars,
        a batch row or a ``(k, batch)`` stack (scalars among rows broadcast to a row)."""
        t = self.t
        if all(t.scalar_of[p] >= 0 for p in ps):
            idx = np.asarray([t.scalar_of[p] for p in ps])
            return self.ops.take(S, idx)[:, None] if len(ps) > 1 else S[int(idx[0])]
        rows = [val[p] if t.scalar_of[p] < 0 else self.ops.broadcast(S[t.scalar_of[p]],
                                                                      self._like)
                for p in ps]
        return rows[0] if len(ps) == 1 else self.ops.stack(rows)

    def _args(self, group: Group, S: Any, val: dict[int, Any]) -> list[Any]:
        t, members = self.t, group.members
        args = [self._operand(S, val, [t.parents[i][j] for i in members])
                for j in range(len(t.parents[members[0]]))]
        if t.consts[members[0]] is not None:
            cs = [float(t.consts[i]) for i in members]  # type: ignore[arg-type]
            args.append(cs[0] if len(cs) == 1 else self.ops.column(cs))
        return args

    def _matmul_parts(self, group: Group, S: Any, val: dict[int, Any]) -> tuple[Any, ...]:
        t, members = self.t, group.members
        ps0 = t.parents[members[0]]
        n = (len(ps0) - 1) // 2
        w_idx = np.asarray([[t.scalar_of[p] for p in t.parents[i][:n]] for i in members])
        b_idx = np.asarray([t.scalar_of[t.parents[i][-1]] for i in members])
        a_nodes = list(ps0[n : 2 * n])
        A = self.ops.stack([self._operand(S, val, [p]) for p in a_nodes]) if any(
            t.scalar_of[p] < 0 for p in a_nodes) else self.ops.stack(
            [self.ops.broadcast(S[t.scalar_of[p]], self._like) for p in a_nodes])
        return w_idx, b_idx, self.ops.take(S, w_idx), A, a_nodes

    def _forward(self, group: Group, S: Any, val: dict[int, Any]) -> None:
        t, members = self.t, group.members
        if group.kind == "matmul":
            _, b_idx, W, A, _ = self._matmul_parts(group, S, val)
            out = W @ A + self.ops.take(S, b_idx)[:, None]
        else:
            out = ROWS[t.ops[members[0]]].forward(self.m, *self._args(group, S, val))
        if len(members) == 1:
            val[members[0]] = out[0] if group.kind == "matmul" else out
        else:
            for j, i in enumerate(members):
                val[i] = out[j]

    def _backward(self, group: Group, S: Any, val: dict[int, Any], adj: dict[int, Any],
                  gs_idx: list[np.ndarray], gs_val: list[Any]) -> None:
        t, members = self.t, group.members
        if not any(t.needs_grad[i] for i in members) or not any(i in adj for i in members):
            return
        rows = [adj[i] if i in adj else self.ops.zeros_like(self._like) for i in members]
        d = rows[0] if len(rows) == 1 and group.kind != "matmul" else self.ops.stack(rows)
        if group.kind == "matmul":
            w_idx, b_idx, W, A, a_nodes = self._matmul_parts(group, S, val)
            gs_idx += [w_idx.ravel(), b_idx]
            gs_val += [(d @ A.T).reshape(-1), d.sum(1)]
            self._into(a_nodes, W.T @ d, adj, gs_idx, gs_val)
            return
        rule = ROWS[t.ops[members[0]]]
        out = val[members[0]] if len(members) == 1 else self.ops.stack([val[i] for i in members])
        rates = rule.partials(self.m, out, *self._args(group, S, val))
        for j, rate in enumerate(rates):
            ps = [t.parents[i][j] for i in members]
            if any(t.needs_grad[p] for p in ps):
                self._into(ps, d * rate, adj, gs_idx, gs_val)

    def _into(self, ps: list[int], contribution: Any, adj: dict[int, Any],
              gs_idx: list[np.ndarray], gs_val: list[Any]) -> None:
        t = self.t
        single = len(ps) == 1 and getattr(contribution, "ndim", 0) <= 1
        for j, p in enumerate(ps):
            if not t.needs_grad[p]:
                continue
            c = contribution if single else contribution[j]
            if t.scalar_of[p] >= 0:
                gs_idx.append(np.asarray([t.scalar_of[p]]))
                gs_val.append(c.sum()[None])
            else:
                adj[p] = adj[p] + c if p in adj else c


def _check(flips: list[np.ndarray]) -> None:
    for j, f in enumerate(flips):
        if f.any():
            raise GuardFlip(j, int(np.argmax(f)))


class ArrayReplay:
    """The batch-dependent part of a tape on JAX (jitted, sharded) or PyTorch tensors."""

    def __init__(self, tape: Tape, backend: str, device: Any = None) -> None:
        self.tape, self.backend = tape, backend
        self.lib = require(backend)
        self._jitted: dict[int, Any] = {}
        if backend == "jax":
            self._init_jax(device)
        else:
            self._init_torch(device)

    # ---- JAX ---------------------------------------------------------------------------------
    def _init_jax(self, device: Any) -> None:
        jax = self.lib
        import jax.numpy as jnp

        devices = list(device) if isinstance(device, (list, tuple)) else (
            [device] if device is not None else jax.devices())
        self.devices = devices
        ops = SimpleNamespace(
            stack=jnp.stack, take=lambda S, idx: S[idx], zeros_like=jnp.zeros_like,
            broadcast=lambda s, like: jnp.broadcast_to(s, like.shape),
            column=lambda cs: jnp.asarray(cs)[:, None],
            scatter_sum=lambda idx, vals, n: (
                jnp.zeros(n).at[np.concatenate(idx)].add(jnp.concatenate(vals)) if idx
                else jnp.zeros(n)),
        )
        self._sweep = _Sweep(self.tape, array_math(jnp), ops)
        self._fn = jax.jit(self._sweep)
        from jax.sharding import Mesh, NamedSharding, PartitionSpec

        mesh = Mesh(np.asarray(devices), ("batch",))
        self._batch = NamedSharding(mesh, PartitionSpec(None, "batch"))
        self._seed = NamedSharding(mesh, PartitionSpec("batch"))
        self._replicated = NamedSharding(mesh, PartitionSpec())

    def _run_jax(self, X: np.ndarray, S: np.ndarray, with_grad: bool) -> tuple[Any, Any]:
        jax = self.lib
        batch = X.shape[1]
        n_dev = len(self.devices)
        pad = -batch % n_dev
        seed = np.ones(batch + pad)
        if pad:
            X = np.concatenate([X, np.repeat(X[:, :1], pad, axis=1)], axis=1)
            seed[batch:] = 0.0
        with jax.enable_x64(True):
            out, gs, flips = self._fn(jax.device_put(S, self._replicated),
                                      jax.device_put(X, self._batch),
                                      jax.device_put(seed, self._seed))
            _check([np.asarray(f)[:batch] for f in flips])
            return np.asarray(out)[:batch], np.asarray(gs) if with_grad else None

    # ---- PyTorch -----------------------------------------------------------------------------
    def _init_torch(self, device: Any) -> None:
        torch = self.lib
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        dev = self.device

        def scatter_sum(idx: list[np.ndarray], vals: list[Any], n: int) -> Any:
            out = torch.zeros(n, dtype=torch.float64, device=dev)
            if idx:
                where = torch.as_tensor(np.concatenate(idx), device=dev)
                out.index_add_(0, where, torch.cat([v.reshape(-1) for v in vals]))
            return out

        ops = SimpleNamespace(
            stack=torch.stack, zeros_like=torch.zeros_like,
            broadcast=lambda s, like: s.expand_as(like),
            take=lambda S, idx: S[torch.as_tensor(idx, device=dev)],
            column=lambda cs: torch.tensor(cs, dtype=torch.float64, device=dev)[:, None],
            scatter_sum=scatter_sum,
        )
        self._sweep = _Sweep(self.tape, array_math(_TorchAsNumpy(torch, dev)), ops)

    def _run_torch(self, X: np.ndarray, S: np.ndarray, with_grad: bool) -> tuple[Any, Any]:
        torch = self.lib
        dev = self.device
        with torch.no_grad():
            seed = torch.ones(X.shape[1], dtype=torch.float64, device=dev)
            out, gs, flips = self._sweep(torch.as_tensor(S, device=dev),
                                         torch.as_tensor(X, device=dev), seed)
            _check([f.cpu().numpy() for f in flips])
            return out.cpu().numpy(), gs.cpu().numpy() if with_grad else None

    def run(
        self, xs: list[np.ndarray], S: np.ndarray, with_grad: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Per-example outputs and Σ over the batch of ∂output/∂scalar, as numpy arrays."""
        X = np.stack(xs)
        if self.backend == "jax":
            return self._run_jax(X, S, with_grad)
        return self._run_torch(X, S, with_grad)
