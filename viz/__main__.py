"""``python -m pathgrad.viz``: the ``pathgrad`` command (see ``pathgrad.viz.cli``)."""

from .cli import console

if __name__ == "__main__":
    console()
