"""Ebook download links and the signed "view your order" link of guest orders."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from bookstore.checkout.models import DownloadLink, Order, OrderLine
from bookstore.database import rowcount
from bookstore.errors import NotFound
from bookstore.extensions import db

DOWNLOADS_PER_LINK = 5
DOWNLOAD_DAYS = 30


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def order_link_token(order: Order) -> str:
    """The signed token in a guest's "view your order" link."""
    return _serializer("bookstore.order-view").dumps(order.reference)


def order_from_link_token(token: str) -> Order:
    """The order of a signed guest link; NotFound for anything forged or unknown."""
    try:
        reference = _serializer("bookstore.order-view").loads(token)
    except BadSignature:
        raise NotFound("No such order.") from None
    order = db.session.scalars(select(Order).where(Order.reference == reference)).one_or_none()
    if order is None:
        raise NotFound("No such order.")
    return order


def download_token(link: DownloadLink) -> str:
    """The signed download token of a link (derived, so the order page can show it again)."""
    return _serializer("bookstore.ebook-download").dumps(link.id)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_download_links(order: Order, *, now: datetime) -> None:
    """One download link per ebook line of a paid order."""
    for line in order.lines:
        if line.format.is_physical:
            continue
        link = DownloadLink(
            order_id=order.id,
            order_line_id=line.id,
            # A random placeholder until the id (which the token signs) exists.
            token_hash=secrets.token_hex(32),
            downloads_left=int(current_app.config.get("DOWNLOADS_PER_LINK", DOWNLOADS_PER_LINK)),
            expires_at=now + timedelta(days=DOWNLOAD_DAYS),
        )
        db.session.add(link)
        db.session.flush()
        link.token_hash = _token_hash(download_token(link))
    db.session.flush()


def download_links_of(order: Order) -> list[tuple[OrderLine, DownloadLink, str]]:
    """Each ebook line of a paid order with its link and token (order page, emails)."""
    if all(line.format.is_physical for line in order.lines):
        return []  # links are made for ebooks only: no query for printed books
    return [(link.line, link, download_token(link)) for link in order.download_links]


def take_download(token: str, *, now: datetime) -> OrderLine:
    """Count one download of a signed link and return its line.

    NotFound for a forged, unknown, expired or used-up link (one conditional UPDATE, so two
    simultaneous downloads cannot both take the last one).
    """
    try:
        link_id = _serializer("bookstore.ebook-download").loads(token)
    except BadSignature:
        raise NotFound("This download link is not valid.") from None
    link = db.session.get(DownloadLink, link_id) if isinstance(link_id, int) else None
    if link is None or not hmac.compare_digest(link.token_hash, _token_hash(token)):
        raise NotFound("This download link is not valid.")
    if not link.order.state.is_paid_like:
        raise NotFound("This download is no longer available.")
    result = db.session.execute(
        update(DownloadLink)
        .where(
            DownloadLink.id == link.id,
            DownloadLink.downloads_left > 0,
            DownloadLink.expires_at > now,
        )
        .values(downloads_left=DownloadLink.downloads_left - 1),
        execution_options={"synchronize_session": False},
    )
    if rowcount(result) != 1:
        raise NotFound("This download link has expired or has been used up.")
    db.session.expire(link, ["downloads_left"])
    return link.line
