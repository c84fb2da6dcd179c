"""Domain errors raised by services and turned into messages by views."""


class BookstoreError(Exception):
    """Base class: the message is safe to show to the user."""


class NotFound(BookstoreError):
    """The thing asked for does not exist (or is not visible to this actor)."""


class InvalidInput(BookstoreError):
    """A value failed a business rule."""


class InvalidISBN(InvalidInput):
    """Not a valid ISBN-13."""


class OutOfStock(BookstoreError):
    """Not enough copies available."""

    def __init__(self, message: str = "Sorry, that is sold out.", *, edition_id=None):
        super().__init__(message)
        self.edition_id = edition_id


class InvalidTransition(BookstoreError):
    """An order (or other state machine) was asked to make an illegal move."""


class DealUnavailable(BookstoreError):
    """The deal cannot be claimed or applied."""


class DealAlreadyClaimed(DealUnavailable):
    """This member has already claimed the deal."""


class PromoCodeRefused(InvalidInput):
    """A promotion code cannot be used on this order; the message says why."""


class PaymentServiceUnavailable(BookstoreError):
    """Stripe (or the stand-in) did not answer in time."""


class PermissionDenied(BookstoreError):
    """The actor may not do this."""
