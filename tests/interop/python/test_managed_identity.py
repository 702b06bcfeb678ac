"""Managed identities through `custos agent`: azure-identity `ManagedIdentityCredential` (App Service
variables and IMDS via AZURE_POD_IDENTITY_AUTHORITY_HOST) and MSAL Python `ManagedIdentityClient`
(system- and user-assigned), each token verified against the custos JWKS.

The identity is created through the custos admin API, given the v1 resource's role through Graph, and
its credential made with `custos mi credential create`; the agent runs for the module.
"""

from __future__ import annotations

import subprocess
import time

import jwt
import msal
import pytest
import requests
from azure.identity import ManagedIdentityCredential

import custos_server
from graph_client import GRAPH_SCOPE, client_credentials_token
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
    server = world.server
    admin = server.init
    token = client_credentials_token(
        server.public_url, server.tenant_id, admin["adminClientId"], admin["adminClientSecret"], GRAPH_SCOPE, server.ca_path
    )["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    created = requests.post(
        f"{server.public_url}/admin/v1/tenants/{server.tenant_id}/managedIdentities",
        json={"displayName": "interop-mi"},
        headers=headers,
        verify=server.ca_path,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    mi = created.json()
    resource = world.resources["v1"]
    assigned = requests.post(
        f"{admin['graphBaseUrl']}/servicePrincipals/{resource.app.sp_id}/appRoleAssignedTo",
        json={"principalId": mi["id"], "resourceId": resource.app.sp_id, "appRoleId": resource.app.role_ids[ROLE]},
        headers=headers,
        verify=server.ca_path,
        timeout=30,
    )
    assert assigned.status_code == 201, assigned.text

    binary = custos_server.custos_binary()
    pem = tmp_path_factory.mktemp("mi") / "interop-mi.pem"
    made = subprocess.run(
        [str(binary), "mi", "credential", "create", mi["appId"], "--out", str(pem), "--output", "json",
         "--profile", str(server.data_dir / "admin.json")],
        env=custos_server.child_env(), capture_output=True, text=True, timeout=60, check=False,
    )
    assert made.returncode == 0, made.stderr
    process = subprocess.Popen(
        [str(binary), "agent", "--authority", server.public_url, "--tenant", server.tenant_id, "--identity", mi["appId"],
         "--credential", str(pem), "--ca", server.ca_path, "--listen", "127.0.0.1:0"],
        env=custos_server.child_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    exports = {}
    assert process.stdout is not None
    for _ in range(4):
        line = process.stdout.readline().strip()
        assert line.startswith("export "), f"unexpected agent output: {line!r}"
        name, _, value = line.removeprefix("export ").partition("=")
        exports[name] = value
    yield mi, exports
    process.terminate()
    process.wait(timeout=15)


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


def test_msal_system_assigned_through_app_service(world: World, agent, clean_env) -> None:
    mi, exports = agent
    app_service(clean_env, exports)
    client = msal.ManagedIdentityClient(msal.SystemAssignedManagedIdentity(), http_client=requests.Session())
    result = client.acquire_token_for_client(resource=world.resources["v1"].identifier_uri)
    assert "access_token" in result, result
    check(result["access_token"], world, mi)


def test_msal_user_assigned_through_imds(world: World, agent, clean_env) -> None:
    mi, exports = agent
    imds(clean_env, exports)
    client = msal.ManagedIdentityClient(
        msal.UserAssignedManagedIdentity(client_id=mi["appId"]), http_client=requests.Session()
    )
    result = client.acquire_token_for_client(resource=world.resources["v1"].identifier_uri)
    assert "access_token" in result, result
    check(result["access_token"], world, mi)


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
