"""The account's saved addresses: list, add, change, delete, make default."""

from __future__ import annotations

from typing import cast

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from bookstore.accounts.models import User
from bookstore.addresses import services
from bookstore.addresses.forms import AddressActionForm, AddressForm
from bookstore.checkout.forms import COUNTRY_NAMES
from bookstore.errors import BookstoreError, NotFound
from bookstore.extensions import db

bp = Blueprint("addresses", __name__)


def init_app(app) -> None:
    """Show the saved addresses on the account page, and put them in the reader's data file."""
    from bookstore.accounts.export import register_export
    from bookstore.accounts.sections import register_account_section

    register_account_section(
        app,
        "addresses/_account_addresses.html",
        lambda user: {"addresses": services.addresses_of(cast(User, user))},
        order=25,
    )
    register_export(app, "addresses", services.addresses_data)


def _me() -> User:
    return cast(User, current_user._get_current_object())


def _mine(address_id: int):
    try:
        return services.address_of(_me(), address_id)
    except NotFound:
        abort(404)


@bp.get("/")
@login_required
def index():
    """The shopper's saved addresses."""
    return render_template(
        "addresses/index.html",
        addresses=services.addresses_of(_me()),
        form=AddressActionForm(),
        country_names=COUNTRY_NAMES,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Add an address."""
    form = AddressForm()
    if form.validate_on_submit():
        try:
            services.save_address(_me(), form.values(), make_default=form.make_default.data)
        except BookstoreError as error:
            db.session.rollback()
            form.ship_name.errors = [*form.ship_name.errors, str(error)]
        else:
            db.session.commit()
            flash("Address saved.", "success")
            return redirect(url_for("addresses.index"), 303)
    status = 400 if form.errors else 200
    return render_template("addresses/form.html", form=form, address=None), status


@bp.route("/<int:address_id>", methods=["GET", "POST"])
@login_required
def edit(address_id: int):
    """Change an address."""
    address = _mine(address_id)
    form = AddressForm(data={**services.checkout_values(address), "make_default": False})
    if form.validate_on_submit():
        try:
            services.update_address(
                _me(), address.id, form.values(), make_default=form.make_default.data
            )
        except BookstoreError as error:
            db.session.rollback()
            form.ship_name.errors = [*form.ship_name.errors, str(error)]
        else:
            db.session.commit()
            flash("Address changed.", "success")
            return redirect(url_for("addresses.index"), 303)
    status = 400 if form.errors else 200
    return render_template("addresses/form.html", form=form, address=address), status


@bp.post("/<int:address_id>/delete")
@login_required
def delete(address_id: int):
    """Forget an address."""
    address = _mine(address_id)
    if not AddressActionForm().validate_on_submit():
        abort(400)
    services.delete_address(_me(), address.id)
    db.session.commit()
    flash("Address deleted.", "success")
    return redirect(url_for("addresses.index"), 303)


@bp.post("/<int:address_id>/default")
@login_required
def make_default(address_id: int):
    """Use this address by default at checkout."""
    address = _mine(address_id)
    if not AddressActionForm().validate_on_submit():
        abort(400)
    services.set_default(_me(), address.id)
    db.session.commit()
    flash("Default address changed.", "success")
    return redirect(url_for("addresses.index"), 303)
