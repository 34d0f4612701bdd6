"""Helpers for the books' tests: prices in force and deliveries through the real intake service."""

import datetime
from decimal import Decimal

from django.utils import timezone

from coop.models import PriceSchedule
from coop.services.intake import record_delivery


def set_prices(coop, day=None, **prices):
    day = day or datetime.date(2020, 1, 1)
    prices = prices or {"XL": "1.80", "L": "1.50", "M": "1.20", "S": "1.00"}
    for wc, price in prices.items():
        PriceSchedule.objects.update_or_create(cooperative=coop, weight_class=wc, effective_from=day,
                                               defaults={"price_per_egg": Decimal(price)})


def deliver(farmer, accepted=None, rejected=None, laid_days_ago=1, **kw):
    laid = timezone.localdate() - datetime.timedelta(days=laid_days_ago)
    accepted = {"L": 20} if accepted is None else accepted
    return record_delivery(farmer=farmer, laid_from=laid, laid_to=laid, accepted=accepted,
                           rejected=rejected or {}, **kw)
