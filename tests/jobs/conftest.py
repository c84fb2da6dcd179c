import pytest

from tests.jobs import handlers


@pytest.fixture(autouse=True)
def _fresh_handlers():
    handlers.seen.clear()
    handlers.failures["left"] = 0
    yield
    handlers.seen.clear()
