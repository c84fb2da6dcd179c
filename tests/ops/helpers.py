"""Addresses where nothing answers: a database and a Redis that are down."""

# Nothing listens on port 1 of loopback: connecting is refused at once.
DEAD_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:1/none"
DEAD_REDIS = "redis://127.0.0.1:1/0"
