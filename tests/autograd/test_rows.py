"""The op tests generated from the rule table: every row of ``ROWS``, at samples of its domain,
made the way users make it; its value, rate factors (on floats, Values and numpy arrays),
second derivatives through ``create_graph`` and ``jvp`` against sympy's derivatives of the
row's forward. A new row is tested here with no edit (``op_table.check_row``)."""

from __future__ import annotations

import pytest
from op_table import check_row

from pathgrad.autograd import ROWS


@pytest.mark.parametrize("name", sorted(ROWS))
def test_row(name: str) -> None:
    check_row(ROWS[name])
