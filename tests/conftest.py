"""Fixtures shared by every test module, as plugin modules under ``tests/fixtures``.

Import a helper from its plugin module (``from tests.fixtures.services import skip_or_fail``),
never from this file.
"""

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.database",
    "tests.fixtures.mail",
    "tests.fixtures.stripe",
    "tests.fixtures.shop",
    "tests.fixtures.browser",
]
