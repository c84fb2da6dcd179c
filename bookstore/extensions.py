"""Unbound extension objects, bound to the app in ``create_app``."""

from typing import TYPE_CHECKING

from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from bookstore.login_manager import ShopLoginManager
from bookstore.rate_limiter import ShopLimiter

# Stable constraint names, so that migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
# The models' base class. ``class Cart(Model)`` is ``class Cart(db.Model)`` to Python; a type
# checker cannot follow an attribute of an instance as a base class, so it is shown ``Base``.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = ShopLoginManager()
csrf = CSRFProtect()
limiter = ShopLimiter(key_func=get_remote_address)
