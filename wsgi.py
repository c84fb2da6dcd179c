"""Entry point for gunicorn (``gunicorn wsgi:app``) and ``flask``."""

from bookstore import create_app

app = create_app()
