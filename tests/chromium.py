"""Headless Chromium for the browser tests: Debian's ``chromium`` driven by Playwright, one
launcher, one set of switches, and pages that may load nothing but their own file."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def require() -> Any:
    """Playwright's sync API, or skip the calling test module with the reason."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no {CHROMIUM}: apt-get install chromium to run the browser tests",
                    allow_module_level=True)
    return sync_api


@contextmanager
def launched() -> Iterator[Any]:
    """A headless Chromium browser, closed on exit."""
    sync_api = require()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def watch(page: Any, requests: list[str], errors: list[str]) -> None:
    """Record the page's requests and script errors; refuse anything but ``file://``, so a
    stray fetch fails loudly."""
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.route(re.compile(r"^(?!file://).*"), lambda route: route.abort())


def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``$PATHGRAD_SCREENSHOTS`` to keep and look at them, else a temp."""
    where = os.environ.get("PATHGRAD_SCREENSHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        return Path(where)
    return tmp_path_factory.mktemp("screens")
