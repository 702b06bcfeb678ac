"""Managed identities through `custos agent`: azure-identity `ManagedIdentityCredential` (App Service
variables and IMDS via AZURE_POD_IDENTITY_AUTHORITY_HOST) and MSAL Python `ManagedIdentityClient`
(system- and user-assigned), each token verified against the custos JWKS. Then the same clients against
the server's own development endpoints (`custos serve --dev-managed-identity-endpoints`), over HTTPS with
the development CA, for an endpoint secret.

The identities are created through the custos admin API and given the v1 resource's role through Graph
(managed_identities.py); the agent runs for the module.
"""

from __future__ import annotations

import time

import jwt
import msal
import pytest
import requests
from azure.identity import ManagedIdentityCredential

from managed_identities import create_endpoint_secret, create_identity, running_agent
from token_checks import discovery_url, expected_issuer, fetch_json
from world import ROLE, World

MI_LIFETIME_S = 86_399 + 300  # exp - iat of a managed identity token (default lifetime + skew)
ENV_VARS = (
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "IMDS_ENDPOINT",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "MSAL_MANAGED_IDENTITY_ENDPOINT",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_CLIENT_ID",
)


@pytest.fixture(scope="module")
def agent(world: World, tmp_path_factory: pytest.TempPathFactory):
    """A managed identity holding the v1 resource's role, and `custos agent` serving it."""
    mi = create_identity(world, "interop-mi")
    with running_agent(world, mi, tmp_path_factory.mktemp("mi")) as exports:
        yield mi, exports


@pytest.fixture(scope="module")
def endpoint(world: World):
    """A managed identity holding the v1 resource's role, with an endpoint secret on the server."""
    mi = create_identity(world, "interop-mi-dev")
    return mi, create_endpoint_secret(world, mi)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def app_service(env: pytest.MonkeyPatch, exports: dict) -> None:
    env.setenv("IDENTITY_ENDPOINT", exports["IDENTITY_ENDPOINT"])
    env.setenv("IDENTITY_HEADER", exports["IDENTITY_HEADER"])


def imds(env: pytest.MonkeyPatch, exports: dict) -> None:
    env.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", exports["AZURE_POD_IDENTITY_AUTHORITY_HOST"])
    env.setenv("MSAL_MANAGED_IDENTITY_ENDPOINT", exports["MSAL_MANAGED_IDENTITY_ENDPOINT"])


def check(token: str, world: World, mi: dict) -> None:
    """Signature against the custos JWKS, then the managed identity's claims (seed 000's oid check)."""
    server = world.server
    resource = world.resources["v1"]
    discovery = fetch_json(discovery_url(server.public_url, server.tenant_id, "1.0"), server.ca_path)
    issuer = expected_issuer(server.public_url, server.tenant_id, "1.0")
    assert discovery["issuer"] == issuer
    header = jwt.get_unverified_header(token)
    keys = {k.key_id: k for k in jwt.PyJWKSet.from_dict(fetch_json(discovery["jwks_uri"], server.ca_path)).keys}
    claims = jwt.decode(
        token, keys[header["kid"]].key, algorithms=["RS256"], audience=resource.identifier_uri, issuer=issuer
    )
    assert claims["oid"] == claims["sub"] == mi["id"]
    assert claims["appid"] == mi["appId"]
    assert claims["appidacr"] == "2"
    assert claims["idtyp"] == "app"
    assert claims["ver"] == "1.0"
    assert claims["tid"] == server.tenant_id
    assert claims["roles"] == [ROLE]
    assert claims["exp"] - claims["iat"] == MI_LIFETIME_S
    assert claims["exp"] > time.time() + 86_000


def test_azure_identity_through_app_service_variables(world: World, agent, clean_env) -> None:
    mi, exports = agent
    app_service(clean_env, exports)
    token = ManagedIdentityCredential().get_token(f"{world.resources['v1'].identifier_uri}/.default")
    assert token.expires_on > time.time() + 86_000
    check(token.token, world, mi)


def test_azure_identity_through_imds(world: World, agent, clean_env) -> None:
    mi, exports = agent
    imds(clean_env, exports)
    token = ManagedIdentityCredential(client_id=mi["appId"]).get_token(f"{world.resources['v1'].identifier_uri}/.default")
    check(token.token, world, mi)


def msal_token(world: World, identity: msal.managed_identity.ManagedIdentity) -> str:
    """A token for the v1 resource from MSAL Python's ManagedIdentityClient, as the environment configures it."""
    client = msal.ManagedIdentityClient(identity, http_client=requests.Session())
    result = client.acquire_token_for_client(resource=world.resources["v1"].identifier_uri)
    assert "access_token" in result, result
    return result["access_token"]


