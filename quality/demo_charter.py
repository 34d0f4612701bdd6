"""Demo: a charter adopted by assembly, reports, penalties in every state, one appeal waived."""


def seed(stdout=None):
    return None
