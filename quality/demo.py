"""Demo data of this app, called by `manage.py seed_demo` after the collective exists."""


def seed(stdout=None):
    return None
