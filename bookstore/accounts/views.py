"""Sign-up, login, logout, password reset and the account page."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)
