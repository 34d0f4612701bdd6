"""Small factories for tests: plain functions with sensible defaults, overridable by keyword."""

import itertools

from django.contrib.auth import get_user_model

from coop.models import Cooperative, Farmer, Staff, Village

_seq = itertools.count(1)


def make_user(username=None, password="pw-greenshell-1", **extra):
    User = get_user_model()
    username = username or f"user{next(_seq)}"
    user = User.objects.create_user(username=username, password=password, **extra)
    user.raw_password = password
    return user


def make_cooperative(**kw):
    n = next(_seq)
    defaults = dict(name=f"测试合作社{n}", township="贺波洛乡", county="喜德县", prefecture="凉山彝族自治州",
                    producer_code=f"T{n:03d}")
    defaults.update(kw)
    return Cooperative.objects.create(**defaults)


def make_village(cooperative, **kw):
    defaults = dict(name=f"村{next(_seq)}", altitude_m=2300)
    defaults.update(kw)
    return Village.objects.create(cooperative=cooperative, **defaults)


def make_farmer(cooperative, village=None, **kw):
    n = next(_seq)
    village = village or Village.objects.filter(cooperative=cooperative).first() or make_village(cooperative)
    defaults = dict(member_no=f"M{n:04d}", head_name=f"吉克{n}", phone=f"139{n:08d}", hens=30)
    defaults.update(kw)
    return Farmer.objects.create(cooperative=cooperative, village=village, **defaults)


def make_staff(cooperative, role=Staff.MANAGER, username=None):
    user = make_user(username, is_staff=True)
    Staff.objects.create(user=user, cooperative=cooperative, role=role)
    return user


def make_delivery(farmer, *, accepted=None, rejected=None, laid_on=None, price="1.50", received_at=None, **kw):
    """A delivery row as intake would leave it. ``accepted={"L": 20}``, ``rejected={"cracked": 2}``.

    Bypasses the intake service (which the books' tests exercise): for tests of later stages
    (batches, scans, orders) that only need eggs in stock.
    """
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from coop.models import Delivery

    accepted = accepted or {"L": 30}
    rejected = rejected or {}
    laid_on = laid_on or timezone.localdate() - datetime.timedelta(days=1)
    fields = {f"accepted_{k.lower()}": v for k, v in accepted.items()}
    fields.update({f"rejected_{k}": v for k, v in rejected.items()})
    price = Decimal(price)
    for wc in ("xl", "l", "m", "s"):
        fields.setdefault(f"price_{wc}", price)
    total = sum(accepted.values()) + sum(rejected.values())
    amount = sum(Decimal(n) * price for n in accepted.values())
    return Delivery.objects.create(
        cooperative=farmer.cooperative, farmer=farmer, laid_from=laid_on, laid_to=laid_on,
        eggs_brought=total, amount_due=amount, received_at=received_at or timezone.now(), **fields, **kw)


def make_batch(cooperative, *, deliveries=None, weight_class="L", pack_size=10, boxes=3, code=None, laid_on=None,
               **kw):
    """A packed batch made of ``deliveries`` (created if not given), bypassing the packing service's
    stock rules but not its hook: ``batch_packed`` is sent as ``pack_batch`` sends it, so the batch
    has its trace code, box codes and certificate like a really packed one."""
    import datetime

    from django.utils import timezone

    from coop.models import Batch, BatchContribution
    from coop.services.packing import batch_packed

    eggs = pack_size * boxes
    if deliveries is None:
        farmer = make_farmer(cooperative)
        deliveries = [make_delivery(farmer, accepted={weight_class: eggs}, laid_on=laid_on)]
    laid_from = min(d.laid_from for d in deliveries)
    laid_to = max(d.laid_to for d in deliveries)
    batch = Batch.objects.create(
        cooperative=cooperative, code=code or f"{cooperative.producer_code}-{next(_seq):05d}",
        weight_class=weight_class, pack_size=pack_size, boxes=boxes, eggs=eggs,
        laid_from=laid_from, laid_to=laid_to, best_before=laid_from + datetime.timedelta(days=28),
        packed_at=kw.pop("packed_at", timezone.now()), **kw)
    remaining = eggs
    for d in deliveries:
        take = min(remaining, d.accepted_of(weight_class))
        if take:
            BatchContribution.objects.create(batch=batch, delivery=d, eggs=take)
            remaining -= take
    assert remaining == 0, "deliveries do not hold enough accepted eggs for this batch"
    batch_packed.send(sender=Batch, batch=batch, user=None)
    return batch
