"""``flask catalog import|export``: the catalog CSV from a terminal, with a progress bar."""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from bookstore.extensions import db

catalog_cli = click.Group("catalog", help="Import and export the catalog as CSV (by ISBN).")


@catalog_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@with_appcontext
def import_command(path: Path, dry_run: bool) -> None:
    """Create or update books and editions from PATH; a file with bad rows changes nothing."""
    from bookstore.staff.catalog_import import apply_import, plan_import
    from bookstore.staff.cover_images import remove_cover
    from bookstore.staff.cover_loading import apply_csv_covers, stored_name
    from bookstore.staff.csv_format import read_catalog_csv

    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException("The file is not UTF-8 text.") from None
    click.echo(f"Reading {path} ...")
    parsed = read_catalog_csv(text)
    plan = plan_import(parsed)
    if plan.errors:
        for error in plan.errors[:200]:
            click.echo(f"  {error}", err=True)
        if len(plan.errors) > 200:
            click.echo(f"  ... and {len(plan.errors) - 200} more", err=True)
        db.session.rollback()
        raise click.ClickException(f"{len(plan.errors)} problem(s): nothing was imported.")
    click.echo(f"Plan: {plan.summary()}.")
    if dry_run:
        click.echo("Dry run: nothing was changed.")
        return
    covers = _prepare_covers(parsed.rows, base_dir=path.parent)
    total = len(plan.updates) + len(plan.new_editions) + plan.stock_changes
    try:
        with click.progressbar(length=total, label="Importing", file=sys.stderr) as bar:
            apply_import(plan, actor=None, progress=bar.update)
        replaced = apply_csv_covers(db.session(), covers)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        covers.discard(_cover_dir())
        raise
    for name in replaced:
        remove_cover(stored_name(name), _cover_dir())
    click.echo(f"Done{f' ({len(covers.by_isbn)} cover(s))' if covers.by_isbn else ''}.")


def _cover_dir() -> Path:
    return Path(current_app.config["COVER_DIR"])


def _prepare_covers(rows, *, base_dir: Path):
    """The rows' covers fetched and stored before any write; any bad one stops the import."""
    from bookstore.staff.cover_loading import prepare_csv_covers

    if any(row.cover for row in rows):
        click.echo("Loading covers ...")
    db.session.rollback()  # no transaction stays open while covers are downloaded
    covers = prepare_csv_covers(
        rows,
        _cover_dir(),
        base_dir=base_dir,
        max_bytes=int(current_app.config["MAX_CONTENT_LENGTH"]),
        timeout=float(current_app.config["COVER_FETCH_TIMEOUT"]),
    )
    if covers.errors:
        for error in covers.errors[:200]:
            click.echo(f"  {error}", err=True)
        raise click.ClickException(f"{len(covers.errors)} problem(s): nothing was imported.")
    return covers


@catalog_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def export_command(path: Path) -> None:
    """Write the catalog to PATH in the import format."""
    from bookstore.staff.catalog_export import catalog_csv

    with path.open("w", encoding="utf-8", newline="") as out:
        for chunk in catalog_csv():
            out.write(chunk)
    click.echo(f"Wrote {path}.")
