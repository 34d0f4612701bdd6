import pytest


@pytest.fixture(autouse=True)
def _forget_remembered_codes():
    """Each worker remembers code → batch (immutable in production); test databases roll back, so
    every test starts with an empty memory."""
    from quality.services import scanpage

    scanpage.forget_local()
    yield
    scanpage.forget_local()
