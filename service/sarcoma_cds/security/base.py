"""The contract between the web layer and client authentication."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class AuthenticationError(Exception):
    """The request is not authenticated. The message is for logs only, never the response body;
    it must not contain the token."""


class Authenticator(Protocol):
    def verify(self, authorization: str | None, audience: str) -> Mapping[str, Any]:
        """Check the `Authorization` header value against `audience` (the URL of the endpoint
        being invoked) and return the verified JWT claims; raise AuthenticationError."""
        ...
