"""Cart feature."""
