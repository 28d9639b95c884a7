"""log_count_paths against the exact integer count (math.log of a Python int is exact enough)."""

from __future__ import annotations

import math
import random

import pytest

from pathgrad.autograd import Value, count_paths, log_count_paths


def _random_dag(seed: int, n: int = 60) -> tuple[Value, list[Value]]:
    rng = random.Random(seed)
    nodes = [Value(rng.uniform(0.5, 1.5)) for _ in range(3)]
    for _ in range(n):
        a, b = rng.choice(nodes), rng.choice(nodes[-6:])
        nodes.append(a * b if rng.random() < 0.5 else a + b)
    return nodes[-1], nodes


@pytest.mark.parametrize("seed", range(20))
def test_log_count_matches_the_exact_count(seed: int) -> None:
    out, nodes = _random_dag(seed)
    for node in nodes[:10]:
        exact = count_paths(out, node)
        got = log_count_paths(out, node)
        if exact == 0:
            assert got == -math.inf
        else:
            assert math.isclose(got, math.log(exact), rel_tol=1e-12, abs_tol=1e-12)


def test_astronomical_counts_stay_finite_and_fast() -> None:
    x = y = Value(0.3)
    for _ in range(20_000):  # 2^20000 paths: the float count would overflow, the log does not
        y = y.sin() + y.cos()
    assert math.isclose(log_count_paths(y, x), 20_000 * math.log(2.0), rel_tol=1e-12)
    assert log_count_paths(x, x) == 0.0


def test_bad_input_is_named() -> None:
    with pytest.raises(TypeError, match="log_count_paths"):
        log_count_paths(3.0, Value(1.0))  # type: ignore[arg-type]
