"""``flask digest send`` and ``flask digest preview``."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import render_template
from flask.cli import with_appcontext

from bookstore.dbtypes import utcnow
from bookstore.digest.builder import build_digest, week_of
from bookstore.digest.sender import (
    dry_run,
    due_subscribers,
    render_context,
    send_digest,
    shop_urls,
    stuck_in_sending,
    unsent_copies,
)
from bookstore.errors import BookstoreError

digest_cli = click.Group("digest", help="The weekly email digest.")

WEEK_HELP = "ISO week, like 2026-W48 (default: this week)."
STUCK_SHOWN = 5


def _digest(week: str | None):
    now = utcnow()
    try:
        return build_digest(week or week_of(now), now), now
    except BookstoreError as error:
        raise click.BadParameter(str(error), param_hint="--week") from None


def _warn_stuck(week: str) -> None:
    # A copy's claim and its job are written together; a claim with no job on its way is one
    # the job gave up on (see "Failed jobs" in the back office) or one older than the queue.
    stuck = stuck_in_sending(week)
    if not stuck:
        return
    shown = ", ".join(stuck[:STUCK_SHOWN])
    more = f" and {len(stuck) - STUCK_SHOWN} more" if len(stuck) > STUCK_SHOWN else ""
    click.echo(
        f"{week}: {len(stuck)} copy(ies) stuck in 'sending': claimed, but not sent and not "
        "queued for sending (given up after repeated failures, or claimed before the job "
        f"queue). Check the mail server's log and the failed jobs for {shown}{more}."
    )


@digest_cli.command("send")
@click.option("--week", help=WEEK_HELP)
@click.option("--dry-run", "dry", is_flag=True, help="Say who would get it; send nothing.")
@with_appcontext
def send_command(week: str | None, dry: bool) -> None:
    """Send the week's digest to every confirmed subscriber who has not had it yet."""
    digest, now = _digest(week)
    if dry:
        members, others = dry_run(digest, now)
        click.echo(
            f"Dry run for {digest.week}: would send to {members + others} subscriber(s) "
            f"({members} member(s) with deal details, {others} with the join teaser). "
            "Nothing sent."
        )
        _warn_stuck(digest.week)
        return
    total = len(due_subscribers(digest.week)) + len(unsent_copies(digest.week))
    # The bar draws only on a terminal; elsewhere click prints just the label.
    bar = click.progressbar(length=total, label=f"Sending {digest.week}", file=sys.stderr)
    with bar, _quiet_mail_log():
        report = send_digest(digest, now, on_progress=bar.update)
    click.echo(
        f"{digest.week}: sent {report.sent}, already had it {report.skipped}, "
        f"failed {len(report.failed)}."
    )
    _warn_stuck(digest.week)
    if report.stopped:
        raise click.ClickException(
            f"Stopped: the mail server failed ({report.stopped}). "
            "Run the same command again to send the rest now (the job worker also keeps "
            "trying them); nobody gets it twice."
        )


@contextmanager
def _quiet_mail_log() -> Iterator[None]:
    """No line per copy sent while the bar is drawn (the summary counts them); failures
    are still logged."""
    mail_log = logging.getLogger("bookstore.mail")

    def quiet(record: logging.LogRecord) -> bool:
        return record.levelno > logging.INFO

    mail_log.addFilter(quiet)
    try:
        yield
    finally:
        mail_log.removeFilter(quiet)


@digest_cli.command("preview")
@click.option("--week", help=WEEK_HELP)
@click.option("--member/--non-member", default=True, help="Show the members' deals or the teaser.")
@click.option("--text", is_flag=True, help="The plain-text version instead of the HTML.")
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file."
)
@with_appcontext
def preview_command(week: str | None, member: bool, text: bool, output: Path | None) -> None:
    """Render the week's digest (HTML by default) without sending it."""
    digest, _ = _digest(week)
    with shop_urls():
        page = render_template(
            f"email/digest.{'txt' if text else 'html'}",
            subject=digest.title,
            **render_context(digest, is_member=member, unsubscribe=None),
        )
    if output:
        output.write_text(page, encoding="utf-8")
        click.echo(f"Wrote the {digest.week} digest to {output}.")
    else:
        click.echo(page)
