"""The cart page and its forms."""

from flask import Blueprint

bp = Blueprint("cart", __name__)
