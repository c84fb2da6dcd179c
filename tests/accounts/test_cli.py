"""`flask users create-staff` and `create-admin`: create or promote; password prompted or env."""

import pytest
from sqlalchemy import select

from bookstore.accounts.models import Role, User
from bookstore.extensions import db
from tests.accounts.helpers import STRONG_PASSWORD, log_in
from tests.factories import make_user


def user_by_email(app, email):
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


@pytest.mark.parametrize(
    ("command", "role"), [("create-staff", Role.STAFF), ("create-admin", Role.ADMIN)]
)
def test_creates_a_user_with_the_password_from_the_environment(app, runner, command, role):
    result = runner.invoke(
        args=["users", command, "Olga@Example.com"], env={"BOOKSTORE_PASSWORD": STRONG_PASSWORD}
    )
    assert result.exit_code == 0, result.output
    assert f"Created olga@example.com with the role {role.value}." in result.output
    user = user_by_email(app, "olga@example.com")
    assert user.role is role
    assert user.name == "olga"
    assert log_in(app.test_client(), "olga@example.com", STRONG_PASSWORD).status_code == 302


def test_prompts_for_the_password_twice(app, runner, monkeypatch):
    monkeypatch.delenv("BOOKSTORE_PASSWORD", raising=False)
    result = runner.invoke(
        args=["users", "create-staff", "olga@example.com", "--name", "Olga Ivanova"],
        input=f"{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output
    assert STRONG_PASSWORD not in result.output
    assert user_by_email(app, "olga@example.com").name == "Olga Ivanova"


def test_mismatched_prompted_passwords_are_asked_again(app, runner, monkeypatch):
    monkeypatch.delenv("BOOKSTORE_PASSWORD", raising=False)
    result = runner.invoke(
        args=["users", "create-admin", "olga@example.com"],
        input=f"{STRONG_PASSWORD}\nsomething else\n{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert user_by_email(app, "olga@example.com").role is Role.ADMIN


def test_a_weak_password_is_refused_with_the_rule(app, runner):
    result = runner.invoke(
        args=["users", "create-admin", "olga@example.com"], env={"BOOKSTORE_PASSWORD": "password1"}
    )
    assert result.exit_code == 1
    assert "too common" in result.output
    assert user_by_email(app, "olga@example.com") is None


def test_a_bad_email_is_refused(app, runner):
    result = runner.invoke(
        args=["users", "create-staff", "olga"], env={"BOOKSTORE_PASSWORD": STRONG_PASSWORD}
    )
    assert result.exit_code == 2
    assert "email address" in result.output


def test_an_existing_customer_is_promoted_and_keeps_the_password(app, runner):
    with app.app_context():
        make_user("olga@example.com")
        db.session.commit()
    result = runner.invoke(args=["users", "create-staff", "olga@example.com"], input="")
    assert result.exit_code == 0, result.output
    assert "olga@example.com now has the role staff." in result.output
    assert user_by_email(app, "olga@example.com").role is Role.STAFF
    assert log_in(app.test_client(), "olga@example.com").status_code == 302


def test_an_admin_is_not_demoted_by_create_staff(app, runner):
    with app.app_context():
        make_user("olga@example.com", role=Role.ADMIN)
        db.session.commit()
    result = runner.invoke(args=["users", "create-staff", "olga@example.com"])
    assert result.exit_code == 0, result.output
    assert "keeps the role admin" in result.output
    assert user_by_email(app, "olga@example.com").role is Role.ADMIN


def test_users_group_is_listed_in_flask_help(runner):
    result = runner.invoke(args=["users", "--help"])
    assert "create-staff" in result.output
    assert "create-admin" in result.output
