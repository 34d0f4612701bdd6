"""Admin for the charter (reports, penalties, appeals, charter versions)."""
