"""Admin for traceability (trace codes, labels, scans, recalls)."""
