"""render: real SVG, PNG and PDF files from the Graphviz engine bundled in pygraphviz, with no
`dot` program on PATH; clear errors for bad input; atomic writes; the Jupyter display."""

from __future__ import annotations

import os
import stat
import struct
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import pytest

from pathgrad.autograd import Value
from pathgrad.viz import Digraph, draw_dot, draw_network, draw_paths, render, to_svg
from pathgrad.viz.rendering import pipe

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def no_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return empty


def chain() -> tuple[Value, Value]:
    w, a_prev, b = Value(0.8, label="w"), Value(0.6, label="a_prev"), Value(-0.2, label="b")
    z = w * a_prev + b
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    C = (a - 1.0) ** 2
    C.label = "C"
    C.backward()
    return C, w


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_svg_without_dot_parses_and_holds_the_labels(no_dot: Path, tmp_path: Path) -> None:
    C, _ = chain()
    out = render(draw_dot(C), tmp_path / "chain.svg")
    root = ET.parse(out).getroot()
    assert root.tag == f"{SVG}svg"
    texts = {t.text for t in root.iter(f"{SVG}text")}
    for label in ("w", "a_prev", "b", "z", "a", "C", "σ", "^ 2", "data 0.8000"):
        assert label in texts, label
    ids = {g.get("id") for g in root.iter(f"{SVG}g")}
    assert {"e4_0", "e4_1"} <= ids  # edge ids survive into the SVG


def test_png_and_pdf_without_dot(no_dot: Path, tmp_path: Path) -> None:
    C, w = chain()
    g = draw_paths(C, w)
    width, height = png_size(render(g, tmp_path / "paths.png").read_bytes())
    # a 10-node chain with a legend, turned top-down: within 1000 pt (1333 px at 96 dpi)
    # and 3 : 1 either way
    assert 200 < width <= 1333 and max(width / height, height / width) <= 3
    pdf = render(g, tmp_path / "paths.PDF").read_bytes()
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-1024:]


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
@pytest.mark.parametrize("ext", ["png", "svg", "dot"])
def test_files_get_the_umasks_mode_like_matplotlibs(tmp_path: Path, mask: int, ext: str) -> None:
    import matplotlib.pyplot as plt

    old = os.umask(mask)
    try:
        path = render(draw_dot(chain()[0]), tmp_path / f"g.{ext}")
        fig = plt.figure()
        fig.savefig(tmp_path / "m.png")
        plt.close(fig)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE((tmp_path / "m.png").stat().st_mode)


def test_network_png_without_dot(no_dot: Path, tmp_path: Path) -> None:
    from pathgrad.nn.layers import MLP

    width, height = png_size(render(draw_network(MLP(2, [4, 4, 1], seed=0)),
                                    tmp_path / "net.png").read_bytes())
    assert 400 < width < 3000 and 300 < height < 3000


def test_dot_extension_writes_the_source(no_dot: Path, tmp_path: Path) -> None:
    g = draw_dot(chain()[0])
    assert render(g, tmp_path / "g.dot").read_text() == g.source
    assert render(g.source, str(tmp_path / "g.gv")).read_text() == g.source


def test_unknown_extension_names_it_and_the_allowed_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown extension '\.jpeg'.*\.dot, \.gv, \.pdf, "
                                         r"\.png, \.svg"):
        render(draw_dot(Value(1.0)), tmp_path / "g.jpeg")
    with pytest.raises(ValueError, match=r"unknown extension '\(none\)'"):
        render(draw_dot(Value(1.0)), tmp_path / "graph")
    assert list(tmp_path.iterdir()) == []


def test_objects_that_are_not_graphs_get_a_type_error(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"got Value; did you mean render\(draw_dot\(value\)"):
        render(Value(1.0), tmp_path / "g.svg")
    with pytest.raises(TypeError, match="got list"):
        render([1, 2], tmp_path / "g.svg")
    with pytest.raises(ValueError, match="not DOT source"):
        render("hello", tmp_path / "g.svg")


def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no directory .*nowhere"):
        render(draw_dot(Value(1.0)), tmp_path / "nowhere" / "g.svg")


def test_a_failed_render_leaves_the_old_file(no_dot: Path, tmp_path: Path) -> None:
    target = tmp_path / "g.svg"
    target.write_text("old")
    with pytest.raises(Exception):  # noqa: B017 - Graphviz's parser error type varies
        render("digraph { a -> }", target)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir() if p.name != "empty-bin"] == ["g.svg"]


def test_jupyter_display_without_dot(no_dot: Path) -> None:
    C, w = chain()
    g = draw_paths(C, w)
    assert isinstance(g, Digraph) and isinstance(g, graphviz.Digraph)
    ET.fromstring(g._repr_svg_())
    bundle = g._repr_mimebundle_(include=["image/svg+xml", "image/png"])
    ET.fromstring(bundle["image/svg+xml"])
    assert isinstance(bundle["image/png"], bytes) and bundle["image/png"][:4] == b"\x89PNG"
    assert g.pipe(format="pdf")[:5] == b"%PDF-"  # graphviz's own API, through the bundle
    assert g.pipe(format="svg", encoding="utf-8").lstrip().startswith("<?xml")
    # the plain graphviz.Digraph renders through viz too
    plain = graphviz.Digraph()
    plain.edge("a", "b")
    assert "<svg" in to_svg(plain) and pipe(plain, "png")[:4] == b"\x89PNG"


def test_without_pygraphviz_it_says_what_to_install(
    no_dot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pygraphviz", None)  # import now raises ImportError
    with pytest.raises(RuntimeError, match=r"pip install pygraphviz.*apt-get install graphviz"):
        to_svg("digraph { a -> b }")


def test_without_pygraphviz_a_system_dot_is_used(
    no_dot: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "pygraphviz", None)
    fake = no_dot / "dot"
    script = "#!/bin/sh\nwhile read -r line; do :; done\necho '<svg>from the system dot</svg>'\n"
    fake.write_text(script)
    fake.chmod(0o755)
    assert "from the system dot" in to_svg("digraph { a -> b }")
    assert os.environ["PATH"] == str(no_dot)


def test_the_readme_pictures_regenerate(
    no_dot: Path, tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    from pathgrad.viz.examples import PICTURES, make_pictures

    written = make_pictures(tmp_path / "img", formats=("png", "svg"))
    # Graphviz reports a bad HTML label on stderr and draws on: there must be none
    assert "Error" not in capfd.readouterr().err
    assert len(written) == 2 * len(PICTURES)
    for path in written:
        data = path.read_bytes()
        if path.suffix == ".png":
            width, height = png_size(data)
            assert 300 < max(width, height) < 4000
        else:
            ET.fromstring(data)
