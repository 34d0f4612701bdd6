"""Demo data of the quality app: traceability first (labels, scans), then the charter."""

from quality import demo_charter, demo_trace


def seed(stdout=None):
    demo_trace.seed(stdout)
    demo_charter.seed(stdout)
