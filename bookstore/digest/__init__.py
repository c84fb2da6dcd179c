"""Digest feature."""
