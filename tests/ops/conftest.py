"""Helpers for the operations tests: an app on a database that does not answer."""

import pytest

from bookstore import create_app
from tests.conftest import _test_config

# Nothing listens on port 1 of loopback: connecting is refused at once.
DEAD_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:1/none"
DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def dead_database_app(tmp_path):
    """An app whose PostgreSQL refuses connections."""
    return create_app(_test_config(DEAD_POSTGRES, {}, tmp_path / "instance"))
