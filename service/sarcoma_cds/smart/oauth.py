"""SMART App Launch 2.0, client side: discovery, the authorization request, the code exchange.

authlib builds the authorization URL with the PKCE S256 challenge and performs the token request
(public client, or confidential with a client secret); this module decides what to ask for and
checks what comes back. Nothing here logs or returns a token except to the session store.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import authlib.deprecate  # noqa: F401 - installs its "always" filter first: ours below wins
import httpx
from authlib.common.security import generate_token

from sarcoma_cds.fhir.prefetch_templates import PREFETCH_TEMPLATES, resource_type_of
from sarcoma_cds.settings import Settings

if TYPE_CHECKING:
    from authlib.integrations.httpx_client import AsyncOAuth2Client

SMART_CONFIGURATION = "/.well-known/smart-configuration"
# Exactly the resource types the service reads (its prefetch templates).
RESOURCE_TYPES = tuple(sorted({resource_type_of(t) for t in PREFETCH_TEMPLATES.values()}))
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
MAX_CONFIGURATION_BYTES = 256 * 1024


class LaunchError(Exception):
    """A launch that cannot go on; `title` and `message` are shown to the user as they are (they
    carry no token and no patient data)."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


@dataclass(frozen=True)
class SmartConfiguration:
    authorization_endpoint: str
    token_endpoint: str


@dataclass(frozen=True)
class GrantedToken:
    access_token: str
    expires_in: int | None
    patient_id: str
    scope: str


def requested_scope(ehr_launch: bool) -> str:
    """`launch` (EHR launch) or `launch/patient` (standalone), identity, and patient-level read
    and search (SMART v2 `.rs`) of exactly the resource types the service reads."""
    context = "launch" if ehr_launch else "launch/patient"
    reads = [f"patient/{t}.rs" for t in RESOURCE_TYPES]
    return " ".join([context, "openid", "fhirUser", *reads])


def grants_read(scope: str, resource_type: str) -> bool:
    """Does a granted scope string allow reading and searching `resource_type`? SMART v2
    (`patient/Condition.rs`, `.cruds`, `patient/*.rs`) and v1 (`patient/Condition.read`,
    `patient/*.read`, `.*`) are both accepted; `user/` scopes cover the patient too."""
    for item in scope.split():
        level, _, rest = item.partition("/")
        if level not in ("patient", "user") or "." not in rest:
            continue
        rtype, _, access = rest.partition(".")
        if rtype not in (resource_type, "*"):
            continue
        if access in ("read", "*"):
            return True
        if re.fullmatch(r"c?r?u?d?s?", access) and "r" in access and "s" in access:
            return True
    return False


