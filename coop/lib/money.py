"""Money arithmetic shared by every app: rounding to the fen, sums that stay Decimal, apportioning.

Money is ``Decimal`` with two places everywhere. Two things break that without care:

* SQLite has no decimal type: ``SUM`` over a decimal column returns a float, and Django turns an
  aggregate (not a plain column) into ``Decimal`` with 15 significant digits but no rounding, so
  ¥190.30 comes back as ``Decimal("190.300000000000")`` and is shown so. ``MoneySum`` rounds the
  result to the fen (on PostgreSQL, whose ``numeric`` sum is exact, this changes nothing).
* Rounding shares one by one drifts: three villages of ¥26.6033… each round to ¥26.60 and the table
  no longer adds up to its total. ``apportion`` rounds with the largest-remainder rule, so the rounded
  shares always sum to the total.
"""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db.models import DecimalField, Sum

CENT = Decimal("0.01")


def to_money(value):
    """Round a Decimal, int, str or exact Fraction of yuan to the fen, half up."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class MoneySum(Sum):
    """``Sum`` of a money column that is a Decimal to the fen on every database (see above).

    ``default`` (the value of an empty sum) is applied here rather than by Django, which would wrap the
    sum in ``Coalesce`` — an expression whose result SQLite hands back unrounded again."""

    output_field = DecimalField(max_digits=14, decimal_places=2)

    def __init__(self, *expressions, default=None, **extra):
        self.money_default = default
        super().__init__(*expressions, **extra)

    def convert_value(self, value, expression, connection):
        return self.money_default if value is None else to_money(value)


def apportion(exact, total):
    """Round ``{key: exact share}`` to fen so that the shares add up to ``total`` exactly.

    Largest-remainder rule: every share is rounded down to the fen, then the fen still missing go one
    each to the shares that lost most by rounding down (ties by key, so the result is stable). Shares are
    Fractions, Decimals or ints; ``total`` is Decimal (usually the exact total rounded once). Negative
    shares are not apportioned (money is split, not owed, here)."""
    cents = {k: Fraction(v) * 100 for k, v in exact.items()}
    floors = {k: c.numerator // c.denominator for k, c in cents.items()}
    left = int(to_money(total) * 100) - sum(floors.values())
    for k in sorted(cents, key=lambda k: (-(cents[k] - floors[k]), k))[:max(left, 0)]:
        floors[k] += 1
    return {k: (Decimal(v) / 100).quantize(CENT) for k, v in floors.items()}
