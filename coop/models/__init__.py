from coop.models.farmers import *  # noqa: F403  (farmer sign-in and notification log, see its __all__)
from coop.models.settlements import SettlementRun

from .audit import AuditEvent
from .batches import GRADES, MAX_SHELF_DAYS, PACKING_WINDOW_DAYS, Batch, BatchContribution
from .fund import Donation, FundEntry, HygieneInspection, HygieneScore
from .intake import REJECT_CODES, REJECT_DEFECTS, WEIGHT_CLASS_CODES, WEIGHT_CLASSES, Delivery, PriceSchedule
from .ledger import LedgerEntry, LedgerImmutable, Settlement
from .notifications import Notification
from .org import Cooperative, Farmer, Staff, Village

__all__ = [
    "AuditEvent", "Batch", "BatchContribution", "Cooperative", "Delivery", "Donation", "Farmer", "FundEntry",
    "GRADES", "HygieneInspection", "HygieneScore", "SettlementRun",
    "LedgerEntry", "LedgerImmutable", "MAX_SHELF_DAYS", "Notification", "PACKING_WINDOW_DAYS",
    "PriceSchedule", "REJECT_CODES", "REJECT_DEFECTS", "Settlement", "Staff", "Village",
    "WEIGHT_CLASS_CODES", "WEIGHT_CLASSES",
]
