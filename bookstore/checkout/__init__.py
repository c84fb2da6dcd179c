"""Checkout feature."""
