"""Staff feature."""
