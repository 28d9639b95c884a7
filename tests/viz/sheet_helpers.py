"""Recalculating the workbooks ``viz.spreadsheet`` writes, by programs independent of ours.

LibreOffice (``soffice --headless --convert-to xlsx``) opens each workbook, recalculates every
formula and saves the values beside the formulas; one call converts a whole batch, in a private
profile (``-env:UserInstallation``) so parallel test runs do not share one, set to recalculate
on load always (a file's cached values are never read back). Without ``soffice`` the
``formulas`` package (a Python interpreter of Excel formulas) is the second evaluator.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
NO_SOFFICE = "LibreOffice's soffice is not installed (Debian: libreoffice-calc-nogui)"

# Recalculate every formula when a file loads, whatever values it has cached (0 = always).
_PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode"
 oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode"
 oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def libreoffice_recalculate(files: Sequence[Path], work: Path) -> list[Path]:
    """Recalculate ``files`` (distinct names) in one soffice run; the recalculated copies."""
    assert SOFFICE is not None, NO_SOFFICE
    profile = work / "lo-profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE_SETTINGS)
    out = work / "recalculated"
    out.mkdir(exist_ok=True)
    command = [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless",
               "--norestore", "--convert-to", "xlsx", "--outdir", str(out), *map(str, files)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    results = [out / Path(f).name for f in files]
    missing = [p.name for p in results if not p.exists()]
    assert not missing, f"soffice did not convert {missing}: {done.stdout} {done.stderr}"
    return results


class Cells:
    """A recalculated workbook's values, read as ``cells[sheet, "D7"]`` (None where empty)."""

    def __init__(self, values: dict[tuple[str, str], Any]) -> None:
        self.values = values

    def __getitem__(self, key: tuple[str, str]) -> Any:
        return self.values.get((key[0].lower(), key[1].upper()))

    @classmethod
    def from_xlsx(cls, path: Path) -> Cells:
        book = openpyxl.load_workbook(path, data_only=True)
        values = {}
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for c in row:
                    if c.value is not None:
                        values[(sheet.title.lower(), c.coordinate)] = c.value
        return cls(values)

    @classmethod
    def from_formulas(cls, path: Path) -> Cells:
        """Evaluate ``path`` with the ``formulas`` package."""
        import formulas

        model = formulas.ExcelModel().loads(str(path)).finish()
        values = {}
        for key, ranges in model.calculate().items():
            sheet, _, ref = str(key).rpartition("!")
            sheet = sheet.strip("'").split("]", 1)[-1]
            value = getattr(ranges, "value", ranges)
            if ":" in ref:
                continue
            x = value[0][0] if hasattr(value, "__getitem__") and not isinstance(value, str) \
                else value
            values[(sheet.lower(), ref.upper())] = _plain(x)
        return cls(values)


def _plain(x: Any) -> Any:
    if hasattr(x, "item"):  # numpy scalars
        x = x.item()
    if isinstance(x, (bool, int, float, str)) or x is None:
        return x
    return str(x)  # an Excel error value, e.g. #VALUE!
