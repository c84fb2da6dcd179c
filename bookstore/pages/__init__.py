"""Pages feature."""
