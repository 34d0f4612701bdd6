"""Celery tasks of the quality app, for autodiscovery. Each task lives beside the service it runs; the names
are pinned so queued messages and the beat schedule survive moves."""

from quality.services.labels import make_label_sheet  # noqa: F401
from quality.services.penalties import apply_due_penalties_task as apply_due_penalties  # noqa: F401
from quality.services.recall import notify_recall_buyers  # noqa: F401
from quality.services.reconcile import reconcile_task as reconcile  # noqa: F401
from quality.services.scans import flush_scans_task as flush_scans  # noqa: F401
