import pytest

from tests.jobs import handlers


@pytest.fixture(autouse=True)
def _fresh_handlers():
    handlers.seen.clear()
    handlers.failures["left"] = 0
    yield
    handlers.seen.clear()


@pytest.fixture
def switchable_smtp():
    """A mail server that starts down; ``.start()`` and ``.stop()`` it at will."""
    from tests.jobs.smtp import SwitchableSMTP

    smtp = SwitchableSMTP()
    yield smtp
    smtp.stop()
