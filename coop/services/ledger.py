"""The only door to a household's money. Fines, rewards, payouts and credits all come through here.

Entries are appended, never edited. Each business fact carries a ``dedupe_key``; posting the same
key twice returns the first entry instead of writing a second one, which makes every caller
(retried Celery tasks, double-clicked buttons) safe without extra care.
"""

from decimal import Decimal

from django.db import IntegrityError, transaction

from coop.lib.errors import DomainError
from coop.lib.money import CENT, MoneySum, to_money  # noqa: F401  (callers use ledger.to_money; one definition)
from coop.models import LedgerEntry


class LedgerError(DomainError):
    """A posting the ledger refuses (unknown kind, wrong sign)."""


def post_entry(*, farmer, kind, amount, reason, source=None, dedupe_key=None, user=None, occurred_on=None):
    """Append one entry to ``farmer``'s ledger and return ``(entry, created)``.

    ``amount`` is signed: credits positive, fines and payouts negative.
    """
    if kind not in dict(LedgerEntry.KINDS):
        raise LedgerError(f"unknown ledger kind {kind!r}")
    amount = to_money(amount)
    if kind in (LedgerEntry.FINE, LedgerEntry.PAYOUT) and amount > 0:
        raise LedgerError("fines and payouts are debits: the amount must be negative")
    if kind in (LedgerEntry.DELIVERY, LedgerEntry.REWARD) and amount < 0:
        raise LedgerError("delivery credits and rewards must not be negative")
    if dedupe_key:
        existing = LedgerEntry.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing, False
    fields = dict(
        cooperative_id=farmer.cooperative_id,
        farmer=farmer,
        kind=kind,
        amount=amount,
        reason=reason[:300],
        dedupe_key=dedupe_key,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    if occurred_on is not None:
        fields["occurred_on"] = occurred_on
    if source is not None:
        fields["source_type"] = source._meta.label_lower
        fields["source_id"] = source.pk
    try:
        # A savepoint, so that losing the race to a concurrent identical post leaves the
        # caller's transaction usable.
        with transaction.atomic():
            return LedgerEntry.objects.create(**fields), True
    except IntegrityError:
        if dedupe_key:
            return LedgerEntry.objects.get(dedupe_key=dedupe_key), False
        raise


def balance(farmer):
    return farmer.ledger_entries.all().balance()


def balances(farmer_ids=None):
    """``{farmer_id: balance}`` of many households in one query — ``balance`` of each, grouped (the nightly
    reconciliation reads a province's 300,000 households: one query each was 300,000). ``None``: every
    household that has a ledger line; one without lines has a balance of 0.00 and is not listed."""
    lines = LedgerEntry.objects.all() if farmer_ids is None else LedgerEntry.objects.filter(farmer_id__in=farmer_ids)
    return {farmer_id: total if total is not None else Decimal("0.00") for farmer_id, total in
            lines.values("farmer_id").annotate(total=MoneySum("amount")).values_list("farmer_id", "total")}
