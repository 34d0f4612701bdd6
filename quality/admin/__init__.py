"""The quality admin: one module per area, each registering its own ModelAdmins."""

from quality.admin import appeals, charter, labels, penalties, reports, trace  # noqa: F401
