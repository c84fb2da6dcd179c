"""The running shop's version, from the installed package's metadata."""

import functools
from importlib.metadata import PackageNotFoundError, version


@functools.cache
def app_version() -> str:
    """The version of the installed ``bookstore`` distribution (``unknown`` when not installed)."""
    try:
        return version("bookstore")
    except PackageNotFoundError:
        return "unknown"
