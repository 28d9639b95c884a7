"""The HTML-like labels of ``draw_dot``'s nodes, and their sizes estimated before layout.

>>> from pathgrad.autograd import Value
>>> x = Value(2.0)
>>> op_text(x * 0.999), op_text(x + 10), op_text(x ** 2), op_text(1 / x), op_text(x.tanh())
('× 0.999', '+ 10', '^ 2', '1 ÷', 'tanh')
"""

from __future__ import annotations

from dataclasses import dataclass

from pathgrad.autograd import Value
from pathgrad.autograd.notation import notation_of

from ._neurons import NeuronBox
from .style import DIM, INK, Html, esc, number, short

__all__ = ["Look", "box_label", "copy_label", "op_text", "text_width", "value_label"]

FONTSIZE = 11.0
_REVERSED = {"rsub_c", "rdiv_c", "rpow_c"}  # the constant is the left operand: 10 − x, 2 ** x
_BOX_WEIGHTS = 3  # weights listed in a neuron's box; the rest are counted


def op_text(v: Value) -> str:
    """How an op reads in a picture: its rule row's symbol, with the constant where it has one."""
    symbol = notation_of(v.op).symbol if v.op else v.op
    c = v.constant
    if c is None:
        return symbol
    shown = f"{c:g}"
    return f"{shown} {symbol}" if v.op in _REVERSED else f"{symbol} {shown}"


def text_width(text: str, size: float = FONTSIZE) -> float:
    """Helvetica's (and its metric clones') width of ``text`` in points, near enough to plan
    a layout: digits are 0.556 em, most letters about that, narrow ones less."""
    narrow = sum(ch in "ijl.,:;!|()[]' 1ft-" for ch in text)
    return size * (0.57 * (len(text) - narrow) + 0.3 * narrow)


@dataclass
class Look:
    """How one drawn thing is dressed: its path colour, dimmed, framed as ``wrt``, a factor."""

    color: str | None = None
    dim: bool = False
    framed: bool = False
    factor: str | None = None  # the colour of a path whose rate factor this value supplies

    def ink(self) -> str:
        return DIM if self.dim and not self.factor else INK


def _cells(cells: list[str], look: Look, fill: str | None) -> tuple[str, float]:
    bg = f' BGCOLOR="{fill}"' if fill else ""
    font = f'<FONT COLOR="{look.ink()}">'
    row = "".join(f"<TD{bg}>{font}{c}</FONT></TD>" for c in cells)
    return row, sum(text_width(_plain(c)) + 8 for c in cells)


def _plain(html_text: str) -> str:
    import re

    return re.sub(r"<[^>]+>", "", html_text).replace("&lt;", "<").replace("&gt;", ">")


def _frame(look: Look) -> tuple[str, str, str]:
    """Table BORDER, CELLBORDER width and COLOR for a look."""
    if look.framed:
        return "3", "1", look.color or INK
    if look.color:
        return "0", "2", look.color
    if look.factor:
        return "2", "1", look.factor
    return "0", "1", look.ink()


def value_label(v: Value, digits: int, look: Look, op: bool = False, stacked: bool = False
                ) -> tuple[str, float, float]:
    """A value's label (micrograd's ``label | data | grad``) and its estimated width, height.

    ``op`` (``op_nodes=False``) opens the row with the op's symbol; ``stacked`` puts data
    over grad in two rows, about half as wide (for a rank too wide for the page)."""
    border, cellborder, color = _frame(look)
    style = ' STYLE="dashed"' if look.factor and not look.color else ""
    table = (f'<<TABLE BORDER="{border}" CELLBORDER="{cellborder}" CELLSPACING="0" '
             f'CELLPADDING="3" COLOR="{color}"{style}>')
    name = [f"<B>{esc(short(v.label))}</B>"] if v.label else []
    data, grad = f"data {number(v.data, digits)}", f"grad {number(v.grad, digits)}"
    fill = None if v.op else "#EAF2FA"
    sym = [esc(op_text(v))] if op and v.op else []
    if not stacked:
        row, width = _cells([*name, data, grad], look, fill)
        if sym:
            cell, w = _cells(sym, look, "#F6F6F6")
            row, width = cell + row, width + w
        return (Html(f"{table}<TR>{row}</TR></TABLE>>"), width + 2 * int(border),
                23.0 + 2 * int(border))
    font = f'<FONT COLOR="{look.ink()}">'
    bg = f' BGCOLOR="{fill}"' if fill else ""
    head = [(c, ' BGCOLOR="#F6F6F6"') for c in sym] + [(c, bg) for c in name]
    first = "".join(f'<TD ROWSPAN="2"{b}>{font}{c}</FONT></TD>' for c, b in head)
    width = sum(text_width(_plain(c)) + 8 for c, _ in head)
    width += max(text_width(data), text_width(grad)) + 20
    return (Html(f'{table}<TR>{first}<TD ALIGN="LEFT"{bg}>{font}{data}</FONT></TD></TR>'
                 f'<TR><TD ALIGN="LEFT"{bg}>{font}{grad}</FONT></TD></TR></TABLE>>'),
            width + 2 * int(border), 43.0 + 2 * int(border))


