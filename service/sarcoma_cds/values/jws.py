"""Which JWS algorithms a CDS client may sign with (CDS Hooks 2.0 §JWT signing algorithm).

Only asymmetric algorithms: `none` gives no integrity, and HMAC (HS*) would need a secret shared
with the client and invites the public-key-as-HMAC-secret confusion attack.
"""

from __future__ import annotations

from collections.abc import Iterable

ASYMMETRIC_ALGORITHMS = frozenset(
    {"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
)


def check_algorithms(algorithms: Iterable[str]) -> list[str]:
    """Return the algorithms unchanged, or raise ValueError naming those that are refused."""
    chosen = list(algorithms)
    if not chosen:
        raise ValueError("at least one JWT algorithm must be allowed (e.g. ES384, RS384)")
    refused = [alg for alg in chosen if alg not in ASYMMETRIC_ALGORITHMS]
    if refused:
        raise ValueError(
            f"JWT algorithm(s) {', '.join(map(repr, refused))} refused: only asymmetric "
            f"algorithms are allowed ({', '.join(sorted(ASYMMETRIC_ALGORITHMS))}); "
            "'none' and HS* are never accepted"
        )
    return chosen
