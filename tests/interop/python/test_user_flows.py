"""Interactive sign-in with real, unmodified client libraries: MSAL Python's confidential and
public (PKCE, loopback) auth-code flows and silent refresh, and azure-identity's
AuthorizationCodeCredential. The pages are driven over HTTP by sign_in_driver."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

import jwt
import msal
import pytest
from azure.identity import AuthorizationCodeCredential

import sign_in_driver
from graph_client import GraphClient, _expect, admin_graph, TIMEOUT_S
from world import World

WEB_REDIRECT = "https://app.interop.test/callback"
LOOPBACK = "http://localhost"
SCOPE_VALUE = "Data.Read"


@dataclass(frozen=True)
class Interactive:
    """A user, a web client with a secret and a public client, both asking for v2's scope."""

    world: World
    upn: str
    password: str
    user_id: str
    web_app_id: str
    web_secret: str
    public_app_id: str

    @property
    def scope(self) -> str:
        return f"{self.world.resources['v2'].identifier_uri}/{SCOPE_VALUE}"

    def authority(self, tenant: str | None = None) -> str:
        return f"{self.world.public_url}/{tenant or self.world.tenant_id}"


def _create_user(graph: GraphClient, domain: str) -> tuple[str, str, str]:
    upn = f"interop-{uuid.uuid4().hex[:8]}@{domain}"
    password = f"Aa1!{secrets.token_urlsafe(12)}"
    body = {
        "accountEnabled": True,
        "displayName": "Interop User",
        "mailNickname": upn.split("@")[0],
        "userPrincipalName": upn,
        "passwordProfile": {"password": password, "forceChangePasswordNextSignIn": False},
    }
    user = graph._post("/users", body, 201, "create user")
    return upn, password, user["id"]


def _client(graph: GraphClient, name: str, platform: str, redirect: str, scope_id: str, v2_app_id: str) -> dict:
    body = {
        "displayName": name,
        platform: {"redirectUris": [redirect]},
        "requiredResourceAccess": [
            {"resourceAppId": v2_app_id, "resourceAccess": [{"id": scope_id, "type": "Scope"}]}
        ],
    }
    app = graph._post("/applications", body, 201, f"create {name}")
    graph.create_service_principal(app["appId"])
    return app


@pytest.fixture(scope="module")
def interactive(world: World) -> Interactive:
    graph = admin_graph(world.server.init)
    v2 = world.resources["v2"].app
    scope_id = str(uuid.uuid4())
    scopes = [
        {
            "id": scope_id,
            "value": SCOPE_VALUE,
            "type": "User",
            "adminConsentDisplayName": "Read data",
            "adminConsentDescription": "Reads the interop data as the signed-in user.",
            "userConsentDisplayName": "Read your data",
            "userConsentDescription": "Reads the interop data as you.",
            "isEnabled": True,
        }
    ]
    patched = graph.session.patch(
        f"{graph.base}/applications/{v2.object_id}",
        json={"api": {"requestedAccessTokenVersion": 2, "oauth2PermissionScopes": scopes}},
        timeout=TIMEOUT_S,
    )
    _expect(patched, 204, "PATCH api.oauth2PermissionScopes")
    upn, password, user_id = _create_user(graph, world.server.init["tenantDomain"])
    web = _client(graph, "interop-web", "web", WEB_REDIRECT, scope_id, v2.app_id)
    secret = graph.add_password(web["id"])
    public = _client(graph, "interop-desktop", "publicClient", LOOPBACK, scope_id, v2.app_id)
    return Interactive(world, upn, password, user_id, web["appId"], secret, public["appId"])


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_msal_confidential_auth_code_flow_and_silent_refresh(interactive: Interactive) -> None:
    i = interactive
    app = msal.ConfidentialClientApplication(
        i.web_app_id, client_credential=i.web_secret, authority=i.authority(),
        instance_discovery=False, verify=i.world.ca_path,
    )
    flow = app.initiate_auth_code_flow([i.scope], redirect_uri=WEB_REDIRECT)
    answer = sign_in_driver.drive(flow["auth_uri"], WEB_REDIRECT, i.upn, i.password, i.world.ca_path)
    assert answer.get("state") == flow["state"], answer
    result = app.acquire_token_by_auth_code_flow(flow, answer)
    assert "access_token" in result, result
    claims = _claims(result["access_token"])
    assert claims["scp"] == SCOPE_VALUE
    assert claims["oid"] == i.user_id
    assert claims["azp"] == i.web_app_id and claims["azpacr"] == "1"
    assert claims["aud"] == i.world.resources["v2"].app.app_id
    assert result["id_token_claims"]["preferred_username"] == i.upn
    [account] = app.get_accounts()
    assert account["username"] == i.upn
    refreshed = app.acquire_token_silent_with_error([i.scope], account, force_refresh=True)
    assert refreshed and "access_token" in refreshed, refreshed
    assert refreshed["access_token"] != result["access_token"]
    assert _claims(refreshed["access_token"])["scp"] == SCOPE_VALUE


def test_msal_public_client_with_pkce_on_a_loopback_port(interactive: Interactive) -> None:
    i = interactive
    app = msal.PublicClientApplication(
        i.public_app_id, authority=i.authority(), instance_discovery=False, verify=i.world.ca_path,
    )
    redirect = "http://localhost:8471"
    flow = app.initiate_auth_code_flow([i.scope], redirect_uri=redirect, response_mode="form_post")
    assert "code_challenge=" in flow["auth_uri"]
    answer = sign_in_driver.drive(flow["auth_uri"], redirect, i.upn, i.password, i.world.ca_path)
    result = app.acquire_token_by_auth_code_flow(flow, answer)
    assert "access_token" in result, result
    claims = _claims(result["access_token"])
    assert claims["azpacr"] == "0" and claims["scp"] == SCOPE_VALUE


def test_azure_identity_authorization_code_credential(interactive: Interactive) -> None:
    i = interactive
    query = {
        "client_id": i.web_app_id,
        "response_type": "code",
        "redirect_uri": WEB_REDIRECT,
        "scope": f"{i.scope} openid offline_access",
        "state": "az-identity",
    }
    url = f"{i.authority()}/oauth2/v2.0/authorize?{urlencode(query)}"
    answer = sign_in_driver.drive(url, WEB_REDIRECT, i.upn, i.password, i.world.ca_path)
    credential = AuthorizationCodeCredential(
        i.world.tenant_id, i.web_app_id, answer["code"], WEB_REDIRECT, client_secret=i.web_secret,
        authority=i.world.public_url, disable_instance_discovery=True, connection_verify=i.world.ca_path,
    )
    token = credential.get_token(i.scope)
    assert _claims(token.token)["oid"] == i.user_id


def test_a_wrong_password_stays_on_the_sign_in_page_with_aadsts50126(interactive: Interactive) -> None:
    i = interactive
    url = f"{i.authority()}/oauth2/v2.0/authorize?" + urlencode(
        {"client_id": i.web_app_id, "response_type": "code", "redirect_uri": WEB_REDIRECT, "scope": i.scope}
    )
    with pytest.raises(sign_in_driver.SignInError) as refused:
        sign_in_driver.drive(url, WEB_REDIRECT, i.upn, "Wrong-passw0rd", i.world.ca_path)
    assert "50126" in str(refused.value)
