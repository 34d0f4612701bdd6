import pytest

from tests.trust.world import build_world


@pytest.fixture
def world(personas):
    return build_world(personas)
