"""bookstore.contexts gives the objects behind Flask's proxies, and fails as they do."""

import pytest
from flask import Flask, current_app, g, request, session

from bookstore import contexts


def test_each_gives_the_object_behind_its_proxy():
    app = Flask(__name__)
    app.secret_key = "test"
    with app.test_request_context("/books?page=2"):
        assert contexts.app() is app is current_app._get_current_object()
        assert contexts.app_globals() is g._get_current_object()
        assert contexts.this_request() is request._get_current_object()
        assert contexts.this_request().args["page"] == "2"
        assert contexts.this_session() is session._get_current_object()
        contexts.app_globals().seen = True
        assert g.seen is True


def test_outside_a_context_each_fails_as_its_proxy_does():
    for read in (contexts.app, contexts.app_globals, contexts.this_request, contexts.this_session):
        with pytest.raises(RuntimeError, match="Working outside of"):
            read()
