"""One way to send email: SMTP when ``MAIL_SERVER`` is set, else ``.eml`` files in the outbox.

``send_email`` renders ``templates/email/<template>.txt`` and ``.html`` into one
multipart/alternative message and sends it now. ``send_after_commit`` renders it now (while the
request and its objects are at hand) and writes it as an ``email`` job in the current
``db.session`` transaction (the outbox, ``bookstore/jobs``): a worker sends it after the commit
and tries again while the mail server is down; a rollback drops it. Views and CLI commands that
change data use the latter, so nobody is emailed about a change that never happened and no
message is lost with a failed send or a dying process.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import logging
import os
import secrets
import smtplib
import ssl
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from flask import current_app, has_request_context, render_template
from sqlalchemy import select

from bookstore.extensions import db
from bookstore.jobs.models import Job
from bookstore.jobs.outbox import add_job, jobs_in_transaction
from bookstore.jobs.runner import ClaimedJob, PermanentJobError, job_handler
from bookstore.txguard import check_no_write_transaction

log = logging.getLogger(__name__)

EMAIL_JOB = "email"
# Links in messages built outside a request, without SHOP_BASE_URL.
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


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
        if not self.server:
            raise MailError("No MAIL_SERVER to send through")
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


@dataclass(frozen=True)
class RenderedEmail:
    """A message's headers and its text and HTML bodies, rendered: everything but the MIME
    structure, which ``message()`` builds (cheap to keep in a job's payload)."""

    headers: tuple[tuple[str, str], ...]
    text: str
    html: str

    def message(self) -> EmailMessage:
        """The multipart/alternative message."""
        message = EmailMessage()
        for name, value in self.headers:
            message[name] = value
        message.set_content(self.text)
        message.add_alternative(self.html, subtype="html")
        return message

    def payload(self) -> dict:
        """What an ``email`` job keeps of it (``message_of`` turns it back into the message)."""
        headers = [list(pair) for pair in self.headers]
        return {"headers": headers, "text": self.text, "html": self.html}

    @classmethod
    def from_payload(cls, payload: Mapping) -> RenderedEmail:
        """The rendered message kept by ``payload()``."""
        headers = tuple((str(name), str(value)) for name, value in payload["headers"])
        return cls(headers, str(payload["text"]), str(payload["html"]))


def render_email(
    to: str, subject: str, template: str, *, headers: Mapping[str, str] | None = None, **context
) -> RenderedEmail:
    """Render ``email/<template>.txt`` and ``.html`` and the message's headers (checked)."""
    for value in (to, subject, *(headers or {}).keys(), *(headers or {}).values()):
        if "\n" in value or "\r" in value:
            raise MailError("Email headers may not contain line breaks.")
    if "@" not in parseaddr(to)[1]:
        raise MailError(f"Not an email address: {to!r}")
    config = current_app.config
    context.setdefault("subject", subject)
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", **context)
    sender = config.get("MAIL_DEFAULT_SENDER") or "bookstore@localhost"
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    fields = (
        ("From", sender),
        ("To", to),
        ("Subject", subject),
        ("Date", formatdate(localtime=False)),
        ("Message-ID", make_msgid(domain=domain)),
        *(headers or {}).items(),
    )
    return RenderedEmail(fields, text, html)


def build_email(
    to: str, subject: str, template: str, *, headers: Mapping[str, str] | None = None, **context
) -> EmailMessage:
    """Render ``email/<template>.txt`` and ``.html`` into a multipart/alternative message."""
    return render_email(to, subject, template, headers=headers, **context).message()


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
    job_key: str | None = None,
    **context,
) -> None:
    """Render a message now and queue it as an ``email`` job in the current ``db.session``
    transaction: a worker sends it after the commit (retrying while the server is down); a
    rollback drops it. With ``job_key`` the same message is queued once.

    The job keeps the rendered bodies and headers; the worker builds the MIME message (the
    request does not pay for the ``email`` package's header and body encoding)."""
    rendered = render_email(to, subject, template, headers=headers, **context)
    add_job(EMAIL_JOB, {"to": to, "subject": subject, **rendered.payload()}, key=job_key)


def enqueue_message(
    message: EmailMessage, *, kind: str = EMAIL_JOB, key: str | None = None, **extra
) -> int | None:
    """Queue an already built message as a job of ``kind`` (``extra`` joins its payload)."""
    payload = {
        "to": str(message["To"]),
        "subject": str(message["Subject"]),
        "message": base64.b64encode(message.as_bytes()).decode("ascii"),
        **extra,
    }
    return add_job(kind, payload, key=key)


def message_of(payload: Mapping) -> EmailMessage:
    """The message stored in an email job's payload (its Message-ID fixed when it was
    rendered): built from the rendered parts, or parsed when the payload holds it whole."""
    if "message" not in payload:
        return RenderedEmail.from_payload(payload).message()
    raw = base64.b64decode(payload["message"])
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)  # noqa: S101 (the modern policy builds one)
    return message


def pending_messages() -> list[EmailMessage]:
    """Messages queued in the current, uncommitted transaction (for tests and debugging)."""
    ids = jobs_in_transaction()
    if not ids:
        return []
    rows = db.session.scalars(select(Job).where(Job.id.in_(ids), Job.kind == EMAIL_JOB))
    return [message_of(job.payload) for job in rows]


def job_message_id(job: ClaimedJob) -> str:
    """A Message-ID that stays the same for every attempt of one job (receivers can dedupe)."""
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "bookstore@localhost"
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    secret = str(current_app.config["SECRET_KEY"]).encode()
    tag = hmac.new(secret, f"job:{job.id}".encode(), hashlib.sha256).hexdigest()[:20]
    return f"<job-{job.id}.{tag}@{domain}>"


def deliver_job_message(message: EmailMessage) -> str:
    """Send a message from a job: refused addresses are final, anything else is retried."""
    try:
        return deliver(message, Transport.from_config(current_app.config))
    except smtplib.SMTPRecipientsRefused as refused:
        raise PermanentJobError(f"The mail server refused {message['To']}: {refused}") from None


@job_handler(EMAIL_JOB)
def _send_email_job(payload: dict, job: ClaimedJob) -> None:
    deliver_job_message(message_of(payload))


@contextmanager
def shop_urls() -> Iterator[None]:
    """Let ``url_for(..., _external=True)`` work in a worker (links from ``SHOP_BASE_URL``)."""
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        yield
        return
    base = current_app.config.get("SHOP_BASE_URL") or DEFAULT_BASE_URL
    with current_app.test_request_context(base_url=base):
        yield