def test_msal_system_assigned_through_app_service(world: World, agent, clean_env) -> None:
    mi, exports = agent
    app_service(clean_env, exports)
    check(msal_token(world, msal.SystemAssignedManagedIdentity()), world, mi)


def test_msal_user_assigned_through_imds(world: World, agent, clean_env) -> None:
    mi, exports = agent
    imds(clean_env, exports)
    check(msal_token(world, msal.UserAssignedManagedIdentity(client_id=mi["appId"])), world, mi)


def test_another_identity_is_refused(world: World, agent, clean_env) -> None:
    _, exports = agent
    response = requests.get(
        f"{exports['AZURE_POD_IDENTITY_AUTHORITY_HOST']}/metadata/identity/oauth2/token",
        params={"api-version": "2018-02-01", "resource": world.resources["v1"].identifier_uri,
                "client_id": "00000000-0000-0000-0000-000000000001"},
        headers={"Metadata": "true"},
        timeout=30,
    )
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "error_description": "Identity not found"}


def server_app_service(env: pytest.MonkeyPatch, world: World, made: dict) -> None:
    """App Service variables pointing at the server; the clients trust its CA through the variable
    `requests` reads (removed by conftest for every other test)."""
    env.setenv("IDENTITY_ENDPOINT", made["identityEndpoint"])
    env.setenv("IDENTITY_HEADER", made["secret"])
    env.setenv("REQUESTS_CA_BUNDLE", world.ca_path)


def server_imds(env: pytest.MonkeyPatch, world: World, made: dict) -> None:
    host = made["podIdentityAuthorityHost"]
    env.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", host)
    env.setenv("MSAL_MANAGED_IDENTITY_ENDPOINT", f"{host}/metadata/identity/oauth2/token")
    env.setenv("REQUESTS_CA_BUNDLE", world.ca_path)


def test_server_endpoint_azure_identity_through_app_service(world: World, endpoint, clean_env) -> None:
    mi, made = endpoint
    assert made["identityEndpoint"] == f"{world.public_url}/msi/token"
    server_app_service(clean_env, world, made)
    token = ManagedIdentityCredential().get_token(f"{world.resources['v1'].identifier_uri}/.default")
    assert token.expires_on > time.time() + 86_000
    check(token.token, world, mi)


def test_server_endpoint_azure_identity_through_imds(world: World, endpoint, clean_env) -> None:
    mi, made = endpoint
    server_imds(clean_env, world, made)
    token = ManagedIdentityCredential(client_id=mi["appId"]).get_token(f"{world.resources['v1'].identifier_uri}/.default")
    check(token.token, world, mi)


def test_server_endpoint_msal_through_imds(world: World, endpoint, clean_env) -> None:
    mi, made = endpoint
    server_imds(clean_env, world, made)
    check(msal_token(world, msal.SystemAssignedManagedIdentity()), world, mi)


def test_server_endpoint_refuses_a_wrong_secret_and_another_identity(world: World, endpoint, agent) -> None:
    mi, made = endpoint
    _, exports = agent
    params = {"api-version": "2019-08-01", "resource": world.resources["v1"].identifier_uri}
    for wrong in (made["secret"][:-1] + ("0" if made["secret"][-1] != "0" else "1"), exports["IDENTITY_HEADER"], ""):
        response = requests.get(
            made["identityEndpoint"], params=params, headers={"X-IDENTITY-HEADER": wrong}, verify=world.ca_path, timeout=30
        )
        assert response.status_code == 401, response.text
        body = response.json()
        assert body["message"] == "The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER."
        assert sorted(body) == ["correlationId", "message", "statusCode"]
    response = requests.get(
        made["identityEndpoint"],
        params={**params, "client_id": world.daemon.app_id},
        headers={"X-IDENTITY-HEADER": made["secret"]},
        verify=world.ca_path,
        timeout=30,
    )
    assert response.status_code == 400, response.text
    assert response.json()["message"] == "Identity not found"
    # The endpoint secret is no client secret.
    refused = requests.post(
        f"{world.public_url}/{world.tenant_id}/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": mi["appId"], "client_secret": made["secret"],
              "resource": world.resources["v1"].identifier_uri},
        verify=world.ca_path,
        timeout=30,
    )
    assert refused.status_code == 401, refused.text
    assert refused.json()["error_codes"] == [7000215]
