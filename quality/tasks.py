"""Celery tasks of the quality app (the module Celery autodiscovers). Each area keeps its tasks in
its own module and is imported here with one line."""

from quality.tasks_charter import apply_due_penalties  # noqa: F401
from quality.tasks_trace import flush_scans, make_label_sheet, notify_recall_buyers  # noqa: F401
