"""``flask deals ...``: create and list member deals until the staff screens exist."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import or_, select

from bookstore.catalog.models import Book, Edition, Format, Subject
from bookstore.dbtypes import utcnow
from bookstore.deals.models import DealKind, DealScope
from bookstore.deals.services import DealSpec, all_deals, create_deal
from bookstore.errors import BookstoreError
from bookstore.extensions import db
from bookstore.money import format_cents, parse_amount

deals_cli = click.Group("deals", help="Member-only deals.")

WHEN = click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])


def parse_percent(text: str) -> int:
    """'15', '15%' or '12.5' as basis points (1500, 1500, 1250)."""
    cleaned = text.strip().removesuffix("%").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not a percentage: {text!r}") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise ValueError(f"use at most two decimals: {text!r}")
    return int(value * 100)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _targets(scope: DealScope, names: tuple[str, ...]) -> dict[str, Any]:
    """Turn the --target values (ISBNs, book slugs, subject slugs or names, formats) into ids."""
    found: list[Any] = []
    for name in names:
        name = name.strip()
        row: int | Format | None
        if scope is DealScope.EDITIONS:
            row = db.session.scalar(
                select(Edition.id).where(Edition.isbn13 == name.replace("-", ""))
            )
        elif scope is DealScope.BOOKS:
            row = db.session.scalar(select(Book.id).where(Book.slug == name))
        elif scope is DealScope.SUBJECTS:
            row = db.session.scalar(
                select(Subject.id).where(or_(Subject.slug == name, Subject.name == name))
            )
        elif scope is DealScope.FORMATS:
            row = Format(name) if name in {f.value for f in Format} else None
        else:
            raise click.BadParameter("a whole-order deal takes no --target", param_hint="--target")
        if row is None:
            raise click.BadParameter(
                f"no {scope.value[:-1]} called {name!r}", param_hint="--target"
            )
        found.append(row)
    key = {
        DealScope.EDITIONS: "edition_ids",
        DealScope.BOOKS: "book_ids",
        DealScope.SUBJECTS: "subject_ids",
        DealScope.FORMATS: "formats",
    }.get(scope)
    return {key: tuple(found)} if key else {}


@deals_cli.command("create")
@click.option("--title", required=True)
@click.option("--description", default="", help="One or two sentences shown on the deals page.")
@click.option("--kind", type=click.Choice([k.value for k in DealKind]), required=True)
@click.option(
    "--value",
    required=True,
    help="Percent for percent_off ('15' or '12.5%'), dollars for amount_off and fixed_price.",
)
@click.option(
    "--scope", type=click.Choice([s.value for s in DealScope]), default="order", show_default=True
)
@click.option(
    "--target",
    "targets",
    multiple=True,
    help="Repeatable: ISBN (editions), book slug (books), subject (subjects), format (formats).",
)
@click.option("--starts", type=WHEN, help="Start, UTC (default: now).")
@click.option("--ends", type=WHEN, required=True, help="End, UTC (the deal is closed from then).")
@click.option("--limit", type=click.IntRange(min=1), help="Total claims (default: unlimited).")
@click.option("--min-order", default="0", help="Minimum order in dollars.")
@click.option("--stacks", is_flag=True, help="May be combined with other stacking deals.")
@with_appcontext
def create_command(
    title: str,
    description: str,
    kind: str,
    value: str,
    scope: str,
    targets: tuple[str, ...],
    starts: datetime | None,
    ends: datetime,
    limit: int | None,
    min_order: str,
    stacks: bool,
) -> None:
    """Create a member deal."""
    kind, scope = DealKind(kind), DealScope(scope)
    try:
        amount = parse_percent(value) if kind is DealKind.PERCENT_OFF else parse_amount(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--value") from None
    try:
        minimum = parse_amount(min_order)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--min-order") from None
    spec = DealSpec(
        title=title,
        description=description,
        kind=kind,
        value=amount,
        scope=scope,
        starts_at=_utc(starts) if starts else utcnow(),
        ends_at=_utc(ends),
        min_order_cents=minimum,
        total_claims=limit,
        stacks_with_others=stacks,
        **_targets(scope, targets),
    )
    try:
        deal = create_deal(spec, actor=None)
    except BookstoreError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created deal {deal.id} “{deal.title}” ({deal.offer_label}), slug {deal.slug}.")


@deals_cli.command("list")
@with_appcontext
def list_command() -> None:
    """List every deal with its window and claims."""
    now = utcnow()
    deals = all_deals()
    if not deals:
        click.echo("No deals yet: create one with `flask deals create`.")
        return
    for deal in deals:
        state = "open" if deal.is_open(now) else ("upcoming" if now < deal.starts_at else "ended")
        claims = (
            "unlimited"
            if not deal.is_limited
            else f"{deal.remaining_claims}/{deal.total_claims} left"
        )
        minimum = f", min {format_cents(deal.min_order_cents)}" if deal.min_order_cents else ""
        click.echo(
            f"{deal.id:>4}  {state:<8}  {deal.title} — {deal.offer_label} on {deal.scope.value}"
            f"{minimum}; {deal.starts_at:%Y-%m-%d %H:%M} to {deal.ends_at:%Y-%m-%d %H:%M} UTC; "
            f"{claims}{'; stacks' if deal.stacks_with_others else ''}"
        )
