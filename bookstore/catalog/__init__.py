"""Catalog feature."""
