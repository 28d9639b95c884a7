"""Side-by-side benchmarks against the anchors (micrograd, PyTorch, the book's loop), as ratios.

``make bench`` runs them all (``python -m benchmarks``); each also runs alone, e.g.
``python -m benchmarks.engine``; ``--quick`` uses tiny sizes (a smoke test, not a measurement).

Thread counts are pinned here, before numpy, PyTorch or JAX start their pools: one thread for
BLAS, OpenMP and XLA's CPU client unless the environment says otherwise. Rows that use two
threads set them themselves and say so (the machine has 2 cores shared with other work; a busy
pool of threads made a 0.3 ms step take 40–80 ms).
"""

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)
