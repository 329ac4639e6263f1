"""FHIR Bulk Data Access `$export`, as a client: kick-off, polling, manifest, downloads.

The export of a FHIR base URL is system-level (`[base]/$export`: Medications, which belong to
no patient compartment, come too); `[base]/Patient` exports every patient's compartment, a
Group URL that group (`[base]/Group/id/$export`); a URL ending in `$export` is used as it is.
The types the engine reads are requested with `_type`. Polling follows `Retry-After` (seconds
or a date) and otherwise backs off from 1 s to 30 s; the files are streamed to disk, with the
access token only when the manifest says `requiresAccessToken`. Authorisation, by setting:
none, a static bearer token, or SMART Backend Services (client credentials with a
`private_key_jwt` assertion signed RS384 or ES384, by Authlib; the token endpoint is
discovered from `.well-known/smart-configuration` unless set). A kick-off or status error
from the server is a `BulkExportError` naming the HTTP status and the server's
OperationOutcome diagnostics. Tokens are never printed or logged.

Resuming: the status URL is kept in `DIR/export/status.json` as soon as the server accepts the
kick-off, so an interrupted run polls the same export instead of starting another; a finished
download is marked by `manifest.json` and reused.
"""

from __future__ import annotations

import contextlib
import email.utils
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
import orjson
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from rich.console import Console

from sarcoma_cds.population.candidates import ENGINE_TYPES

FHIR_JSON = "application/fhir+json"
ASSERTION_LIFETIME = 240  # SMART Backend Services: exp at most 5 minutes ahead


class BulkExportError(Exception):
    """The export could not be obtained: a one-line message (exit code 1)."""


class BulkSettings(BaseSettings):
    """`SARCOMA_CDS_BULK_*`: how `screen` authenticates to a FHIR server and how long it waits."""

    model_config = SettingsConfigDict(env_prefix="SARCOMA_CDS_BULK_", extra="ignore")

    auth: Literal["none", "bearer", "smart"] = "none"
    bearer_token: SecretStr | None = None
    client_id: str | None = None
    private_key_file: Path | None = None  # PEM: RSA for RS384, EC P-384 for ES384
    key_id: str | None = None  # `kid` of the key registered with the server
    algorithm: Literal["RS384", "ES384"] = "RS384"
    token_url: str | None = None  # default: discovered from .well-known/smart-configuration
    # The types read, and Group for a Group export.
    scope: str = " ".join(f"system/{t}.read" for t in sorted(ENGINE_TYPES | {"Group"}))
    timeout_seconds: float = 3600.0  # the whole export, kick-off to the last file
    max_poll_seconds: float = 30.0  # the longest wait between two status requests


@dataclass
class ExportLog:
    """What happened, for the tests and the summary line (no tokens, no patient data)."""

    polls: int = 0
    waits: list[float] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    errors: int = 0  # OperationOutcome files the server listed under `error`


