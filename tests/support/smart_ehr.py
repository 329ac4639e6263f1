"""A test EHR for SMART App Launch: an OAuth 2 authorization server built on authlib, and a FHIR
endpoint in front of a real sekmet-fhir server, on a free loopback port.

- `{base}/fhir/.well-known/smart-configuration`: the EHR's SMART configuration (iss = `{base}/fhir`)
- `{base}/other/.well-known/smart-configuration`: another "iss" whose configuration points to the
  same authorization server, which refuses it as the `aud` (a server serves its own FHIR base only)
- `{base}/authorize`, `{base}/token`: authlib's authorization-code grant with PKCE (RFC 7636,
  required, S256 only), registered redirect URIs, `aud` and `launch` checked; the "user" is always
  signed in and consents, as in a sandbox
- `{base}/fhir/...`: accepts only unexpired tokens this server issued, for the token's patient,
  and forwards the read to sekmet-fhir with sekmet's own token
- `{base}/ehr/open?patient=ID&app=URL`: what the EHR does when a clinician opens the card's
  `smart` link: a launch id for the patient, then the browser goes to `{app}?iss=…&launch=…`
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from tests.support.fhir_server import FhirServer
from tests.support.serve import free_port, serve_in_thread


@dataclass
class Client(ClientMixin):  # type: ignore[misc]
    client_id: str
    redirect_uris: list[str]
    secret: str | None = None

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris  # exact match, as SMART requires

    def check_client_secret(self, client_secret: str) -> bool:
        return self.secret is not None and secrets.compare_digest(client_secret, self.secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if endpoint != "token":
            return True
        return method == ("client_secret_basic" if self.secret else "none")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None
    patient: str
    expires_at: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> None:
        return None

    def get_auth_time(self) -> int:
        return int(time.time())


@dataclass
class Issued:
    patient: str
    expires_at: float


@dataclass
class SmartEhr:
    """The state of the test EHR, shared by its routes; tests read and change it."""

    fhir: FhirServer
    base_url: str = ""
    clients: dict[str, Client] = field(default_factory=dict)
    launches: dict[str, str] = field(default_factory=dict)  # launch id -> patient id
    codes: dict[str, Code] = field(default_factory=dict)
    tokens: dict[str, Issued] = field(default_factory=dict)
    token_seconds: int = 300
    standalone_patient: str | None = None  # the patient a standalone launch "picks"
    token_requests: list[dict[str, str]] = field(default_factory=list)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)

    @property
    def iss(self) -> str:
        return f"{self.base_url}/fhir"

    @property
    def other_iss(self) -> str:
        return f"{self.base_url}/other"

    def new_launch(self, patient: str) -> str:
        launch = secrets.token_urlsafe(16)
        self.launches[launch] = patient
        return launch

    def register(self, client_id: str, redirect_uri: str, secret: str | None = None) -> None:
        self.clients[client_id] = Client(client_id, [redirect_uri], secret)


class _Request(OAuth2Request):  # type: ignore[misc]
    def __init__(self, request: Request, form: dict[str, str]) -> None:
        super().__init__(request.method, str(request.url), headers=request.headers)
        self._args = dict(request.query_params)
        self._form = form
        self.payload = BasicOAuth2Payload({**self._args, **form})

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _SmartContext:
    """authlib grant extension: SMART's `aud` must be this server's FHIR base, and an EHR launch
    id must be one this EHR issued."""

    def __init__(self, ehr: SmartEhr) -> None:
        self.ehr = ehr

    def __call__(self, grant: AuthorizationCodeGrant) -> None:
        grant.register_hook("after_validate_authorization_request_payload", self.validate)

    def validate(self, grant: AuthorizationCodeGrant, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if data.get("aud") != self.ehr.iss:
            raise InvalidRequestError("'aud' is not this server's FHIR base URL")
        scopes = (data.get("scope") or "").split()
        launch = data.get("launch")
        if "launch" in scopes and launch not in self.ehr.launches:
            raise InvalidRequestError("unknown 'launch'")
        if "launch" not in scopes and "launch/patient" not in scopes:
            raise InvalidRequestError("no launch context requested")


def _grant_class(ehr: SmartEhr) -> type[AuthorizationCodeGrant]:
    class Grant(AuthorizationCodeGrant):  # type: ignore[misc]
        TOKEN_ENDPOINT_AUTH_METHODS = ("none", "client_secret_basic")

        def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
            data = request.payload.data
            launch = data.get("launch")
            patient = ehr.launches.get(launch) if launch else ehr.standalone_patient
            assert patient is not None, "the test set no patient for a standalone launch"
            ehr.codes[code] = Code(
                code=code,
                client_id=request.client.client_id,
                redirect_uri=data.get("redirect_uri", ""),
                scope=data.get("scope", ""),
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                patient=patient,
                expires_at=time.time() + 60,
            )

        def query_authorization_code(self, code: str, client: Client) -> Code | None:
            found = ehr.codes.get(code)
            if found and found.client_id == client.client_id and found.expires_at > time.time():
                return found
            return None

        def delete_authorization_code(self, authorization_code: Code) -> None:
            ehr.codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code: Code) -> str:
            return "Practitioner/onc-1"

    return Grant


class _Server(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, ehr: SmartEhr) -> None:
        super().__init__()
        self.ehr = ehr
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda **_: secrets.token_urlsafe(32),
                expires_generator=lambda client, grant_type: ehr.token_seconds,
            ),
        )
        self.register_grant(_grant_class(ehr), [CodeChallenge(required=True), _SmartContext(ehr)])

    def query_client(self, client_id: str) -> Client | None:
        return self.ehr.clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        code: Code = request.authorization_code
        token["patient"] = code.patient  # SMART launch context
        self.ehr.tokens[token["access_token"]] = Issued(
            code.patient, time.time() + self.ehr.token_seconds
        )

    def create_oauth2_request(self, request: _Request) -> _Request:
        return request

    def create_json_request(self, request: _Request) -> _Request:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> Response:
        if isinstance(body, dict):
            return JSONResponse(body, status_code=status, headers=dict(headers))
        return Response(body or "", status_code=status, headers=dict(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None


def _app(ehr: SmartEhr) -> Starlette:
    server = _Server(ehr)

    def configuration(_: Request) -> Response:
        return JSONResponse(
            {
                "authorization_endpoint": f"{ehr.base_url}/authorize",
                "token_endpoint": f"{ehr.base_url}/token",
                "grant_types_supported": ["authorization_code"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["none", "client_secret_basic"],
                "scopes_supported": ["launch", "launch/patient", "openid", "fhirUser"],
                "response_types_supported": ["code"],
                "capabilities": [
                    "launch-ehr",
                    "launch-standalone",
                    "client-public",
                    "client-confidential-symmetric",
                    "context-ehr-patient",
                    "context-standalone-patient",
                    "permission-v1",
                    "permission-v2",
                ],
            }
        )

    async def authorize(request: Request) -> Response:
        ehr.authorize_requests.append(dict(request.query_params))
        oauth_request = _Request(request, {})
        try:
            grant = server.get_authorization_grant(oauth_request)
        except OAuth2Error as error:
            refused: Response = server.handle_error_response(oauth_request, error)
            return refused
        response: Response = server.create_authorization_response(
            oauth_request, grant_user="Practitioner/onc-1", grant=grant
        )
        return response

    async def token(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        ehr.token_requests.append(form)
        response: Response = server.create_token_response(_Request(request, form))
        return response

    async def fhir(request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        issued = ehr.tokens.get(auth.removeprefix("Bearer ").strip())
        if issued is None or issued.expires_at <= time.time():
            return JSONResponse(_outcome("login"), status_code=401)
        path = request.path_params["path"]
        asked = request.query_params.get("patient") or path.removeprefix("Patient/")
        if asked != issued.patient:
            return JSONResponse(_outcome("forbidden"), status_code=403)
        async with httpx.AsyncClient(timeout=30) as client:  # concurrent, like a real server
            upstream = await client.get(
                f"{ehr.fhir.base_url}/{path}",
                params=dict(request.query_params),
                headers={
                    "Authorization": f"Bearer {ehr.fhir.token}",
                    "Accept": "application/fhir+json",
                },
            )
        return Response(
            upstream.content, status_code=upstream.status_code, media_type="application/fhir+json"
        )

    def open_app(request: Request) -> Response:
        launch = ehr.new_launch(request.query_params["patient"])
        app = request.query_params["app"]
        return RedirectResponse(f"{app}?{urlencode({'iss': ehr.iss, 'launch': launch})}", 302)

    return Starlette(
        routes=[
            Route("/fhir/.well-known/smart-configuration", configuration),
            Route("/other/.well-known/smart-configuration", configuration),
            Route("/authorize", authorize),
            Route("/token", token, methods=["POST"]),
            Route("/fhir/{path:path}", fhir),
            Route("/ehr/open", open_app),
        ]
    )


def _outcome(code: str) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code}]}


@contextlib.contextmanager
def run_test_ehr(fhir: FhirServer) -> Iterator[SmartEhr]:
    ehr = SmartEhr(fhir=fhir)
    port = free_port()
    ehr.base_url = f"http://127.0.0.1:{port}"
    with serve_in_thread(_app(ehr), port):
        yield ehr
