"""Real visitors for the benchmark, over HTTP: a member who signs in, and a buyer who places
orders one after another (add to cart, checkout, pay on the Stripe stand-in's hosted page,
back to the shop; the stand-in's signed webhook reaches the shop too), as the shop is used.
"""

from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

import requests
from sqlalchemy import select

from bookstore.accounts.models import User
from bookstore.catalog.models import Edition, Format
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from tests.bench.load import USER_AGENT

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
QUOTE = re.compile(r'name="quote"[^>]*value="([^"]+)"')
MEMBER_EMAIL = "bench-member@example.com"
MEMBER_PASSWORD = "correct-horse-staple-42"  # noqa: S105  (a scratch database's member)
ADDRESS = {
    "ship_name": "Anna Petrova",
    "ship_line1": "73 Main Street",
    "ship_line2": "",
    "ship_city": "Montpelier",
    "ship_region": "VT",
    "ship_postal_code": "05602",
    "ship_country": "US",
    "shipping_method": "standard",
}


def make_member() -> None:
    """An account with a year of membership in the scratch database (app context)."""
    from bookstore.accounts.services import sign_up
    from bookstore.members.services import grant_membership

    user = db.session.scalar(select(User).where(User.email == MEMBER_EMAIL))
    if user is None:
        user = sign_up(name="Ada Reader", email=MEMBER_EMAIL, password=MEMBER_PASSWORD)
        assert user is not None
        now = utcnow()
        grant_membership(
            user, until=now + timedelta(days=365), actor=None, reason="benchmark", now=now
        )
    db.session.commit()


def sign_in(base: str) -> str:
    """Log the member in through the login form; the Cookie header their browser would send."""
    with _browser() as browser:
        page = browser.get(f"{base}/account/login", timeout=30)
        form = {"csrf_token": _csrf(page), "email": MEMBER_EMAIL}
        answer = browser.post(
            f"{base}/account/login", data={**form, "password": MEMBER_PASSWORD}, timeout=30
        )
        if "/account/login" in answer.url:
            raise RuntimeError("The benchmark's member could not sign in.")
        return "; ".join(f"{c.name}={c.value}" for c in browser.cookies)


def stocked_editions(limit: int = 5000) -> list[tuple[int, str]]:
    """(edition id, book slug) of paperbacks with copies to sell (app context): in print,
    since the shop rightly refuses to add an out-of-print edition to a cart."""
    from bookstore.catalog.models import Book

    rows = db.session.execute(
        select(Edition.id, Book.slug)
        .join(Book, Book.id == Edition.book_id)
        .where(
            Edition.format == Format.PAPERBACK,
            Edition.on_hand >= 5,
            Edition.active,
            ~Edition.out_of_print,
        )
        .order_by(Edition.id)
        .limit(limit)
    ).all()
    return [(row[0], row[1]) for row in rows]


@dataclass
class OrderStats:
    placed: int = 0  # paid at the stand-in and back on the shop's success page
    failed: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.placed / self.seconds if self.seconds else 0.0


class Buyer(threading.Thread):
    """Places orders until stopped, each as a new guest visitor: ``per_second`` of them (an
    order starts on its schedule, or as soon as the one before it is done when that one took
    longer), or with 0 one after another, as fast as they go."""

    def __init__(
        self, base: str, editions: list[tuple[int, str]], seed: int = 7, per_second: float = 0.0
    ):
        super().__init__(daemon=True)
        self.base, self.editions = base, editions
        self.rng = random.Random(seed)  # noqa: S311  (load test)
        self.stats = OrderStats()
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._halt = threading.Event()

    def run(self) -> None:
        started = due = time.monotonic()
        while not self._halt.is_set():
            if self.interval:
                if self._halt.wait(max(0.0, due - time.monotonic())):
                    break
                due = max(due + self.interval, time.monotonic())
            try:
                self.place_order()
                self.stats.placed += 1
            except Exception as exc:  # noqa: BLE001  (counted and shown; the load goes on)
                self.stats.failed += 1
                if len(self.stats.errors) < 3:
                    self.stats.errors.append(f"{exc.__class__.__name__}: {exc}"[:300])
                time.sleep(0.2)
        self.stats.seconds = time.monotonic() - started

    def stop(self) -> OrderStats:
        self._halt.set()
        self.join(timeout=60)
        return self.stats

    def place_order(self) -> None:
        """Book page, add to cart, details, review, place (to the stand-in), pay, success."""
        edition_id, slug = self.rng.choice(self.editions)
        base = self.base
        with _browser() as browser:
            page = _ok(browser.get(f"{base}/books/{slug}", timeout=30))
            token = _csrf(page)
            added = _ok(
                browser.post(
                    f"{base}/cart/add",
                    data={"csrf_token": token, "edition_id": edition_id, "quantity": 1},
                    timeout=30,
                )
            )
            if "to your cart" not in added.text:
                raise RuntimeError(f"adding to the cart led to {added.url} ({_gist(added.text)})")
            email = f"buyer{self.rng.randrange(10**9)}@example.com"
            details = _ok(browser.get(f"{base}/checkout", timeout=30))
            review = _ok(
                browser.post(
                    f"{base}/checkout",
                    data={"csrf_token": _csrf(details), "email": email, **ADDRESS},
                    timeout=30,
                )
            )
            quote = QUOTE.search(review.text)
            if quote is None:
                raise RuntimeError(f"no review page at {review.url}")
            pay_page = _ok(
                browser.post(
                    f"{base}/checkout/place",
                    data={"csrf_token": _csrf(review), "quote": quote.group(1)},
                    timeout=30,
                )
            )
            if "/c/pay/" not in pay_page.url:
                raise RuntimeError(f"placing the order led to {pay_page.url}")
            paid = _ok(
                browser.post(
                    pay_page.url,
                    data={
                        "email": email,
                        "card_number": "4242424242424242",
                        "card_expiry": "12 / 34",
                        "card_cvc": "123",
                        "card_name": "Bench Buyer",
                    },
                    timeout=30,
                )
            )
            if "/checkout/success" not in paid.url:
                raise RuntimeError(f"paying led to {paid.url}")


def _browser() -> requests.Session:
    """A browser session that sends the bench's User-Agent, as wrk does (``load.USER_AGENT``)."""
    browser = requests.Session()
    browser.headers["User-Agent"] = USER_AGENT
    return browser


def _ok(response: requests.Response) -> requests.Response:
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code} from {response.url}")
    return response


def _csrf(page: requests.Response) -> str:
    found = CSRF.search(page.text)
    if found is None:
        raise RuntimeError(f"no CSRF token on {page.url} ({_gist(page.text)})")
    return found.group(1)


def _gist(html: str) -> str:
    """The page's title and first flashed message, to say why a step went wrong."""
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    flash = re.search(r'class="flash[^"]*">(.*?)<', html, re.S)
    parts = [m.group(1).strip() for m in (title, flash) if m is not None]
    return "; ".join(parts)[:160] or "no title"
