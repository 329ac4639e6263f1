"""All configuration in one place: environment variables prefixed `SARCOMA_CDS_`.

Development mode (the default) runs with embedded defaults and no authentication; production
mode refuses to start with settings that would be unsafe there (see `check_safe`).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sarcoma_cds.paths import default_rules_dir
from sarcoma_cds.values.jws import check_algorithms


class UnsafeSettingsError(ValueError):
    """A setting that is acceptable in development but refused in production."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SARCOMA_CDS_", extra="ignore")

    mode: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    # Public base URL of this service (the JWT `aud` is `<public_url>/cds-services/<id>`).
    public_url: str | None = None
    # YAML/JSON list of trusted CDS clients: {iss, jwks | jwks_uri, jku_allowlist, tenant}.
    trusted_clients: Path | None = None
    jwt_algorithms: list[str] = Field(default_factory=lambda: ["ES384", "RS384"])
    jwt_leeway_seconds: int = Field(default=60, ge=0, le=600)
    # The longest `exp - iat` accepted (CDS Hooks 2.0: at most 5 minutes), plus the leeway.
    jwt_max_lifetime_seconds: int = Field(default=300, ge=30, le=300)
    # Where the `jti` of every accepted token is remembered until it expires, shared by all
    # workers and pods. Unset: the feedback database (an SQLite file shared by one host's
    # workers by default; PostgreSQL when deployed).
    replay_db_url: str | None = None
    # Live token ids remembered per issuer: one client cannot crowd out another.
    replay_max_per_issuer: int = Field(default=100_000, ge=10, le=1_000_000)

    rules_dir: Path = Field(default_factory=default_rules_dir)
    feedback_db_url: str = "sqlite:///var/feedback.sqlite3"
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    # Seconds a client may take to send its request body (408 after); a stalled upload must
    # not hold a worker's capacity.
    body_read_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Production: the bearer token Prometheus presents for GET /metrics (404 without it).
    metrics_token: SecretStr | None = None
    # Entries one feedback call may carry (400 above).
    feedback_max_entries: int = Field(default=100, ge=1, le=10_000)
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])

    # Overrides of the clinical parameters the paper gives as a range (unset: the value in
    # cql-free-rules/parameters.yaml; set: checked against the range given there at start-up).
    long_dfi_months: int | None = None
    tfi_favourable_months: int | None = None
    imaging_recent_days: int | None = None
    origin_long_dfi_months: int | None = None
    staging_window_days: int | None = None
    line_gap_days: int | None = None
    regimen_window_days: int | None = None
    PARAMETER_OVERRIDES: ClassVar[tuple[str, ...]] = (
        "long_dfi_months",
        "tfi_favourable_months",
        "imaging_recent_days",
        "origin_long_dfi_months",
        "staging_window_days",
        "line_gap_days",
        "regimen_window_days",
    )

    # Fetching from the EHR's FHIR server when prefetch is absent.
    fetch_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    fetch_max_pages: int = Field(default=10, ge=1, le=100)
    fetch_page_size: int = Field(default=200, ge=1, le=1000)
    # One service call's fetches, across all keys and pages, decompressed: at most this many
    # bytes and resources (a real 1,000-resource chart is a few MB).
    fetch_max_bytes: int = Field(default=16 * 1024 * 1024, ge=64 * 1024)
    fetch_max_resources: int = Field(default=10_000, ge=100)
    # All calls of one worker process together hold at most this many fetched bytes at once.
    fetch_process_max_bytes: int = Field(default=48 * 1024 * 1024, ge=64 * 1024)
    allow_unauthenticated_fetch: bool = False
    # What to answer when required data can be neither prefetched nor fetched: `412` (the
    # spec) or `card` (200 with one warning card saying so, for EHRs that show 412 as nothing).
    prefetch_failure: Literal["412", "card"] = "412"

    # The SMART on FHIR tumour-board app (/app/launch). Public client with PKCE by default;
    # confidential with a client secret (client_secret_basic) when one is set. The issuers (FHIR
    # servers) that may launch it in production are the `fhir_servers` of the trusted clients.
    smart_client_id: str = Field(default="sarcoma-cds", min_length=1)
    smart_client_secret: SecretStr | None = None
    # Signs the session cookie. Unset: development draws a random one per process; production
    # leaves the tumour-board view switched off (503) rather than run it with a guessable key.
    smart_session_secret: SecretStr | None = None
    smart_session_max_seconds: int = Field(default=3600, ge=60, le=24 * 3600)

    @field_validator("jwt_algorithms")
    @classmethod
    def _only_asymmetric_algorithms(cls, value: list[str]) -> list[str]:
        return check_algorithms(value)

    def check_safe(self) -> None:
        """Raise UnsafeSettingsError naming every setting production cannot run with."""
        if self.mode != "production":
            return
        problems: list[str] = []
        if not self.trusted_clients:
            problems.append("SARCOMA_CDS_TRUSTED_CLIENTS is not set (path to the trusted clients)")
        elif not self.trusted_clients.is_file():
            problems.append(f"SARCOMA_CDS_TRUSTED_CLIENTS={self.trusted_clients} is not a file")
        if not self.public_url:
            problems.append("SARCOMA_CDS_PUBLIC_URL is not set (the https base URL used as aud)")
        elif not self.public_url.startswith("https://"):
            problems.append("SARCOMA_CDS_PUBLIC_URL must be an https:// URL in production")
        if self.allow_unauthenticated_fetch:
            problems.append("SARCOMA_CDS_ALLOW_UNAUTHENTICATED_FETCH is for development only")
        problems += self._smart_problems()
        token = self.metrics_token
        if token is not None and len(token.get_secret_value()) < 32:
            problems.append("SARCOMA_CDS_METRICS_TOKEN must be at least 32 random characters")
        if "*" in self.cors_origins:
            problems.append("SARCOMA_CDS_CORS_ORIGINS must list the EHR origins, not '*'")
        if problems:
            raise UnsafeSettingsError(
                "refusing to start in production mode: " + "; ".join(problems)
            )

    def _smart_problems(self) -> list[str]:
        secret = self.smart_session_secret
        if secret is not None and len(secret.get_secret_value()) < 32:
            return [
                "SARCOMA_CDS_SMART_SESSION_SECRET must be at least 32 random characters "
                "(it signs the tumour-board view's session cookie)"
            ]
        return []
