"""The search page (registered on the catalog blueprint)."""

from bookstore.catalog.views import bp


@bp.get("/search")
def search():
    # Placeholder until the catalog search lands.
    return "", 204
