"""MSAL Python, azure-identity and a raw v1 request against custos, validated with PyJWT."""

from __future__ import annotations

import time

import msal
import requests
from azure.identity import ClientSecretCredential

from world import ROLE, Resource, World
from token_checks import Expected, validate


def expected_for(world: World, resource: Resource, roles: list[str] | None = None, client=None) -> Expected:
    client = client or world.daemon
    return Expected(
        version=resource.version,
        audience=resource.token_audience,
        tenant_id=world.tenant_id,
        client_app_id=client.app_id,
        client_sp_id=client.sp_id,
        roles=roles,
    )


def msal_app(world: World, client_id: str, secret: str) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=secret,
        authority=f"{world.public_url}/{world.tenant_id}",
        instance_discovery=False,
        verify=world.ca_path,
    )


def test_msal_python_client_credentials(world: World, resource: Resource) -> None:
    app = msal_app(world, world.daemon.app_id, world.daemon.secret)
    result = app.acquire_token_for_client(scopes=[f"{resource.identifier_uri}/.default"])
    assert "access_token" in result, result
    assert result["token_type"] == "Bearer"
    assert 0 < result["expires_in"] <= 5400
    validate(result["access_token"], expected_for(world, resource, [ROLE]), world.public_url, world.ca_path)


def test_azure_identity_client_secret_credential(world: World, resource: Resource) -> None:
    credential = ClientSecretCredential(
        world.tenant_id,
        world.daemon.app_id,
        world.daemon.secret,
        authority=world.public_url,
        disable_instance_discovery=True,
        connection_verify=world.ca_path,
    )
    access = credential.get_token(f"{resource.identifier_uri}/.default")
    assert access.expires_on > time.time() + 60
    validate(access.token, expected_for(world, resource, [ROLE]), world.public_url, world.ca_path)


def test_raw_v1_token_endpoint(world: World, resource: Resource) -> None:
    response = requests.post(
        f"{world.public_url}/{world.tenant_id}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": world.daemon.app_id,
            "client_secret": world.daemon.secret,
            "resource": resource.identifier_uri,
        },
        verify=world.ca_path,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["resource"] == resource.identifier_uri
    for field in ("expires_in", "expires_on", "not_before"):
        assert isinstance(body[field], str) and body[field].isdigit(), f"{field} must be a numeric string: {body}"
    claims = validate(body["access_token"], expected_for(world, resource, [ROLE]), world.public_url, world.ca_path)
    assert abs(int(body["expires_on"]) - claims["exp"]) <= 1, (body["expires_on"], claims["exp"])
    assert abs(int(body["not_before"]) - claims["nbf"]) <= 1, (body["not_before"], claims["nbf"])
    assert abs(int(body["expires_on"]) - int(body["expires_in"]) - time.time()) <= 60


def test_roleless_client_gets_token_without_roles(world: World, resource: Resource) -> None:
    app = msal_app(world, world.roleless.app_id, world.roleless.secret)
    result = app.acquire_token_for_client(scopes=[f"{resource.identifier_uri}/.default"])
    assert "access_token" in result, result
    expected = expected_for(world, resource, roles=None, client=world.roleless)
    validate(result["access_token"], expected, world.public_url, world.ca_path)


def test_msal_wrong_secret_is_invalid_client(world: World, resource: Resource) -> None:
    app = msal_app(world, world.daemon.app_id, "not-the-secret-" + "x" * 24)
    result = app.acquire_token_for_client(scopes=[f"{resource.identifier_uri}/.default"])
    assert "access_token" not in result, result
    assert result["error"] == "invalid_client", result
    assert 7000215 in result["error_codes"], result
    assert result["error_description"].startswith("AADSTS7000215:"), result
    for field in ("trace_id", "correlation_id", "timestamp"):
        assert result.get(field), f"{field} missing: {result}"


def test_raw_wrong_secret_is_http_401(world: World) -> None:
    response = requests.post(
        f"{world.public_url}/{world.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": world.daemon.app_id,
            "client_secret": "not-the-secret-" + "y" * 24,
            "scope": "api://interop-v2/.default",
        },
        verify=world.ca_path,
        timeout=30,
    )
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error"] == "invalid_client"
    assert body["error_codes"] == [7000215]
    assert world.daemon.app_id in body["error_description"]
