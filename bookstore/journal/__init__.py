"""Journal feature."""
