"""The compiler: one example's graph recorded once, replayed over a batch.

A pipeline of stages, each a module, imports running one way (down this list):

* ``trace``: run ``fn`` once on placeholder Values, keep the graph and its guards (a ``Trace``);
* ``tape``: lower the trace to flat lists (pathgrad's jaxpr) and plan it by topological level;
  ``listing`` writes it out (``print(step.tape)``), one line per group;
* ``interpret``: the reference interpreter of a tape, the spec every replay is tested against;
* ``symbolic``, ``numpy_math``: the math namespaces the rows are written against when they
  write themselves as code (``symbolic``) or run on arrays (``numpy_math``);
* ``replay_numpy``, ``replay_python``, ``replay_scalar``, ``replay_array``: the back ends;
* ``compile``: ``compile(fn, params)`` and ``Compiled``, which drive the stages above;
  ``step.source`` keeps each back end's generated code.

``pathgrad.autograd.compile`` is the function; its module is ``pathgrad.autograd.compiler.compile``.

>>> from pathgrad.autograd import compile
>>> from pathgrad.autograd.compiler.compile import Compiled
>>> compile.__module__
'pathgrad.autograd.compiler.compile'
"""

__all__: list[str] = []
