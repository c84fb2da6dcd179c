"""Fixtures for the stand-in's tests: an SDK client and a session (helpers: helpers.py)."""

import pytest

from tests.stripe_sandbox.helpers import session_params


@pytest.fixture
def api(stripe_sandbox):
    """The official SDK pointed at the stand-in."""
    return stripe_sandbox.client()


@pytest.fixture
def new_session(api):
    """Create a session through the SDK: ``new_session(**overrides)``."""

    def create(**overrides):
        return api.v1.checkout.sessions.create(session_params(**overrides))

    return create
