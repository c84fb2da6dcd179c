"""Stripe-style API errors: ``{"error": {"type", "code", "message", "param"}}`` with a status."""

from typing import Any


class StripeError(Exception):
    """An error answered to the API client in Stripe's JSON shape."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",  # noqa: A002  (Stripe's own field name)
        code: str | None = None,
        param: str | None = None,
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        """The JSON body Stripe sends for this error."""
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        error.update(self.extra)
        return {"error": error}


def missing_param(param: str) -> StripeError:
    """A required parameter was not sent."""
    return StripeError(f"Missing required param: {param}.", code="parameter_missing", param=param)


def invalid_param(param: str, message: str, code: str = "parameter_invalid") -> StripeError:
    """A parameter has a value Stripe would refuse."""
    return StripeError(message, code=code, param=param)


def unknown_param(param: str) -> StripeError:
    """A parameter this endpoint does not take."""
    return StripeError(
        f"Received unknown parameter: {param}", code="parameter_unknown", param=param
    )


def no_such(kind: str, object_id: str, param: str, status: int = 404) -> StripeError:
    """An object id that does not exist (404 on its own URL, 400 when passed as a parameter)."""
    return StripeError(
        f"No such {kind}: '{object_id}'", status=status, code="resource_missing", param=param
    )


def unrecognized_url(method: str, path: str) -> StripeError:
    """A route Stripe does not have (any method on an unknown path)."""
    return StripeError(
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/.",
        status=404,
    )
