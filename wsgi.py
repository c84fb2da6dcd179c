"""Entry point for gunicorn (``gunicorn wsgi:app``) and ``flask``."""

from bookstore import create_app
from bookstore.ops.memory import tune_garbage_collector

app = create_app()
# Each gunicorn worker imports this module: its long-lived objects exist from here on.
tune_garbage_collector()
