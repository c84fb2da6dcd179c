"""Deals feature."""
