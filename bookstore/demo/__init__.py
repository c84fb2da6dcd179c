"""Demo data: the publisher's demo catalog, journal posts and deals (``flask demo load``) and
synthetic catalogs for load tests (``flask demo generate``).

A package of its own, above the features it fills: the catalog imports neither deals nor the
journal, while the demo loader writes books, posts and deals alike.
"""
