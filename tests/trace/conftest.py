import pytest


@pytest.fixture(autouse=True)
def _forget_remembered_codes():
    """Each worker remembers code → batch (immutable in production); test databases roll back, so
    every test starts with an empty memory."""
    from quality.services import trace_page

    trace_page.forget_local()
    yield
    trace_page.forget_local()
