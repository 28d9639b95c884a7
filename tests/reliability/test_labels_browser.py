"""Hostile labels in a real browser (issue 27, defects 1 and 3): Debian's chromium, Playwright.

A label that once added ``URL="javascript:…"`` to a node is clicked for real (a mouse click at
the node's place, not a synthetic event) in ``draw_dot``'s SVG, the explorer page and the
widget's scene: no dialog opens and no link exists. A label holding ``<!--<script>`` once blanked
the page; the page must render and its script run without an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import chromium
import pytest

from pathgrad.autograd import Value
from pathgrad.viz import Explorer, draw_dot, explore, render
from pathgrad.viz.explore import page_html

INJECTION = '<b>, URL="javascript:alert(document.title)", target=<_self>'

chromium.require()  # skips the module without playwright or chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium.launched() as b:
        yield b


def chain(label: str) -> tuple[Value, Value]:
    x = Value(0.5, label=label)
    y = (x * 2.0).tanh() + x
    y.label = "y"
    y.backward()
    return y, x


class Opened:
    """A file opened in a fresh page, with its dialogs, errors and navigations recorded."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.page.set_default_timeout(5000)
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route(re.compile(r"^(?!file://).*"), lambda route: route.abort())
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def click_every_node(self) -> int:
        nodes = self.page.locator("g.node")
        count = nodes.count()
        for n in range(count):
            box = nodes.nth(n).bounding_box()
            if box is None or box["width"] == 0:
                continue
            self.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            self.page.wait_for_timeout(30)
            if self.page.url != self.url:  # a link was followed: stop there, the test fails
                break
        return count

    def javascript_links(self) -> int:
        return int(self.page.evaluate(
            """() => [...document.querySelectorAll('a')].filter(a => {
                   const h = a.getAttribute('href') || a.getAttribute('xlink:href')
                             || a.getAttributeNS('http://www.w3.org/1999/xlink', 'href') || '';
                   return /^\\s*javascript:/i.test(h); }).length"""))


def test_a_click_on_the_injected_node_runs_nothing(browser: Any, tmp_path: Path) -> None:
    y, x = chain(INJECTION)
    render(draw_dot(y), tmp_path / "graph.svg")
    explore(y, tmp_path / "page.html", wrt=x)
    (tmp_path / "widget.html").write_text(page_html(Explorer(y).scene), encoding="utf-8")
    for name in ("graph.svg", "page.html", "widget.html"):
        opened = Opened(browser, tmp_path / name)
        if name.endswith(".html"):
            opened.page.wait_for_selector(".pg-root svg")
        assert opened.javascript_links() == 0, name
        clicked = opened.click_every_node()
        assert clicked >= 4, name
        assert opened.dialogs == [], name
        assert opened.page.url == opened.url, name
        assert opened.errors == [], name
        opened.page.close()


@pytest.mark.parametrize("label", ["<!--<script>", "</script><script>alert(1)</script>",
                                   "<!--", "]]><&amp;\u2028"])
def test_a_label_with_markup_leaves_the_page_working(browser: Any, tmp_path: Path,
                                                     label: str) -> None:
    y, x = chain(label)
    explore(y, tmp_path / "page.html", wrt=x, title=label)
    opened = Opened(browser, tmp_path / "page.html")
    opened.page.wait_for_selector(".pg-root svg")
    assert opened.page.locator("g.node").count() >= 4
    opened.page.get_by_role("button", name="Step", exact=True).click()
    assert opened.errors == [] and opened.dialogs == []
    assert opened.page.title() == label
    tips = opened.page.evaluate("""() => [...document.querySelectorAll('g.node a')].map(
        a => a.getAttributeNS('http://www.w3.org/1999/xlink', 'title'))""")
    assert label in tips  # the label reached the page as the same text
    opened.page.close()


def test_a_rows_symbol_with_braces_and_markup_is_text_in_the_page(browser: Any,
                                                                   tmp_path: Path) -> None:
    from pathgrad.autograd import ROWS
    from pathgrad.autograd.notation import NOTATION, Notation
    from pathgrad.autograd.rules import Rule, register

    symbol = '{}{0}{x"\\</script>'
    register(Rule("twice", lambda m, x: x * 2.0, lambda m, o, x: (2.0,), 1))
    NOTATION["twice"] = Notation("twice", symbol=symbol)
    try:
        x = Value(0.5, label="x")
        y = x.twice().tanh()  # type: ignore[attr-defined]
        y.label = "y"
        y.backward()
        explore(y, tmp_path / "page.html", wrt=x)
    finally:
        del ROWS["twice"], NOTATION["twice"]
        delattr(Value, "twice")
    opened = Opened(browser, tmp_path / "page.html")
    opened.page.wait_for_selector(".pg-root svg")
    assert opened.page.locator("g.node text", has_text=symbol).count() == 1
    assert symbol in opened.page.locator(".pg-panel").inner_text()
    assert opened.errors == [] and opened.dialogs == []
    opened.page.close()