def check_url(url: str, what: str, development: bool) -> httpx.URL:
    """An absolute https URL (plain http only on loopback in development), no user or fragment."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise LaunchError(400, "Invalid launch", f"{what} is not a valid URL") from None
    if not parsed.host or parsed.userinfo or parsed.fragment:
        raise LaunchError(400, "Invalid launch", f"{what} must be an absolute URL")
    if parsed.scheme == "https":
        return parsed
    if parsed.scheme == "http" and development and parsed.host in _LOOPBACK:
        return parsed
    raise LaunchError(400, "Invalid launch", f"{what} must be an https:// URL")


async def discover(client: httpx.AsyncClient, iss: str, development: bool) -> SmartConfiguration:
    """Read `{iss}/.well-known/smart-configuration`."""
    url = iss.rstrip("/") + SMART_CONFIGURATION
    try:
        response = await client.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise LaunchError(
            502,
            "EHR unreachable",
            f"cannot read the EHR's SMART configuration ({type(exc).__name__})",
        ) from None
    if response.status_code != 200 or len(response.content) > MAX_CONFIGURATION_BYTES:
        raise LaunchError(
            502,
            "EHR not SMART-enabled",
            f"the EHR's {SMART_CONFIGURATION} answered {response.status_code}",
        )
    try:
        document: Any = response.json()
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise LaunchError(502, "EHR not SMART-enabled", "the SMART configuration is not JSON")
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint"):
        value = document.get(name)
        if not isinstance(value, str):
            raise LaunchError(
                502, "EHR not SMART-enabled", f"the SMART configuration has no {name}"
            )
        endpoints[name] = str(check_url(value, name, development))
    methods = document.get("code_challenge_methods_supported")
    if isinstance(methods, list) and "S256" not in methods:
        raise LaunchError(
            502, "EHR not supported", "the EHR's authorization server does not offer PKCE S256"
        )
    return SmartConfiguration(**endpoints)


def new_verifier() -> str:
    return str(generate_token(64))  # 64 characters of [A-Za-z0-9]: ~380 bits (RFC 7636: 43-128)


def new_state() -> str:
    return str(generate_token(32))  # ~190 bits


def _client(settings: Settings, redirect_uri: str) -> AsyncOAuth2Client:
    # Imported on the first launch, not at start-up: authlib's OAuth client stack is ~12 MB of
    # every worker's memory, and most calls are CDS Hooks calls that never launch (issue 18).
    with warnings.catch_warnings():
        # authlib 1.7+ warns that its httpx integration will move to the httpx2 fork; it works
        # with httpx, which the rest of the service uses, and the warning would print each time.
        warnings.simplefilter("ignore", DeprecationWarning)
        from authlib.integrations.httpx_client import AsyncOAuth2Client

    secret = settings.smart_client_secret
    return AsyncOAuth2Client(
        client_id=settings.smart_client_id,
        client_secret=secret.get_secret_value() if secret else None,
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        code_challenge_method="S256",
        redirect_uri=redirect_uri,
        timeout=settings.fetch_timeout_seconds * 5,
        follow_redirects=False,
    )


async def authorization_url(
    settings: Settings,
    config: SmartConfiguration,
    redirect_uri: str,
    *,
    iss: str,
    launch: str | None,
    state: str,
    verifier: str,
) -> str:
    extra = {"aud": iss, **({"launch": launch} if launch else {})}
    async with _client(settings, redirect_uri) as client:
        url, _ = client.create_authorization_url(
            config.authorization_endpoint,
            state=state,
            code_verifier=verifier,
            scope=requested_scope(ehr_launch=launch is not None),
            **extra,
        )
    return str(url)


async def exchange_code(
    settings: Settings, token_endpoint: str, redirect_uri: str, code: str, verifier: str
) -> GrantedToken:
    async with _client(settings, redirect_uri) as client:
        try:
            token = await client.fetch_token(
                token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=verifier,
            )
        except httpx.HTTPError as exc:
            raise LaunchError(
                502, "EHR unreachable", f"the token request failed ({type(exc).__name__})"
            ) from None
        except Exception as exc:  # authlib's OAuthError and malformed answers alike
            error = getattr(exc, "error", None) or type(exc).__name__
            raise LaunchError(
                401, "Authorization refused", f"the EHR refused the token request ({error})"
            ) from None
    return _granted(dict(token))


def _granted(token: dict[str, Any]) -> GrantedToken:
    access = token.get("access_token")
    if not isinstance(access, str) or not access:
        raise LaunchError(502, "Authorization failed", "the token response has no access token")
    if str(token.get("token_type", "")).lower() != "bearer":
        raise LaunchError(502, "Authorization failed", "the token is not a Bearer token")
    patient = token.get("patient")
    if not isinstance(patient, str) or not _FHIR_ID.fullmatch(patient):
        raise LaunchError(
            400, "No patient in context", "the EHR did not name a patient for this launch"
        )
    scope = token.get("scope")
    scope = scope if isinstance(scope, str) else ""
    if scope and not grants_read(scope, "Condition"):
        raise LaunchError(
            403,
            "Access not granted",
            "the EHR did not grant read access to the patient's conditions (patient/Condition.rs)",
        )
    expires = token.get("expires_in")
    return GrantedToken(
        access_token=access,
        expires_in=int(expires) if isinstance(expires, int) and expires > 0 else None,
        patient_id=patient,
        scope=scope,
    )
