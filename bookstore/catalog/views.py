"""Catalog pages: browse, book, contributor, series, subject, search."""

from flask import Blueprint

bp = Blueprint("catalog", __name__)


# The search page lives in its own module; importing it registers its route on ``bp``.
from bookstore.catalog import search_views  # noqa: E402, F401
