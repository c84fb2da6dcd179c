"""The book page's Save for later and "Email me when it's available" for one edition, written
in Python as the rest of the page is (``bookstore.catalog.book_html``).

Guests share a cached page, so their part reads nothing of the visitor: the alert sign-up
form (for an edition one may wait for) and a link to log in to save it. A signed-in reader's
part is a ``visitor_part`` (``views.edition_reader_actions``), filled in on each request with
``ReaderForms``: Save for later (or "Saved"), and the alert button (or "Stop this alert").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, request, url_for
from markupsafe import Markup
from markupsafe import escape as e

from bookstore import page_cache
from bookstore.accounts.redirects import login_url
from bookstore.alerts.views import alert_choice
from bookstore.catalog.availability import Availability
from bookstore.catalog.book_html import EditionPart, EditionPartMaker
from bookstore.catalog.book_rows import PageEdition
from bookstore.catalog.card_html import link
from bookstore.catalog.html_text import text
from bookstore.login_manager import visitor

ReaderActions = Callable[[int, str | None, str], Markup]


def edition_actions_part(reader_actions: ReaderActions) -> EditionPartMaker:
    """The book page's edition part, with ``reader_actions`` for signed-in readers."""

    def make_part() -> EditionPart:
        # What every edition of the page shares, looked up once.
        signed_in = visitor().is_authenticated
        page = None if signed_in else _GuestForms.of_page()

        def edition_actions(edition: PageEdition, availability: Availability) -> str:
            choice = alert_choice(edition, availability)
            what = f"{edition.book.title}, {edition.format.label}"
            if page is None:
                inside = str(reader_actions(edition.id, choice, what))
            else:
                inside = page.actions(edition, choice, what)
            return f'<div class="edition-actions">\n{inside}\n</div>'

        return edition_actions

    return make_part


@dataclass(frozen=True, slots=True)
class _GuestForms:
    """What a guest's actions share on one page: the alert form's action and CSRF token,
    and the "Log in to save it" link (None when the shop has no accounts), escaped."""

    subscribe: str
    csrf_token: str
    login: str | None

    @classmethod
    def of_page(cls) -> _GuestForms:
        login = None
        if "accounts.login" in current_app.view_functions:
            login = e(login_url(request.path))
        return cls(e(link("alerts.subscribe")), e(page_cache.csrf_token()), login)

    def actions(self, edition: PageEdition, choice: str | None, what: str) -> str:
        """The alert sign-up form when there is something to wait for, and "Log in to save
        it"."""
        parts = []
        if choice:
            parts.append(self.alert_signup(edition, choice, what))
        if self.login is not None:
            parts.append(
                f'<p class="edition-save-login muted"><a href="{self.login}">Log in</a> '
                "to save it for later.</p>"
            )
        return "\n".join(parts)

    def alert_signup(self, edition: PageEdition, choice: str, what: str) -> str:
        """A guest's alert form, "Email me when it's published" (or "available"), which asks
        for an address."""
        ask = e("Email me when it's " + ("published" if choice == "publication" else "available"))
        field = f"alert-email-{e(edition.id)}"
        return (
            f'<form method="post" action="{self.subscribe}" class="alert-signup">\n'
            f'<input type="hidden" name="csrf_token" value="{self.csrf_token}">\n'
            f'<input type="hidden" name="edition_id" value="{e(edition.id)}">\n'
            f'<label for="{field}">{ask}'
            f'<span class="visually-hidden"> ({e(edition.format.label)})</span></label>\n'
            '<span class="alert-signup-row">\n'
            f'<input id="{field}" type="email" name="email" autocomplete="email" '
            'maxlength="254" required placeholder="you@example.com">\n'
            f'<button type="submit">Notify me<span class="visually-hidden">: {e(what)}</span>'
            "</button>\n</span>\n</form>"
        )


@dataclass(frozen=True, slots=True)
class ReaderForms:
    """What a signed-in reader's actions share on one page, escaped: the wishlist's links, the
    alert form's action, the CSRF token and the page to come back to.

    Written in Python as the rest of the book page is: a Jinja macro per edition cost a
    reader's page-cache hit more than its own query did. The blank lines are the macro's
    that this replaced (pages kept byte for byte the same).
    """

    add: str
    wishlist: str
    subscribe: str
    csrf_token: str
    back: str

    @classmethod
    def of_page(cls) -> ReaderForms:
        return cls(
            text(link("wishlist.add")),
            text(link("wishlist.show")),
            text(link("alerts.subscribe")),
            text(page_cache.csrf_token()),
            text(request.path),
        )

    def actions(
        self, edition_id: int, choice: str | None, what: str, saved: bool, alert_id: int | None
    ) -> str:
        """Save for later (or where it is saved), then the alert's button when there is
        something to wait for (or the way to stop the alert already asked for)."""
        what = text(what)
        parts = ["\n  ", self.saved() if saved else self.save(edition_id, what), "\n  \n  "]
        if choice:
            alert = (
                self.alert_on(alert_id, what) if alert_id else self.ask(edition_id, choice, what)
            )
            parts += ["\n  \n  ", alert, "\n  \n  "]
        return "".join(parts)

    def saved(self) -> str:
        return f'<p class="edition-saved">Saved on <a href="{self.wishlist}">your wishlist</a>.</p>'

    def save(self, edition_id: int, what: str) -> str:
        return (
            f'<form method="post" action="{self.add}" class="inline-form">\n'
            f'    <input type="hidden" name="csrf_token" value="{self.csrf_token}">\n'
            f'    <input type="hidden" name="edition_id" value="{edition_id:d}">\n'
            f'    <input type="hidden" name="next" value="{self.back}">\n'
            '    <button type="submit" class="button-secondary">Save for later'
            f'<span class="visually-hidden">: {what}</span></button>\n  </form>'
        )

    def alert_on(self, alert_id: int, what: str) -> str:
        cancel = text(url_for("alerts.cancel", alert_id=alert_id))
        return (
            '<div class="edition-alert-on"><span>We will email you once when it can be '
            "ordered.</span>\n"
            f'    <form method="post" action="{cancel}" class="inline-form">\n'
            f'      <input type="hidden" name="csrf_token" value="{self.csrf_token}">\n'
            f'      <input type="hidden" name="next" value="{self.back}">\n'
            '      <button type="submit" class="link-button">Stop this alert'
            f'<span class="visually-hidden">: {what}</span></button>\n    </form>\n  </div>'
        )

    def ask(self, edition_id: int, choice: str, what: str) -> str:
        ask = "published" if choice == "publication" else "available"
        return (
            f'<form method="post" action="{self.subscribe}" class="inline-form">\n'
            f'    <input type="hidden" name="csrf_token" value="{self.csrf_token}">\n'
            f'    <input type="hidden" name="edition_id" value="{edition_id:d}">\n'
            f'    <input type="hidden" name="next" value="{self.back}">\n'
            f'    <button type="submit">Email me when it&#39;s {ask}'
            f'<span class="visually-hidden">: {what}</span></button>\n  </form>'
        )
