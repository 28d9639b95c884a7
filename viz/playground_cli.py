"""``pathgrad playground``: the training page for a built-in data set, from the command line.

The defaults are micrograd's demo: 100 moons (noise 0.1, seed 1337), ``MLP(2, [16, 16, 1])``,
the hinge loss, L2 1e-4, SGD. The parser's arguments and the command live here; ``viz.cli``
adds the subcommand.

>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_arguments(parser)
>>> args = parser.parse_args(["circles", "-o", "c.html", "--hidden", "8,8"])
>>> args.dataset, args.hidden, args.loss
('circles', [8, 8], 'max_margin')
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["DATASETS", "EXAMPLES", "USAGE", "add_arguments", "run"]

DATASETS = ("moons", "circles", "xor", "spirals", "blobs")
"""The data sets of ``nn.data`` the command offers (all 2-D)."""

USAGE = ("[DATASET] -o FILE [--n N] [--noise X] [--seed S] [--hidden 16,16] [--loss L] "
         "[--l2 X] [--optimizer sgd|adam] [--lr X] [--momentum X] [--batch-size N] [--classes K]")

EXAMPLES = """\
examples:
  $ pathgrad playground -o demo.html      # micrograd's demo: 100 moons, MLP(2,[16,16,1])
  wrote demo.html
  $ pathgrad playground spirals --classes 3 --loss cross_entropy --optimizer adam -o s.html

One self-contained page (no server, no network) that trains the model: Play, Step, the decision
boundary, every hidden neuron, any point's graph with its paths, and a slider over every step.
window.pathgrad.train(n), .parameters(), .history(), .goto(t), .state_dict() script it."""

_LOSSES = ("max_margin", "hinge", "squared_error", "binary_cross_entropy", "bce",
           "cross_entropy", "softmax_cross_entropy")


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected layer sizes like 16,16, got {text!r}") from None
    if any(s < 1 or s > 256 for s in sizes):
        raise argparse.ArgumentTypeError(f"each hidden layer needs 1 to 256 neurons, got {text!r}")
    return sizes


def _number(text: str) -> float:
    import math

    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(x) or x < 0:
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return x


def _count(text: str) -> int:
    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if k < 1 or k > 20_000:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 20000, got {k}")
    return k


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's arguments."""
    parser.add_argument("dataset", nargs="?", default="moons", choices=DATASETS,
                        help="the data (default moons)")
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the page (.html)")
    parser.add_argument("--n", type=_count, default=100, metavar="N", help="examples (100)")
    parser.add_argument("--noise", type=_number, default=0.1, metavar="X", help="noise (0.1)")
    parser.add_argument("--seed", type=int, default=1337, metavar="S",
                        help="seed of the data, the weights and the batches (1337)")
    parser.add_argument("--hidden", type=_sizes, default=[16, 16], metavar="SIZES",
                        help="hidden layer sizes, relu (16,16)")
    parser.add_argument("--loss", choices=_LOSSES, default="max_margin",
                        help="max_margin (labels ±1, one output), squared_error, "
                        "binary_cross_entropy (labels 0/1), cross_entropy (one output a class)")
    parser.add_argument("--l2", type=_number, default=1e-4, metavar="X", help="L2 (1e-4)")
    parser.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd")
    parser.add_argument("--lr", type=_number, default=None, metavar="X",
                        help="learning rate (SGD 0.1, Adam 0.01)")
    parser.add_argument("--momentum", type=_number, default=0.0, metavar="X",
                        help="SGD's momentum (0)")
    parser.add_argument("--batch-size", type=_count, default=None, metavar="N",
                        help="examples per step (default: all)")
    parser.add_argument("--classes", type=_count, default=None, metavar="K",
                        help="classes of spirals and blobs (2)")


def _data(args: argparse.Namespace, signed: bool) -> tuple[Any, Any]:
    from pathgrad.nn import data

    k = args.classes or 2
    if k != 2 and signed:
        raise ValueError(f"--loss {args.loss} takes two classes; {k} classes need "
                         "--loss cross_entropy")
    if args.classes and args.dataset not in ("spirals", "blobs"):
        raise ValueError(f"--classes is for spirals and blobs, not {args.dataset}")
    n, noise, seed = args.n, args.noise, args.seed
    if args.dataset == "moons":
        return data.moons(n, noise=noise, seed=seed, signed=signed)
    if args.dataset == "circles":
        return data.circles(n, noise=noise, factor=0.5, seed=seed, signed=signed)
    if args.dataset == "xor":
        return data.xor(n, noise=noise, seed=seed, signed=signed)
    if args.dataset == "spirals":
        return data.spirals(n, n_classes=k, noise=noise, seed=seed, signed=signed)
    return data.blobs(n, centers=k, seed=seed, signed=signed)


def run(args: argparse.Namespace) -> str:
    """Build the page the arguments describe; returns the path written."""
    from pathgrad.nn import MLP

    from .playground import playground

    multi = args.loss in ("cross_entropy", "softmax_cross_entropy")
    signed = args.loss in ("max_margin", "hinge", "squared_error")
    X, y = _data(args, signed)
    outputs = (args.classes or 2) if multi else 1
    model = MLP(2, [*args.hidden, outputs], seed=args.seed)
    page = playground(model, X, y, args.output, loss=args.loss, l2=args.l2,
                      optimizer=args.optimizer, lr=args.lr, momentum=args.momentum,
                      batch_size=args.batch_size, seed=args.seed,
                      title=f"pathgrad playground: {args.dataset}, MLP(2, "
                      f"{[*args.hidden, outputs]}), {args.loss}")
    return str(page)
