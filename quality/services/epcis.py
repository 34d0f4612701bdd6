"""A batch's history as an EPCIS 2.0 JSON-LD document.

Events: one ``commissioning`` ObjectEvent per delivery (eggs coming into being at a village), one
``inspecting`` ObjectEvent per delivery and disposition (candling: ``conformant`` accepted eggs,
``non_conformant`` rejects), a TransformationEvent deliveries → batch, then ``shipping`` events for
orders that carried the batch away (when they left, never for boxes only packed or refunded before
leaving) and a ``recalled`` event.

Identifiers: with a GTIN, the batch is the GS1 Digital Link class ``https://id.gs1.org/01/…/10/…``;
without one, the scan URL ``SITE_URL/t/<code>`` — EPCIS 2.0 accepts any URI. Deliveries and
villages get ``urn:greenshell:`` URIs. The public document names no person: households appear only
in the private version a manager of the cooperative asks for (``?private=1``), by member number.
"""

import datetime
from itertools import islice

from django.utils import timezone

from coop.lib.validators import gtin14
from coop.models import Batch, BatchContribution
from orders.services import stock
from quality.models import TraceCode
from quality.services.trace import short_url, trace_code_of

CONTEXT = [
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    {"greenshell": "https://greenshell.example/epcis/ns#"},
]
CBV = "https://ref.gs1.org/cbv/"


def _iso(dt):
    return timezone.localtime(dt).isoformat(timespec="seconds")


def _tz(dt):
    return timezone.localtime(dt).strftime("%z")[:3] + ":" + timezone.localtime(dt).strftime("%z")[3:]


def batch_class(batch, trace):
    gtin = batch.cooperative.gtin
    if gtin:
        return f"https://id.gs1.org/01/{gtin14(gtin)}/10/{batch.code}"
    return short_url(trace.code)


def _event(kind, when, **fields):
    event = {"type": kind, "eventTime": _iso(when), "eventTimeZoneOffset": _tz(when)}
    event.update(fields)
    return event


def batch_document(batch, *, include_private=False):
    trace = trace_code_of(batch)
    contributions = list(batch.contributions.select_related("delivery__farmer__village")
                         .order_by("delivery__received_at", "pk"))
    departed = list(stock.departed_allocations(batch=batch).order_by("left_at", "pk"))
    return _document(batch, trace, contributions, departed, include_private)


DOCUMENTS_CHUNK = 1000  # batches read together by batch_documents


def batch_documents(batches):
    """``[(batch, batch_document(batch))]`` (public documents) for many batches, three queries per
    ``DOCUMENTS_CHUNK`` of them instead of three each (the nightly reconciliation reads every batch's
    document: a province packs 30,000 batches a month). Built by the same ``_document``."""
    batches = iter(batches)  # a queryset's .iterator() is fine: read and dropped a chunk at a time
    while chunk := list(islice(batches, DOCUMENTS_CHUNK)):
        ids = [b.pk for b in chunk]
        traces = {t.batch_id: t for t in TraceCode.objects.filter(batch_id__in=ids)}
        contributions = {pk: [] for pk in ids}
        for c in BatchContribution.objects.filter(batch_id__in=ids).select_related(
                "delivery__farmer__village").order_by("delivery__received_at", "pk"):
            contributions[c.batch_id].append(c)
        departed = {pk: [] for pk in ids}
        for alloc in stock.departed_allocations(batch_id__in=ids).order_by("left_at", "pk"):
            departed[alloc.batch_id].append(alloc)
        for batch in chunk:
            if batch.pk not in traces:
                trace_code_of(batch)  # raises NotTraced, as batch_document does
            yield batch, _document(batch, traces[batch.pk], contributions[batch.pk], departed[batch.pk], False)


def _document(batch, trace, contributions, departed, include_private):
    coop = batch.cooperative
    producer = f"urn:greenshell:{coop.producer_code}"
    events = []
    inputs = []
    for c in contributions:
        d = c.delivery
        intake = f"{producer}:intake:{d.pk}"
        location = {"id": f"{producer}:village:{d.farmer.village_id}"}
        ilmd = {"greenshell:village": d.farmer.village.name, "greenshell:altitudeMetres": d.farmer.village.altitude_m,
                "greenshell:laidFrom": d.laid_from.isoformat(), "greenshell:laidTo": d.laid_to.isoformat()}
        if include_private:
            ilmd["greenshell:memberNo"] = d.farmer.member_no
        events.append(_event("ObjectEvent", d.received_at, action="ADD", bizStep="commissioning",
                             disposition="active", quantityList=[{"epcClass": intake, "quantity": d.eggs_brought,
                                                                  "uom": "H87"}],
                             readPoint=location, bizLocation=location, ilmd=ilmd))
        events.append(_event("ObjectEvent", d.received_at + datetime.timedelta(seconds=1), action="OBSERVE",
                             bizStep="inspecting", disposition="conformant",
                             quantityList=[{"epcClass": intake, "quantity": d.accepted, "uom": "H87"}],
                             readPoint={"id": f"{producer}:collection-point"}))
        if d.rejected:
            events.append(_event(
                "ObjectEvent", d.received_at + datetime.timedelta(seconds=1), action="OBSERVE",
                bizStep="inspecting", disposition="non_conformant",
                quantityList=[{"epcClass": intake, "quantity": d.rejected, "uom": "H87"}],
                readPoint={"id": f"{producer}:collection-point"},
                **{"greenshell:rejectsByDefect": {k: v for k, v in d.rejects_by_defect().items() if v}}))
        inputs.append({"epcClass": intake, "quantity": c.eggs, "uom": "H87"})
    output = batch_class(batch, trace)
    events.append(_event(
        "TransformationEvent", batch.packed_at, bizStep="creating_class_instance", disposition="active",
        inputQuantityList=inputs, outputQuantityList=[{"epcClass": output, "quantity": batch.eggs, "uom": "H87"}],
        bizLocation={"id": f"{producer}:collection-point"},
        ilmd={"cbvmda:bestBeforeDate": batch.best_before.isoformat(), "cbvmda:lotNumber": batch.code,
              "greenshell:grade": batch.grade, "greenshell:weightClass": batch.weight_class,
              "greenshell:packSize": batch.pack_size, "greenshell:boxes": batch.boxes}))
    events += shipping_events(batch, output, producer, include_private, departed)
    if batch.status == Batch.RECALLED and batch.status_changed_at:
        events.append(_event("ObjectEvent", batch.status_changed_at, action="OBSERVE", bizStep="holding",
                             disposition="recalled",
                             quantityList=[{"epcClass": output, "quantity": batch.eggs, "uom": "H87"}],
                             **{"greenshell:reason": batch.status_reason}))
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": _iso(timezone.now()),
        "epcisBody": {"eventList": events},
    }


def shipping_events(batch, output, producer, include_private, departed):
    """One ``shipping`` event per order that carried the batch away, at the moment it left (shipped,
    or handed to its pickup point). Packing alone is not shipping, and boxes of an order refunded
    before it left never left: they get no event (they are back in stock). ``departed``: the batch's
    ``stock.departed_allocations`` in the order they left."""
    events = []
    for alloc in departed:
        event = _event("ObjectEvent", alloc.left_at, action="OBSERVE", bizStep="shipping", disposition="in_transit",
                       quantityList=[{"epcClass": output, "quantity": alloc.boxes * batch.pack_size, "uom": "H87"}],
                       readPoint={"id": f"{producer}:collection-point"})
        if include_private:
            event["greenshell:allocation"] = alloc.pk
        events.append(event)
    return events
