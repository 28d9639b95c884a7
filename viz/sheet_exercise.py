"""Exercise mode of ``viz.spreadsheet``: checks that say right or wrong without holding answers.

The file never holds an answer, in any form a student can read off a cell: what it holds is a
salted hash of each answer rounded to 4 significant figures. A hidden sheet ``codes`` mirrors
the graph sheet: beside each cell the student fills it computes the same hash of the entry
(with ``LOG10``, ``ROUND`` and ``MOD``, integers below 2⁴⁰ so that Excel and LibreOffice compute
them exactly), and holds the hashes of the right answer and of its two neighbours in the 4th
significant digit (so 0.1266 and 0.1267 both pass for −0.12665…: rounding in a hand
calculation is forgiven). The check column and conditional formatting compare the two: green
where they match, red where an entry does not. Entries and answers below 1e-12 in magnitude
count as 0.

This hides the answers from reading, not from a determined search: someone who copies the hash
formula and tries every 4-digit number (about 10⁷) will find them, as with any offline check.

>>> codes = AnswerCodes(seed=1)
>>> right = codes.of(-0.126638)                  # the hashes of −0.1265, −0.1266, −0.1267
>>> codes.of(-0.1267)[1] in right, codes.of(-0.1268)[1] in right, codes.of(0.1266)[1] in right
(True, False, False)
"""

from __future__ import annotations

import math
import random

__all__ = ["AnswerCodes"]

_PRIME = 999_983  # < 10⁶: every product below stays under 10¹², exact in a double
_ZERO_BELOW = 1e-12


def _key(x: float) -> tuple[int, int]:
    """4 significant figures of |x| as (mantissa 1000…9999, decimal exponent), as the sheet's
    formula computes them."""
    a = abs(x)
    e = math.floor(math.log10(a))
    k = math.floor(a / 10.0 ** (e - 3) + 0.5)
    return (1000, e + 1) if k >= 10_000 else (k, e)


class AnswerCodes:
    """The salted hash of a 4-significant-figure number, in Python and as a formula."""

    def __init__(self, seed: int | None = None) -> None:
        rng = random.Random(seed) if seed is not None else random.SystemRandom()
        self.factor = rng.randrange(1_000, 70_000)
        self.salts = (rng.randrange(_PRIME), rng.randrange(_PRIME))

    def _hash(self, n: int) -> int:
        h = (n * self.factor + self.salts[0]) % _PRIME
        return (h * h + self.salts[1]) % _PRIME + 1

    @staticmethod
    def _code(k: int, e: int, negative: bool) -> int:
        return ((e + 400) * 2 + negative) * 10_000 + k

    def of(self, x: float) -> tuple[int, ...]:
        """The hashes an entry may have to be right: ``x``'s and its two neighbours'."""
        if abs(x) < _ZERO_BELOW:
            return (self._hash(1),) * 3
        k, e = _key(x)
        neighbours = [(k - 1, e), (k, e), (k + 1, e)]
        if k == 1000:
            neighbours[0] = (9999, e - 1)
        if k == 9999:
            neighbours[2] = (1000, e + 1)
        return tuple(self._hash(self._code(kk, ee, x < 0)) for kk, ee in neighbours)

    def formula(self, ref: str) -> str:
        """The hash of the number in cell ``ref`` (0 where it holds no number)."""
        a = f"ABS({ref})"
        e = f"INT(LOG10({a}))"
        k = f"ROUND({a}/10^({e}-3),0)"
        code = (f"IF({a}<1E-12,1,(({e}+IF({k}>=10000,1,0)+400)*2+IF({ref}<0,1,0))*10000"
                f"+IF({k}>=10000,1000,{k}))")
        return (f"=IF(ISNUMBER({ref}),MOD(MOD({code}*{self.factor}+{self.salts[0]},{_PRIME})^2"
                f"+{self.salts[1]},{_PRIME})+1,0)")
