"""Runnable walk-throughs of the source texts: ``python -m pathgrad.demos`` runs them all.

Each demo is a module with ``main(fast=False, out_dir="out") -> dict``: it prints the numbers,
writes its pictures into ``out_dir`` and returns what it printed (with ``"pictures"``, the
paths it wrote). Each also runs alone: ``python -m pathgrad.demos.chain``.

>>> [name for name, _ in DEMOS][:3]
['chain', 'four_equations', 'sum_over_paths']
"""

__all__ = ["DEMOS", "NEEDS", "missing_requirement"]

DEMOS: list[tuple[str, str]] = [
    ("chain", "3Blue1Brown's chain: one neuron per layer, the chain rule factor by factor"),
    ("four_equations", "BP1–BP4 in numpy beside the scalar engine"),
    ("sum_over_paths", "∂C/∂w as the sum over paths of products of rate factors (eq. 53)"),
    ("learning_slowly", "saturated outputs and low-activation inputs learn slowly"),
    ("why_fast", "finite differences vs forward mode vs one backward pass, measured"),
    ("tiny_network", "micrograd's MLP(2, [16, 16, 1]) trained on two moons"),
    ("digits", "Nielsen's network.py on scikit-learn's 8×8 digits"),
]
"""(module name, what it shows), in the order ``python -m pathgrad.demos`` runs them."""

NEEDS: dict[str, tuple[str, str]] = {
    "digits": ("sklearn", "pip install 'pathgrad[digits]' (scikit-learn ships the digits)"),
}
"""Demos that need an optional package: name -> (import name, how to get it)."""


def missing_requirement(name: str) -> str | None:
    """How to get what demo ``name`` needs, or None when it can run here.

    >>> missing_requirement("chain") is None
    True
    """
    import importlib

    need = NEEDS.get(name)
    if need is None:
        return None
    try:
        importlib.import_module(need[0])
    except ImportError:
        return need[1]
    return None
