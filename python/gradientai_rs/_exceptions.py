"""Exceptions, with the SDK's names and hierarchy (``do_gradientai._exceptions``).

Raised from Rust (``src/py/errors.rs`` maps each core error onto one of these classes and builds its message). Every exception pickles (``__reduce__`` keeps all attributes).
"""

from __future__ import annotations

from typing import Any, Dict, Optional

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AccountError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "GradientAIError",
    "InsecureTLSWarning",
    "InternalServerError",
    "ListingChangedWarning",
    "MissingAPIKeyError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
]


def _rebuild(cls: "type[GradientAIError]", message: str, state: Dict[str, Any]) -> "GradientAIError":
    obj = cls.__new__(cls)
    Exception.__init__(obj, message)
    obj.__dict__.update(state)
    return obj


class GradientAIError(Exception):
    """Root of every error this package raises about the API."""

    def __reduce__(self) -> Any:
        message = self.args[0] if self.args else ""
        return (_rebuild, (type(self), message, dict(self.__dict__)))


class MissingAPIKeyError(GradientAIError, TypeError):
    """No token: neither ``api_key``/``access_token`` nor DIGITALOCEAN_ACCESS_TOKEN / GRADIENTAI_API_KEY.

    A ``TypeError`` too, as the SDK raises ``TypeError`` here."""


class ClientClosedError(GradientAIError, RuntimeError):
    """A request was made on a client after ``close()``."""


class APIError(GradientAIError):
    """An error about one request. ``body`` is the parsed JSON body, the raw text, or ``None``."""

    message: str
    body: object
    request: object = None
    method: Optional[str] = None
    url: Optional[str] = None
    request_id: Optional[str] = None
    headers: Dict[str, str]
    page: Optional[int] = None
    """For ``list_all``: the page whose request failed."""
    rate_limit: Any = None
    """The ``ratelimit-*`` headers of the answer, as a :class:`gradientai_rs.RateLimit`, when it had them."""

    def __init__(self, message: str, request: object = None, *, body: object = None, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.request = request
        self.body = body
        self.headers = {}
        self.code = self.param = self.type = None
        if isinstance(body, dict):
            self.code = body.get("id")
        for name, value in fields.items():
            setattr(self, name, value)


class APIStatusError(APIError):
    """The server answered with a status outside 2xx."""

    status_code: int
    retries_taken: int = 0

    def __init__(
        self, message: str, *, response: object = None, body: object = None, status_code: int = 0, **fields: Any
    ) -> None:
        super().__init__(message, None, body=body, status_code=status_code, response=response, **fields)


class BadRequestError(APIStatusError):
    status_code = 400


class AuthenticationError(APIStatusError):
    status_code = 401


class PermissionDeniedError(APIStatusError):
    status_code = 403


class NotFoundError(APIStatusError):
    status_code = 404


class ConflictError(APIStatusError):
    status_code = 409


class UnprocessableEntityError(APIStatusError):
    status_code = 422


class RateLimitError(APIStatusError):
    """429, or a ``list_all`` that would exceed the hourly quota (``reset`` says when it refills)."""

    status_code = 429
    reset: Optional[int] = None


class InternalServerError(APIStatusError):
    """Any status >= 500."""


class APIConnectionError(APIError):
    def __init__(self, message: str = "Connection error.", request: object = None, **fields: Any) -> None:
        super().__init__(message, request, body=None, **fields)


class APITimeoutError(APIConnectionError, TimeoutError):
    """The request (with its body) did not finish within ``timeout``. Also a builtin ``TimeoutError``."""

    def __init__(self, message: str = "Request timed out.", request: object = None, **fields: Any) -> None:
        super().__init__(message, request, **fields)


class APIResponseValidationError(APIError):
    """A 2xx answer whose body is not the JSON the API documents. ``body`` is an excerpt of it."""

    status_code: int

    def __init__(
        self,
        message: str = "Data returned by API invalid for expected schema.",
        *,
        body: object = None,
        status_code: int = 200,
        **fields: Any,
    ) -> None:
        super().__init__(message, None, body=body, status_code=status_code, **fields)


class ListingChangedWarning(UserWarning):
    """``list_all`` saw the account change on every attempt; the result is deduplicated but may be off."""


class InsecureTLSWarning(UserWarning):
    """A client was built with ``verify=False``: server certificates are not checked."""


class AccountError(GradientAIError):
    """One account of ``list_all_accounts`` failed: ``account`` names it, ``cause`` (also ``__cause__``) is the
    error."""

    def __init__(self, account: str, cause: BaseException) -> None:
        super().__init__(f"account {account!r}: {type(cause).__name__}: {cause}")
        self.account = account
        self.cause = cause