def _diagnostics(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason_phrase
    issues = body.get("issue") if isinstance(body, dict) else None
    if isinstance(issues, list):
        texts = [str(i.get("diagnostics") or i.get("code")) for i in issues if isinstance(i, dict)]
        if texts:
            return "; ".join(texts)
    if isinstance(body, dict) and "error" in body:  # an OAuth error
        return f"{body['error']}: {body.get('error_description', '')}".strip(": ")
    return response.reason_phrase


def kickoff_url(source: str) -> tuple[str, str]:
    """(kick-off URL, FHIR base) of a base, Group or `$export` URL (a query string, such as
    `_typeFilter`, stays on the kick-off URL)."""
    url, _, query = source.partition("?")
    url = url.rstrip("/")
    kick, base = _kickoff(url)
    return (f"{kick}?{query}" if query else kick), base


def _kickoff(url: str) -> tuple[str, str]:
    base = url.split("/$export", 1)[0]
    if "/Group/" in base:
        base = base.split("/Group/", 1)[0]
    elif base.endswith("/Patient"):
        base = base[: -len("/Patient")]
    if url.endswith("$export"):
        return url, base
    return f"{url}/$export", base


def retry_after(response: httpx.Response, fallback: float, ceiling: float) -> float:
    """Seconds to wait: the server's Retry-After (delta-seconds or HTTP date), else `fallback`."""
    value = response.headers.get("Retry-After")
    if value:
        if value.strip().isdigit():
            return min(float(value), ceiling)
        when = email.utils.parsedate_to_datetime(value) if value else None
        if when is not None:
            return min(max(0.0, when.timestamp() - time.time()), ceiling)
    return min(fallback, ceiling)


class _Auth:
    """The Authorization header for the FHIR server, fetched (and re-fetched) on demand."""

    def __init__(self, settings: BulkSettings, base: str, http: httpx.Client) -> None:
        self._settings, self._base, self._http = settings, base, http
        self._token: str | None = None

    def headers(self, *, refresh: bool = False) -> dict[str, str]:
        s = self._settings
        if s.auth == "none":
            return {}
        if s.auth == "bearer":
            if s.bearer_token is None:
                raise BulkExportError(
                    "SARCOMA_CDS_BULK_AUTH=bearer needs SARCOMA_CDS_BULK_BEARER_TOKEN"
                )
            return {"Authorization": f"Bearer {s.bearer_token.get_secret_value()}"}
        if self._token is None or refresh:
            self._token = self._smart_token()
        return {"Authorization": f"Bearer {self._token}"}

    def _token_url(self) -> str:
        if self._settings.token_url:
            return self._settings.token_url
        url = f"{self._base}/.well-known/smart-configuration"
        try:
            response = self._http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise BulkExportError(f"{url}: {type(exc).__name__}") from None
        endpoint = response.json().get("token_endpoint") if response.status_code == 200 else None
        if not isinstance(endpoint, str):
            raise BulkExportError(
                f"{url}: no token_endpoint (HTTP {response.status_code}); "
                "set SARCOMA_CDS_BULK_TOKEN_URL"
            )
        return endpoint

    def _smart_token(self) -> str:
        import authlib.deprecate  # noqa: F401 - installs its "always" filter first: ours wins
        from authlib.oauth2.rfc7523 import PrivateKeyJWT

        with warnings.catch_warnings():
            # As in smart/oauth.py: authlib's httpx integration works with httpx; its notice
            # about the httpx2 fork is not for our users.
            warnings.simplefilter("ignore", DeprecationWarning)
            from authlib.integrations.httpx_client import OAuth2Client
        from joserfc.jwk import ECKey, RSAKey

        s = self._settings
        if not s.client_id or s.private_key_file is None:
            raise BulkExportError(
                "SARCOMA_CDS_BULK_AUTH=smart needs SARCOMA_CDS_BULK_CLIENT_ID and "
                "SARCOMA_CDS_BULK_PRIVATE_KEY_FILE"
            )
        try:
            pem = s.private_key_file.read_bytes()
            key = (RSAKey if s.algorithm == "RS384" else ECKey).import_key(pem)
        except (OSError, ValueError) as exc:
            raise BulkExportError(
                f"{s.private_key_file}: not a {s.algorithm} private key ({type(exc).__name__})"
            ) from None
        token_url = self._token_url()
        header = {"typ": "JWT", **({"kid": s.key_id} if s.key_id else {})}

        class _Assertion(PrivateKeyJWT):  # type: ignore[misc]
            """A fresh `exp` within SMART's five minutes for every assertion."""

            def sign(self, auth: Any, token_endpoint: str) -> Any:
                self.claims = {"exp": int(time.time()) + ASSERTION_LIFETIME}
                return super().sign(auth, token_endpoint)

        client = OAuth2Client(
            client_id=s.client_id,
            client_secret=key,
            token_endpoint_auth_method=_Assertion(token_url, headers=header, alg=s.algorithm),
            scope=s.scope,
            timeout=30,
        )
        try:
            with client:
                token = client.fetch_token(token_url, grant_type="client_credentials")
        except Exception as exc:  # authlib raises OAuthError, httpx errors, ValueError
            detail = getattr(exc, "description", None) or getattr(exc, "error", None)
            raise BulkExportError(
                f"SMART Backend Services token from {token_url} refused: "
                f"{detail or type(exc).__name__}"
            ) from None
        access = token.get("access_token")
        if not isinstance(access, str):
            raise BulkExportError(f"{token_url}: the token response has no access_token")
        return access


@dataclass
class _Exporter:
    source: str
    folder: Path
    settings: BulkSettings
    console: Console
    log: ExportLog
    sleep: Callable[[float], None] = time.sleep

    def run(self) -> tuple[Path, frozenset[str]]:
        self.folder.mkdir(parents=True, exist_ok=True)
        done = self.folder / "manifest.json"
        if done.is_file() and orjson.loads(done.read_bytes()).get("source") == self.source:
            self.console.print(f"Export already downloaded in {self.folder}; screening it")
            return self.folder, frozenset(orjson.loads(done.read_bytes())["types"])
        kick, base = kickoff_url(self.source)
        deadline = time.monotonic() + self.settings.timeout_seconds
        with httpx.Client(timeout=60, follow_redirects=False) as http:
            auth = _Auth(self.settings, base, http)
            status_url = self._status_url(http, auth, kick)
            manifest = self._poll(http, auth, status_url, deadline)
            self._download(http, auth, manifest)
            self._release(http, auth, status_url)
        types = sorted(ENGINE_TYPES)
        done.write_bytes(
            orjson.dumps({"source": self.source, "types": types, "manifest": manifest})
        )
        (self.folder / "status.json").unlink(missing_ok=True)
        return self.folder, frozenset(types)

    def _request(
        self, http: httpx.Client, auth: _Auth, method: str, url: str, **kwargs: Any
    ) -> httpx.Response:
        """One request with the server's credentials; a 401 re-fetches a SMART token once."""
        headers = {"Accept": FHIR_JSON, **kwargs.pop("headers", {})}
        try:
            response = http.request(method, url, headers=headers | auth.headers(), **kwargs)
            if response.status_code == 401 and self.settings.auth == "smart":
                response = http.request(
                    method, url, headers=headers | auth.headers(refresh=True), **kwargs
                )
        except httpx.HTTPError as exc:
            raise BulkExportError(f"{url}: {type(exc).__name__} ({exc})") from None
        return response

    def _status_url(self, http: httpx.Client, auth: _Auth, kick: str) -> str:
        saved = self.folder / "status.json"
        if saved.is_file():
            kept = orjson.loads(saved.read_bytes())
            if kept.get("source") == self.source:
                self.console.print("Resuming the export already started on the server")
                return str(kept["status"])
        url = httpx.URL(kick)
        if "_type" not in url.params:  # a _type of the user's own wins
            url = url.copy_add_param("_type", ",".join(sorted(ENGINE_TYPES)))
        response = self._request(http, auth, "GET", str(url), headers={"Prefer": "respond-async"})
        if response.status_code != 202:
            raise BulkExportError(
                f"$export kick-off refused by {kick}: HTTP {response.status_code} "
                f"({_diagnostics(response)})"
            )
        status: str | None = response.headers.get("Content-Location")
        if not status:
            raise BulkExportError(f"$export kick-off at {kick}: no Content-Location in the answer")
        saved.write_bytes(orjson.dumps({"source": self.source, "status": status}))
        return status

    def _poll(
        self, http: httpx.Client, auth: _Auth, status: str, deadline: float
    ) -> dict[str, Any]:
        backoff = 1.0
        with self.console.status("Waiting for the server's export") as shown:
            while True:
                response = self._request(http, auth, "GET", status)
                self.log.polls += 1
                if response.status_code == 200:
                    manifest = response.json()
                    if not isinstance(manifest, dict) or not isinstance(
                        manifest.get("output"), list
                    ):
                        raise BulkExportError(f"{status}: the manifest has no output list")
                    return manifest
                if response.status_code not in (202, 429):
                    if response.status_code in (404, 410):
                        (self.folder / "status.json").unlink(missing_ok=True)
                    raise BulkExportError(
                        f"the export failed on the server: HTTP {response.status_code} "
                        f"({_diagnostics(response)})"
                    )
                wait = retry_after(response, backoff, self.settings.max_poll_seconds)
                backoff = min(backoff * 1.5, self.settings.max_poll_seconds)
                if time.monotonic() + wait > deadline:
                    raise BulkExportError(
                        f"the export did not finish within {self.settings.timeout_seconds:.0f} s "
                        "(SARCOMA_CDS_BULK_TIMEOUT_SECONDS); run again to resume polling it"
                    )
                progress = response.headers.get("X-Progress", "in progress")
                shown.update(f"Waiting for the server's export: {progress[:60]}")
                self.log.waits.append(wait)
                self.sleep(wait)

    def _download(self, http: httpx.Client, auth: _Auth, manifest: dict[str, Any]) -> None:
        with_token = bool(manifest.get("requiresAccessToken"))
        outputs = [o for o in manifest["output"] if isinstance(o, dict) and o.get("url")]
        errors = [o for o in manifest.get("error") or [] if isinstance(o, dict) and o.get("url")]
        for i, item in enumerate(outputs):
            name = f"{i:04d}-{item.get('type') or 'export'!s}.ndjson"
            self._fetch_file(http, auth, str(item["url"]), self.folder / name, with_token)
        self.log.errors = len(errors)
        for i, item in enumerate(errors):
            target = self.folder / "errors" / f"{i:04d}-OperationOutcome.ndjson"
            target.parent.mkdir(exist_ok=True)
            self._fetch_file(http, auth, str(item["url"]), target, with_token)

    def _fetch_file(
        self, http: httpx.Client, auth: _Auth, url: str, target: Path, with_token: bool
    ) -> None:
        headers = {"Accept": "application/fhir+ndjson"} | (auth.headers() if with_token else {})
        partial = target.with_name(target.name + ".part")
        try:
            with http.stream("GET", url, headers=headers) as response:
                if response.status_code != 200:
                    response.read()
                    raise BulkExportError(
                        f"download of {urlsplit(url).path} failed: HTTP {response.status_code} "
                        f"({_diagnostics(response)})"
                    )
                with partial.open("wb") as f:
                    for block in response.iter_bytes(1 << 20):
                        f.write(block)
                        self.log.bytes += len(block)
        except httpx.HTTPError as exc:
            raise BulkExportError(
                f"download of {urlsplit(url).path}: {type(exc).__name__}"
            ) from None
        partial.replace(target)
        self.log.files += 1

    def _release(self, http: httpx.Client, auth: _Auth, status: str) -> None:
        """Tell the server the files are no longer needed (Bulk Data: DELETE the status URL)."""
        with contextlib.suppress(BulkExportError):  # a courtesy: the files are safe on disk
            self._request(http, auth, "DELETE", status)


def export_to_folder(
    source: str,
    folder: Path,
    console: Console,
    settings: BulkSettings | None = None,
    log: ExportLog | None = None,
) -> tuple[Path, frozenset[str]]:
    """Run (or resume) the export of `source` into `folder`; return the folder and the resource
    types requested (a requested type without a file is a known "none")."""
    exporter = _Exporter(source, folder, settings or BulkSettings(), console, log or ExportLog())
    return exporter.run()
