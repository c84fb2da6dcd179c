"""How a request's session cookie becomes a user (Flask-Login's loader)."""

from bookstore.accounts.models import User
from bookstore.extensions import db, login_manager

login_manager.login_view = "accounts.login"
login_manager.login_message = "Please log in to see that page."
login_manager.login_message_category = "warning"
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Find the user of ``"<id>:<session version>"``; an older version means logged out."""
    raw_id, _, raw_version = user_id.partition(":")
    if not (raw_id.isdigit() and raw_version.isdigit()):
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or user.session_version != int(raw_version):
        return None
    return user
