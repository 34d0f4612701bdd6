from quality import admin_charter, admin_trace  # noqa: F401  (each registers its own ModelAdmins)
