"""Fixtures for the operations tests: an app on a database that does not answer."""

import pytest

from bookstore import create_app
from tests.fixtures.database import app_config
from tests.ops.helpers import DEAD_POSTGRES


@pytest.fixture
def dead_database_app(tmp_path):
    """An app whose PostgreSQL refuses connections."""
    return create_app(app_config(DEAD_POSTGRES, {}, tmp_path / "instance"))
