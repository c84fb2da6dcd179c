"""One way to send email: SMTP when ``MAIL_SERVER`` is set, else ``.eml`` files in the outbox.

``send_email`` renders ``templates/email/<template>.txt`` and ``.html`` into one
multipart/alternative message and sends it now. ``send_after_commit`` renders it now (while the
request and its objects are at hand) but sends it only once the current ``db.session``
transaction commits; a rollback drops it. Views and CLI commands that change data use the
latter, so nobody is emailed about a change that never happened.

``background=True`` sends after the commit on a thread of its own, so the page answers as fast
whether or not a message goes out: a reset request must not tell, by its timing, which
addresses have accounts. (``MAIL_BACKGROUND=false`` sends those inline too.)
"""

from __future__ import annotations

import logging
import os
import secrets
import smtplib
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from flask import current_app, render_template
from sqlalchemy import event
from sqlalchemy.orm import Session

from bookstore.extensions import db
from bookstore.txguard import check_no_write_transaction

log = logging.getLogger(__name__)

# Key in Session.info under which messages wait for the commit.
_QUEUE_KEY = "bookstore.mail.queue"


class MailError(Exception):
    """A message could not be built or handed over for delivery."""


@dataclass(frozen=True)
class Transport:
    """Where messages go, copied from the app's config so sending needs no app context."""

    server: str | None
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    use_ssl: bool
    outbox: Path
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config: Mapping) -> Transport:
        """Read the MAIL_* settings."""
        return cls(
            server=config.get("MAIL_SERVER") or None,
            port=int(config.get("MAIL_PORT") or 25),
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD") or None,
            use_tls=bool(config.get("MAIL_USE_TLS")),
            use_ssl=bool(config.get("MAIL_USE_SSL")),
            outbox=Path(config["MAIL_OUTBOX"]),
            timeout=float(config.get("MAIL_TIMEOUT_SECONDS") or 10),
        )

    def deliver(self, message: EmailMessage) -> str:
        """Send ``message``; return where it went (the .eml path or the SMTP server)."""
        if self.server:
            self._send_smtp(message)
            return f"smtp://{self.server}:{self.port}"
        return str(self._write_eml(message))

    def _send_smtp(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        if self.use_ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                self.server, self.port, timeout=self.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(self.server, self.port, timeout=self.timeout)
        with smtp:
            if self.use_tls and not self.use_ssl:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)

    def _write_eml(self, message: EmailMessage) -> Path:
        self.outbox.mkdir(parents=True, exist_ok=True)
        # Sortable by time of writing; the random part keeps parallel writers apart.
        name = f"{time.time_ns():020d}-{secrets.token_hex(4)}.eml"
        final = self.outbox / name
        partial = self.outbox / f".{name}.part"
        # Write then rename, so a reader never sees half a message.
        partial.write_bytes(message.as_bytes())
        os.replace(partial, final)
        return final


def build_email(
    to: str, subject: str, template: str, *, headers: Mapping[str, str] | None = None, **context
) -> EmailMessage:
    """Render ``email/<template>.txt`` and ``.html`` into a multipart/alternative message."""
    for value in (to, subject, *(headers or {}).keys(), *(headers or {}).values()):
        if "\n" in value or "\r" in value:
            raise MailError("Email headers may not contain line breaks.")
    if "@" not in parseaddr(to)[1]:
        raise MailError(f"Not an email address: {to!r}")
    config = current_app.config
    context.setdefault("subject", subject)
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", **context)

    message = EmailMessage()
    sender = config.get("MAIL_DEFAULT_SENDER") or "bookstore@localhost"
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def _make_log_visible() -> None:
    # Where an .eml landed is how a new user finds their reset link offline: if logging was
    # never configured (flask run, gunicorn), INFO would be dropped, so print it to stderr.
    if log.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s in mail: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def deliver(message: EmailMessage, transport: Transport) -> str:
    """Hand ``message`` to ``transport`` and log where it went."""
    _make_log_visible()
    check_no_write_transaction(f"Mail to {message['To']}")
    where = transport.deliver(message)
    if transport.server:
        log.info("Email %r to %s sent through %s", message["Subject"], message["To"], where)
    else:
        log.info("Email %r to %s written to %s", message["Subject"], message["To"], where)
    return where


def send_email(
    to: str, subject: str, template: str, *, headers: Mapping[str, str] | None = None, **context
) -> str:
    """Render and send a message now; return where it went. Raises on delivery failure."""
    message = build_email(to, subject, template, headers=headers, **context)
    try:
        return deliver(message, Transport.from_config(current_app.config))
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"Could not send email to {to}: {exc}") from exc


def send_after_commit(
    to: str,
    subject: str,
    template: str,
    *,
    headers: Mapping[str, str] | None = None,
    background: bool = False,
    **context,
) -> None:
    """Render a message now and send it once the current ``db.session`` transaction commits
    (on its own thread with ``background=True``, unless ``MAIL_BACKGROUND`` is off)."""
    message = build_email(to, subject, template, headers=headers, **context)
    transport = Transport.from_config(current_app.config)
    background = background and current_app.config.get("MAIL_BACKGROUND", True)
    session = db.session()
    # Make sure a transaction exists, so that the commit we wait for really happens.
    if not session.in_transaction():
        session.begin()
    session.info.setdefault(_QUEUE_KEY, []).append((message, transport, background))


def pending_messages() -> list[EmailMessage]:
    """Messages waiting for the current transaction to commit (for tests and debugging)."""
    return [message for message, _, _ in db.session().info.get(_QUEUE_KEY, [])]


_senders: set[threading.Thread] = set()
_senders_lock = threading.Lock()


def wait_for_background_mail(timeout: float = 10.0) -> None:
    """Wait until every message sent in the background has been handed over."""
    with _senders_lock:
        running = list(_senders)
    for thread in running:
        thread.join(timeout)


@event.listens_for(Session, "after_commit")
def _send_queued(session: Session) -> None:
    queue = session.info.pop(_QUEUE_KEY, None)
    for message, transport, background in queue or ():
        if not background:
            _deliver_logged(message, transport)
            continue
        thread = threading.Thread(
            target=_deliver_logged, args=(message, transport), name="mail", daemon=True
        )
        with _senders_lock:
            _senders.add(thread)
        thread.start()


def _deliver_logged(message: EmailMessage, transport: Transport) -> None:
    try:
        deliver(message, transport)
    except Exception:
        # The data is committed; a failed delivery must not turn the request into an error.
        log.exception("Could not send email %r to %s", message["Subject"], message["To"])
    finally:
        with _senders_lock:
            _senders.discard(threading.current_thread())


@event.listens_for(Session, "after_rollback")
def _drop_queued(session: Session) -> None:
    dropped = session.info.pop(_QUEUE_KEY, None)
    if dropped:
        log.info("Dropped %d email(s) after a rollback", len(dropped))
