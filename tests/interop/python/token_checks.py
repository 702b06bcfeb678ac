"""Validates custos access tokens the way a resource server would, plus every contract claim.

Owns discovery/JWKS fetching (per token version) and the claim assertions of entra-wire.md §4.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt
import requests

TIMEOUT_S = 30
SKEW_S = 300
LIFETIME_RANGE_S = (3600, 5400)
CLOCK_TOLERANCE_S = 120


@dataclass(frozen=True)
class Expected:
    """What a token for one client and one resource must say."""

    version: str  # "1.0" or "2.0"
    audience: str
    tenant_id: str
    client_app_id: str
    client_sp_id: str
    roles: list[str] | None  # None: the `roles` claim must be absent
    acr: str = "1"  # `appidacr` (v1) / `azpacr` (v2): "1" secret, "2" certificate


def discovery_url(public_url: str, tenant: str, version: str) -> str:
    if version == "2.0":
        return f"{public_url}/{tenant}/v2.0/.well-known/openid-configuration"
    return f"{public_url}/{tenant}/.well-known/openid-configuration"


def expected_issuer(public_url: str, tenant_id: str, version: str) -> str:
    return f"{public_url}/{tenant_id}/v2.0" if version == "2.0" else f"{public_url}/{tenant_id}/"


def fetch_json(url: str, ca_path: str) -> dict:
    response = requests.get(url, verify=ca_path, timeout=TIMEOUT_S)
    assert response.status_code == 200, f"GET {url}: HTTP {response.status_code}\n{response.text}"
    return response.json()


def validate(token: str, expected: Expected, public_url: str, ca_path: str, algorithm: str = "RS256") -> dict:
    """Verifies the signature with the discovered JWKS and asserts every contract claim; returns the claims.
    `algorithm` is the one the resource asked for: RS256 (Entra's) or ES256 (custos' opt-in lane)."""
    discovery = fetch_json(discovery_url(public_url, expected.tenant_id, expected.version), ca_path)
    issuer = discovery["issuer"]
    assert issuer == expected_issuer(public_url, expected.tenant_id, expected.version)

    header = jwt.get_unverified_header(token)
    assert header.get("alg") == algorithm, header
    assert header.get("typ") == "JWT", header
    kid = header.get("kid")
    assert isinstance(kid, str) and kid, header
    if expected.version == "1.0":
        assert header.get("x5t") == kid, f"v1 header must carry x5t == kid: {header}"

    jwks = fetch_json(discovery["jwks_uri"], ca_path)
    keys = {key.key_id: key for key in jwt.PyJWKSet.from_dict(jwks).keys}
    assert kid in keys, f"kid {kid} not in JWKS {sorted(keys)}"

    claims = jwt.decode(
        token,
        keys[kid].key,
        algorithms=[algorithm],
        audience=expected.audience,
        issuer=issuer,
        options={"require": ["aud", "iss", "iat", "nbf", "exp", "sub", "oid", "tid"]},
    )
    assert_claims(claims, expected, issuer)
    return claims


def assert_claims(claims: dict, expected: Expected, issuer: str) -> None:
    """The claim set of entra-wire.md §4 for an app-only token."""
    assert claims["aud"] == expected.audience
    assert claims["iss"] == issuer
    assert claims["tid"] == expected.tenant_id
    assert claims["oid"] == expected.client_sp_id
    assert claims["sub"] == claims["oid"]
    assert claims["idtyp"] == "app"
    assert claims["ver"] == expected.version
    if expected.version == "1.0":
        assert claims["appid"] == expected.client_app_id
        assert claims["appidacr"] == expected.acr
        assert claims["idp"] == issuer
        assert "azp" not in claims and "azpacr" not in claims, claims
    else:
        assert claims["azp"] == expected.client_app_id
        assert claims["azpacr"] == expected.acr
        assert "appid" not in claims and "appidacr" not in claims, claims
    if expected.roles is None:
        assert "roles" not in claims, claims
    else:
        assert claims["roles"] == expected.roles
    for opaque in ("uti", "aio", "rh"):
        assert isinstance(claims.get(opaque), str) and claims[opaque], f"{opaque} missing: {claims}"
    assert "scp" not in claims, claims
    for number in ("iat", "nbf", "exp"):
        assert isinstance(claims[number], int), f"{number} must be an integer: {claims}"
    assert claims["iat"] == claims["nbf"]
    lifetime = claims["exp"] - claims["iat"]
    assert LIFETIME_RANGE_S[0] <= lifetime <= LIFETIME_RANGE_S[1], f"exp - iat = {lifetime}"
    assert abs(claims["iat"] - (time.time() - SKEW_S)) <= CLOCK_TOLERANCE_S, f"iat {claims['iat']} is not now - 300"
