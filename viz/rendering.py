"""Rendering: DOT source to SVG, PNG or PDF with the Graphviz engine bundled in pygraphviz.

The pygraphviz wheel (manylinux, macOS, Windows) carries the Graphviz libraries with the
``dot`` layout and the cairo renderer, so pictures work on a machine with no ``dot`` program.
Only when pygraphviz cannot be imported does rendering fall back to a system ``dot`` through
the ``graphviz`` package; when neither is there the error says what to install.

>>> g = Digraph()
>>> g.edge("x", "y")
>>> svg = to_svg(g)
>>> svg.lstrip().startswith("<?xml") and "</svg>" in svg
True
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path
from typing import Any

import graphviz

from pathgrad.autograd._files import write_atomic

from ._quiet import quiet_fontconfig
from .style import TOOLTIP_CHARS, Html, visible

__all__ = ["FORMATS", "Digraph", "dot_quote", "pipe", "render", "to_svg", "use_bundled_graphviz"]

FORMATS: dict[str, str] = {"svg": "svg", "png": "png", "pdf": "pdf", "dot": "dot", "gv": "dot"}
"""File extensions ``render`` accepts, and the format each one is drawn in."""

_INSTALL_HINT = (
    "rendering needs either pygraphviz (`pip install pygraphviz`: its wheels bundle the Graphviz "
    "engine, no system package needed) or a system Graphviz `dot` on PATH "
    "(`apt-get install graphviz`, `brew install graphviz`)"
)


def _source_of(obj: Any) -> str:
    """The DOT source of a graph object, or a clear TypeError / ValueError."""
    if isinstance(obj, str):
        head = obj.lstrip().split(None, 1)[:1]
        if head and head[0].lower() in ("digraph", "graph", "strict"):
            return obj
        raise ValueError(
            f"render got a str that is not DOT source (it starts with {obj.lstrip()[:20]!r}); "
            "pass a graph from draw_dot/draw_paths/draw_network or 'digraph { ... }' text"
        )
    source = getattr(obj, "source", None)
    if isinstance(source, str) and isinstance(obj, (graphviz.Digraph, graphviz.Graph,
                                                    graphviz.Source)):
        return source
    kind = type(obj).__name__
    hint = "; did you mean render(draw_dot(value), path)?" if kind == "Value" else ""
    raise TypeError(
        f"expected a graph (a graphviz.Digraph from draw_dot, draw_paths or draw_network, "
        f"or DOT source text), got {kind}{hint}"
    )


def _bundled_pipe(source: str, fmt: str) -> bytes:
    import pygraphviz

    graph = pygraphviz.AGraph(string=source)
    # pygraphviz prints a "layout may take a long time" note to sys.stderr above 1,000 nodes;
    # the caller asked for the picture, so keep the note out of their output.
    with contextlib.redirect_stderr(io.StringIO()), quiet_fontconfig():
        out = graph.draw(path=None, format=fmt, prog="dot")
    return bytes(out)


def _system_pipe(source: str, fmt: str) -> bytes:
    try:
        return bytes(graphviz.Source(source).pipe(format=fmt))
    except graphviz.ExecutableNotFound as error:
        raise RuntimeError(f"cannot render: pygraphviz is not importable and {error}; "
                           f"{_INSTALL_HINT}") from None


def pipe(obj: Any, fmt: str = "svg") -> bytes:
    """The rendered bytes of a graph (or DOT source) in ``fmt``: 'svg', 'png', 'pdf' or 'dot'.

    >>> pipe("digraph { a -> b }", "png")[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    source = _source_of(obj)
    if fmt not in FORMATS.values():
        allowed = ", ".join(sorted(set(FORMATS.values())))
        raise ValueError(f"unknown format {fmt!r}: use one of {allowed}")
    if fmt == "dot":
        return source.encode("utf-8")
    try:
        import pygraphviz  # noqa: F401
    except ImportError:
        return _system_pipe(source, fmt)
    return _bundled_pipe(source, fmt)


def to_svg(obj: Any) -> str:
    """The SVG text of a graph, laid out by the bundled ``dot``."""
    return pipe(obj, "svg").decode("utf-8")


def render(obj: Any, path: str | os.PathLike[str]) -> Path:
    """Write a graph to ``path`` as SVG, PNG, PDF or DOT, chosen by the file's extension.

    Works with no ``dot`` on PATH (the engine comes with pygraphviz). The file is written
    atomically: a failed render leaves an existing file as it was. Returns the path written.

    >>> import tempfile, os
    >>> from pathgrad.autograd import Value
    >>> from pathgrad.viz import draw_dot
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = render(draw_dot(Value(2.0, label="x") * 3), os.path.join(d, "g.png"))
    ...     out.read_bytes()[:4]
    b'\\x89PNG'
    >>> render(draw_dot(Value(1.0)), "graph.jpg")
    Traceback (most recent call last):
    ...
    ValueError: unknown extension '.jpg' in 'graph.jpg': use one of .dot, .gv, .pdf, .png, .svg
    """
    target = Path(path)
    ext = target.suffix.lower().lstrip(".")
    if ext not in FORMATS:
        allowed = ", ".join(f".{e}" for e in sorted(FORMATS))
        shown = target.suffix or "(none)"
        raise ValueError(f"unknown extension {shown!r} in {str(path)!r}: use one of {allowed}")
    directory = target.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: no directory {str(directory)!r}")
    _write(target, pipe(obj, FORMATS[ext]))
    return target


def _write(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically (``pathgrad.autograd._files.write_atomic``: only
    regular files replaced, symlinks followed, the umask's or the old file's mode kept)."""
    write_atomic(target, data, "render")


def _bundled_ok(engine: str, fmt: str | None, *extra: Any) -> bool:
    """Whether the bundled engine can do this job (dot, a plain format, no renderer)."""
    if engine != "dot" or fmt not in FORMATS.values() or fmt == "dot" or any(extra):
        return False
    try:
        import pygraphviz  # noqa: F401
    except ImportError:
        return False
    return True


def _bundled_render(engine: str, format: str | None = None,
                    filepath: str | os.PathLike[str] | None = None, renderer: str | None = None,
                    formatter: str | None = None, neato_no_op: Any = None, quiet: bool = False,
                    *, outfile: str | os.PathLike[str] | None = None, **kwargs: Any) -> str:
    """``graphviz.backend.render`` through the bundled engine: reads the saved DOT file,
    writes ``filepath.format`` (or ``outfile``) and returns its path, as graphviz does."""
    if filepath is None or not _bundled_ok(engine, format, renderer, formatter, neato_no_op):
        return str(graphviz.backend.render(engine, format, filepath, renderer, formatter,
                                           neato_no_op, quiet, outfile=outfile, **kwargs))
    assert format is not None
    source = Path(filepath).read_text(encoding="utf-8")
    target = Path(outfile) if outfile is not None else Path(f"{filepath}.{format}")
    _write(target, pipe(source, format))
    return str(target)


def _bundled_pipe_lines(engine: str, format: str, input_lines: Any, *, input_encoding: str,
                        renderer: str | None = None, formatter: str | None = None,
                        neato_no_op: Any = None, quiet: bool = False) -> bytes:
    lines = list(input_lines)
    if not _bundled_ok(engine, format, renderer, formatter, neato_no_op):
        return bytes(graphviz.backend.pipe_lines(
            engine, format, iter(lines), input_encoding=input_encoding, renderer=renderer,
            formatter=formatter, neato_no_op=neato_no_op, quiet=quiet))
    return pipe("".join(lines), format)


def _bundled_pipe_lines_string(engine: str, format: str, input_lines: Any, *, encoding: str,
                               **kwargs: Any) -> str:
    return _bundled_pipe_lines(engine, format, input_lines, input_encoding=encoding,
                               **kwargs).decode(encoding)


_ROUTED: list[bool] = []


def use_bundled_graphviz() -> None:
    """Route the ``graphviz`` package's rendering through the engine bundled in pygraphviz.

    After this one call, any ``graphviz.Digraph``/``Graph``/``Source`` — micrograd's lecture
    ``draw_dot`` builds one — renders (``.render``, ``.view``, ``.pipe``) and shows inline in
    Jupyter with no system ``dot`` on PATH. Only the ``dot`` engine with svg, png or pdf is
    routed; other engines, formats, renderers and formatters still call the system programs.
    Nothing is changed on import; calling it again does nothing more.

    >>> import graphviz
    >>> use_bundled_graphviz()  # doctest: +SKIP
    >>> g = graphviz.Digraph(); g.edge("a", "b")
    >>> g.pipe(format="svg")[:5]  # doctest: +SKIP
    b'<?xml'
    """
    if _ROUTED:
        return
    from graphviz.backend import mixins

    # graphviz reads its backend through these properties ("to simplify mocking", its source
    # says): one seam for render, view, pipe and the Jupyter display.
    mixins.Render._render = property(lambda _: _bundled_render)
    mixins.Pipe._pipe_lines = property(lambda _: _bundled_pipe_lines)
    mixins.Pipe._pipe_lines_string = property(lambda _: _bundled_pipe_lines_string)
    _ROUTED.append(True)


_DOT_ID = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?)")
_DOT_KEYWORDS = {"node", "edge", "graph", "digraph", "subgraph", "strict"}
_ESCAPED_TWICE = {"tooltip", "edgetooltip", "headtooltip", "labeltooltip", "tailtooltip",
                  "URL", "href", "edgeURL", "edgehref", "headURL", "headhref", "labelURL",
                  "labelhref", "tailURL", "tailhref"}
_DOT_STRING_BYTES = 16_000  # Graphviz's scanner refuses one string over 16,384 bytes


def dot_quote(value: Any, twice: bool = False) -> str:
    r"""``value`` as one DOT token that can only ever be read as text: a plain name, or a quoted
    string with backslashes doubled (no ``\N``, ``\G``, ``\l`` escapes), quotes escaped, a
    newline as ``\n``, ``&`` as ``&amp;`` and controls drawn visible. Only an ``Html`` label
    (built by pathgrad, its user text escaped) is written as DOT HTML ``<…>``; the ``graphviz``
    package writes any string of that form so, which let a label add attributes and links to a
    picture. A text
    longer than ``TOOLTIP_CHARS`` is cut there and says its length (Graphviz's 16 KiB limit).
    ``twice``: Graphviz reads the escapes of a tooltip twice (``\\N`` in a tooltip gave the
    node's name), so there a backslash is written four times.

    >>> print(dot_quote('<b>, URL="javascript:x"'), dot_quote("C:\\"), dot_quote("v3"))
    "<b>, URL=\"javascript:x\"" "C:\\" v3
    """
    if isinstance(value, Html):
        size = len(value.encode("utf-8"))
        if not (value.startswith("<") and value.endswith(">")) or size > _DOT_STRING_BYTES:
            raise ValueError(f"a drawn label of {size:,} bytes is over Graphviz's limit of "
                             "16,384 bytes for one string (or not a whole HTML label)")
        return str(value)
    text = str(value)
    if (len(text) <= TOOLTIP_CHARS and _DOT_ID.fullmatch(text)
            and text.lower() not in _DOT_KEYWORDS):
        return text
    text = visible(text, "text")
    if len(text) > TOOLTIP_CHARS:
        text = f"{text[:TOOLTIP_CHARS]}… ({len(text):,} characters in all)"
    backslash = "\\\\\\\\" if twice else "\\\\"
    text = text.replace("\\", backslash).replace('"', '\\"').replace("\n", "\\n")
    text = text.replace("&", "&amp;")  # Graphviz reads entities in any text: &lt; gave <
    return f'"{text}"'


def _quote_edge(identifier: str) -> str:
    node, _, rest = identifier.partition(":")
    parts = [dot_quote(node)]
    if rest:
        port, _, compass = rest.partition(":")
        parts.append(dot_quote(port))
        if compass:
            parts.append(dot_quote(compass))
    return ":".join(parts)


def _a_list(label: Any = None, kwargs: Any = None, attributes: Any = None) -> str:
    items = [("label", label)] if label is not None else []
    for more in (kwargs, attributes):
        if more:
            items += list(more.items() if hasattr(more, "items") else more)
    return " ".join(f"{dot_quote(k)}={dot_quote(v, k in _ESCAPED_TWICE)}"
                    for k, v in items if v is not None)


def _attr_list(label: Any = None, kwargs: Any = None, attributes: Any = None) -> str:
    content = _a_list(label, kwargs=kwargs, attributes=attributes)
    return f" [{content}]" if content else ""


class Digraph(graphviz.Digraph):
    r"""A ``graphviz.Digraph`` that draws itself with the bundled engine, and writes every
    attribute as text (``dot_quote``) but the HTML labels pathgrad builds (``style.Html``).

    Everything of graphviz's API is there (``.source``, ``.node``, ``.edge``, ``.attr``,
    ``.subgraph``); ``pipe``, ``render``, ``view`` and the Jupyter display (``_repr_svg_``,
    ``_repr_mimebundle_``) go through pygraphviz, so they work with no system ``dot``.

    >>> g = Digraph()
    >>> g.node("a", tooltip='<x>, URL="javascript:alert(1)"')
    >>> print(g.body[0].strip())
    a [tooltip="<x>, URL=\"javascript:alert(1)\""]
    """

    _quote = staticmethod(dot_quote)
    _quote_edge = staticmethod(_quote_edge)
    _a_list = staticmethod(_a_list)
    _attr_list = staticmethod(_attr_list)

    @property
    def _render(self) -> Any:
        return _bundled_render

    def pipe(
        self,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: str | None = None,
    ) -> bytes | str:
        """The rendered graph, like ``graphviz.Digraph.pipe``, laid out by the bundled ``dot``."""
        fmt = format or self.format
        custom = renderer or formatter or neato_no_op or (engine not in (None, "dot"))
        if custom or fmt not in FORMATS.values():
            return super().pipe(format, renderer, formatter, neato_no_op, quiet,
                                engine=engine, encoding=encoding)
        data = pipe(self.source, fmt)
        return data.decode(encoding) if encoding is not None else data

    def _repr_svg_(self) -> str:
        return to_svg(self.source)

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **_: Any
    ) -> dict[str, bytes | str]:
        wanted = set(include) if include is not None else {"image/svg+xml"}
        wanted -= set(exclude or [])
        bundle: dict[str, bytes | str] = {}
        if "image/svg+xml" in wanted:
            bundle["image/svg+xml"] = self._repr_svg_()
        if "image/png" in wanted:
            bundle["image/png"] = pipe(self.source, "png")
        return bundle
