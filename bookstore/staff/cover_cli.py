"""``flask covers import DIR`` and ``flask covers fetch``: covers in bulk from a terminal."""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from bookstore.extensions import db

covers_cli = click.Group("covers", help="Load book covers in bulk (by ISBN).")


def _print_report(report) -> None:
    for what, why in report.refused[:200]:
        click.echo(f"  refused {what}: {why}", err=True)
    if len(report.refused) > 200:
        click.echo(f"  ... and {len(report.refused) - 200} more refused", err=True)
    click.echo(report.summary() + ".")


@covers_cli.command("import")
@click.argument(
    "folder", type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="DIR"
)
@click.option("--keep-existing", is_flag=True, help="Leave books that already have a cover alone.")
@with_appcontext
def import_command(folder: Path, keep_existing: bool) -> None:
    """Load the images in DIR named by ISBN-13 (9781880100011.jpg) as their books' covers."""
    from bookstore.staff.cover_loading import import_folder

    count = sum(1 for _ in folder.iterdir())
    with click.progressbar(length=count, label="Covers", file=sys.stderr) as bar:
        report = import_folder(
            db.session(),
            folder,
            Path(current_app.config["COVER_DIR"]),
            max_bytes=int(current_app.config["MAX_CONTENT_LENGTH"]),
            replace=not keep_existing,
            progress=bar.update,
        )
    _print_report(report)
    if report.refused and not report.loaded:
        raise SystemExit(1)


@covers_cli.command("fetch")
@click.option("--url", "url_template", help="Address with {isbn} (default: COVER_FETCH_URL).")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many books.")
@click.option("--timeout", type=click.FloatRange(min=0.1), help="Seconds per request.")
@with_appcontext
def fetch_command(url_template: str | None, limit: int | None, timeout: float | None) -> None:
    """Fetch a cover by ISBN for every book that has none (from Open Library by default)."""
    from bookstore.errors import InvalidInput
    from bookstore.staff.cover_loading import books_without_cover, fetch_missing

    config = current_app.config
    template = url_template or config["COVER_FETCH_URL"]
    click.echo(f"Fetching missing covers from {template} ...")
    wanted = books_without_cover(db.session(), limit)
    try:
        with click.progressbar(length=len(wanted), label="Covers", file=sys.stderr) as bar:
            report = fetch_missing(
                db.session(),
                wanted,
                template,
                Path(config["COVER_DIR"]),
                max_bytes=int(config["MAX_CONTENT_LENGTH"]),
                timeout=timeout or float(config["COVER_FETCH_TIMEOUT"]),
                progress=bar.update,
            )
    except InvalidInput as exc:
        raise click.ClickException(str(exc)) from None
    _print_report(report)
