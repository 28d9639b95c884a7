"""Checks that a file the demos claim to have written is a real picture."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: str | Path) -> tuple[int, int]:
    """(width, height) from the PNG's IHDR chunk; AssertionError if it is not a PNG."""
    data = Path(path).read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path}: not a PNG (header {data[:8]!r})"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13, f"{path}: the first chunk is {kind!r}, not IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert data[-12:-4] == b"\x00\x00\x00\x00IEND", f"{path}: no IEND chunk at the end"
    return width, height


def svg_root(path: str | Path) -> ET.Element:
    """The parsed SVG's root element; AssertionError if it is not well-formed SVG."""
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg"), f"{path}: the root element is {root.tag!r}, not svg"
    return root


def check_picture(path: str | Path) -> None:
    """A PNG with a sensible size, an SVG that parses and draws something, a GIF film, an
    explorer page or a spreadsheet."""
    p = Path(path)
    assert p.is_file(), f"{p} was not written"
    assert p.stat().st_size > 200, f"{p} is suspiciously small ({p.stat().st_size} bytes)"
    if p.suffix == ".png":
        width, height = png_size(p)
        assert 100 <= width <= 20000 and 50 <= height <= 20000, (p, width, height)
    elif p.suffix == ".svg":
        root = svg_root(p)
        drawn = [e for e in root.iter() if e.tag.rsplit("}", 1)[-1] in ("path", "polygon",
                                                                         "text", "ellipse")]
        assert len(drawn) >= 5, f"{p}: only {len(drawn)} drawn elements"
    elif p.suffix == ".html":  # an explorer page: its picture and script inline, one file
        text = p.read_text(encoding="utf-8")
        assert "<svg" in text and 'id="pathgrad-scene"' in text, f"{p}: not an explorer page"
    elif p.suffix == ".gif":
        from PIL import Image

        with Image.open(p) as gif:
            assert gif.format == "GIF" and gif.n_frames >= 2, (p, gif.format, gif.n_frames)
    elif p.suffix == ".xlsx":  # a live spreadsheet: its first sheet a row per value
        import openpyxl

        header = next(openpyxl.load_workbook(p)["graph"].iter_rows(values_only=True))
        assert header[:5] == ("node", "op", "operands", "data", "grad"), (p, header)
    else:
        raise AssertionError(f"unexpected picture type {p}")