def copy_label(name: str, look: Look) -> tuple[str, float, float]:
    """A copy of a value drawn again near a far consumer: its name only, dashed."""
    name = short(name)
    text = esc(name)
    _border, _cellborder, color = _frame(look)
    return (Html(f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3" '
                 f'COLOR="{color}" STYLE="dashed"><TR><TD BGCOLOR="#F4F8FC">'
                 f'<FONT COLOR="{look.ink()}">{text}</FONT></TD></TR></TABLE>>'),
            text_width(name) + 10, 21.0)


def _row(cells: list[str], ink: str, port: str = "", span: int = 0) -> str:
    out = []
    for k, c in enumerate(cells):
        attrs = ""
        if port and k == 0:
            attrs += f' PORT="{port}_in"'
        if port and k == len(cells) - 1:
            attrs += f' PORT="{port}_out"'
        if span and k == len(cells) - 1:
            attrs += f' COLSPAN="{span}" ALIGN="LEFT"'
        out.append(f'<TD{attrs}><FONT COLOR="{ink}">{c}</FONT></TD>')
    return f"<TR>{''.join(out)}</TR>"


def _triple(name: str, v: Value, digits: int) -> list[str]:
    return [esc(short(name)), f"data {number(v.data, digits)}", f"grad {number(v.grad, digits)}"]


def box_label(box: NeuronBox, digits: int, look: Look, looks: dict[Value, Look],
              listed: int = _BOX_WEIGHTS) -> tuple[str, float, float]:
    """A neuron's box: title, z and a rows, its weights (lit ones first) and bias, each with
    data and grad (``listed`` of them, more when lit); ``looks`` frames or lights single rows
    (``wrt``, factors)."""
    ink = look.ink()
    z, a = box.z, box.activation
    weights = box.weights
    what = f"{len(weights)} w + b" if box.bias is not None else f"{len(weights)} w"
    act = op_text(a) if a is not None else "linear"
    head = f'<B>{esc(box.title)}</B>  {esc(act)}, {what}'
    rows = [f'<TR><TD COLSPAN="3" BGCOLOR="#EFEFEF"><FONT COLOR="{ink}">{head}</FONT></TD></TR>']
    rows.append(_row(_triple(z.label or "z", z, digits), ink, "z"))
    if a is not None:
        rows.append(_row(_triple(a.label or f"{act}(z)", a, digits), ink, "a"))
    lit = [w for w in weights if w in looks]
    shown = (lit + [w for w in weights if w not in lit])[: max(listed, len(lit))]
    for w in sorted(shown, key=weights.index):
        rows.append(_lit_row(_triple(w.label or "w", w, digits), looks.get(w), ink))
    rest = [w for w in weights if w not in shown]
    if rest:
        top = max(rest, key=lambda w: abs(w.grad))
        # short, so that it does not widen the box (the largest is named in the tooltip)
        rows.append(f'<TR><TD><FONT COLOR="{ink}">{"…" if shown else "w"}</FONT></TD>'
                    f'<TD COLSPAN="2" ALIGN="LEFT"><FONT COLOR="{ink}">{len(rest)} '
                    f"{'more ' if shown else ''}w, |grad| ≤ {number(abs(top.grad), 3)}"
                    "</FONT></TD></TR>")
    if box.bias is not None:
        rows.append(_lit_row(_triple(box.bias.label or "b", box.bias, digits),
                             looks.get(box.bias), ink))
    border = "2" if look.color else "1"
    color = look.color or ink
    width = text_width(box.title + act + what) + 30
    width = max(width, 3 * text_width("data -0.0000") + 30)
    # rows 2 pt tighter than a value box's: a layer of 16 boxes stays within 3 : 1
    return (Html(f'<<TABLE BORDER="{border}" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2" '
                 f'COLOR="{color}">{"".join(rows)}</TABLE>>'), width, 19.0 * len(rows) + 4)


def _lit_row(cells: list[str], look: Look | None, ink: str) -> str:
    if look is None:
        return _row(cells, ink)
    color = look.color or look.factor or ink
    style = ' STYLE="dashed"' if look.factor and not look.color else ""
    width = "3" if look.framed else "2"
    return "<TR>" + "".join(
        f'<TD BORDER="{width}" COLOR="{color}"{style}><FONT COLOR="{INK}">'
        f"{'<B>' + c + '</B>' if look.framed else c}</FONT></TD>" for c in cells) + "</TR>"
