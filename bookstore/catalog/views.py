"""Catalog pages: browse, book, contributor, series, subject, search."""

from flask import Blueprint

bp = Blueprint("catalog", __name__)


@bp.get("/search")
def search():
    # Placeholder until the catalog search lands.
    return "", 204
