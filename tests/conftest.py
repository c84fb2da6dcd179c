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


def _serialise_ast_parse() -> None:
    """On CPython before 3.13, ``ast.parse`` keeps its recursion count in state shared by all
    threads, so two threads parsing at once can fail with "AST constructor recursion depth
    mismatch" (gh-106905). The tests run servers in threads, and a thread that prints a
    traceback parses (3.11's caret anchors) while the main thread builds an app (Werkzeug
    compiles its URL rules with ``ast.parse``). One lock keeps the suite from that flake."""
    import ast
    import sys
    import threading

    if sys.version_info >= (3, 13):
        return
    parse, lock = ast.parse, threading.RLock()

    def locked_parse(*args, **kwargs):
        with lock:
            return parse(*args, **kwargs)

    ast.parse = locked_parse


_serialise_ast_parse()
