"""Demo: every batch gets a trace code, labels and some scans."""


def seed(stdout=None):
    return None
