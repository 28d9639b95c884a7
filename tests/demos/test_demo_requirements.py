"""``python -m pathgrad.demos`` on a machine without scikit-learn: the digits demo is skipped
with one line that says how to get it, and no traceback."""

from __future__ import annotations

import subprocess
import sys

NO_SKLEARN = """
import runpy
import sys

sys.modules["sklearn"] = None  # import sklearn -> ImportError, as where it is absent
sys.argv = ["python -m pathgrad.demos", "--fast", "--out", sys.argv[1], "digits"]
runpy.run_module("pathgrad.demos", run_name="__main__")
"""


def test_digits_demo_is_skipped_without_scikit_learn(tmp_path) -> None:
    done = subprocess.run([sys.executable, "-c", NO_SKLEARN, str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    skipped = [line for line in done.stdout.splitlines() if "skipping" in line]
    assert skipped == ["(skipping the digits demo: it needs pip install 'pathgrad[digits]' "
                       "(scikit-learn ships the digits))"]
    assert list(tmp_path.iterdir()) == []
