"""The API's error shapes: one exception carries status, type, message and headers.

Every error the server answers, whether from validation, authentication, an unknown
route or an injected fault, goes through :class:`APIError`, so the JSON body and the
headers (``request-id``, ``retry-after``, ``x-should-retry``) are the same everywhere:
``{"type": "error", "error": {"type": ..., "message": ...}, "request_id": ...}``.
"""

from __future__ import annotations

from typing import Any

# Status code -> the API's error type (see the API reference, "Errors").
ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    408: "timeout_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}

DEFAULT_MESSAGES: dict[int, str] = {
    400: "Invalid request",
    401: "invalid x-api-key",
    402: "Your credit balance is too low to access the Anthropic API.",
    403: "Your API key does not have permission to use the specified resource.",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timed out",
    413: "Request exceeds the maximum allowed number of bytes.",
    429: "Number of request tokens has exceeded your per-minute rate limit "
    "(offline server: injected fault)",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
    529: "Overloaded",
}


class APIError(Exception):
    """An error answered with the API's JSON body and status code."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        error_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.error_type = error_type or ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
        self.message = message or DEFAULT_MESSAGES.get(status, "Error")
        self.headers = dict(headers or {})
        super().__init__(f"{status} {self.error_type}: {self.message}")

    def body(self, request_id: str) -> dict[str, Any]:
        return {
            "type": "error",
            "error": {"type": self.error_type, "message": self.message},
            "request_id": request_id,
        }

    @property
    def should_retry(self) -> bool:
        """What the API says in ``x-should-retry``: rate limits and server errors are retryable."""
        return self.status in (408, 409, 429) or self.status >= 500


def invalid(message: str) -> APIError:
    """A 400 ``invalid_request_error``, the answer to every malformed request."""
    return APIError(400, message)
