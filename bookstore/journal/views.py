"""Journal pages: post list, post, tag."""

from flask import Blueprint

bp = Blueprint("journal", __name__)
