"""Side-by-side benchmarks against the anchors (micrograd, PyTorch, the book's loop), as ratios.

``make bench`` runs them all (``python -m benchmarks``); each also runs alone, e.g.
``python -m benchmarks.engine``; ``--quick`` uses tiny sizes (a smoke test, not a measurement).
"""
