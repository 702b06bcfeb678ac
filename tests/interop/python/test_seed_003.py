"""Seed 003 end to end: a person signs in to `custos sample community-training` the way the seed
describes (open /ExternalAuthentication/Login, sign in, read AccessToken and RefreshToken from the
callback's Location), calls /api/v2/Profile with the AccessToken, trades the RefreshToken at
/api/v1/ExternalAuthToken/RefreshToken/AZUREAD, and cannot use a spent refresh token again.

The sample is a confidential web client of custos: its own registration (web redirect URI
`{sample}/ExternalAuthentication/Callback`, a secret read from a file, the delegated permission
`access_as_user` of the Community Training API) and the API's registration (seed 000's, plus the
scope `access_as_user`). The sign-in runs once in headless Chromium and once over plain HTTP
(sign_in_driver), where a callback with another state is refused without spending the code.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import jwt
import msal
import pytest
import requests

import browser_sign_in
import custos_server
import sign_in_driver
from children import logged_child, wait_for_log
from graph_client import TIMEOUT_S, App, _expect, admin_graph
from interactive import _create_user
from world import World

ROLE = "S2SAppRole"
SCOPE = "access_as_user"
READY_PATTERN = re.compile(r"community-training sample listening on http://127\.0\.0\.1:(\d+)")


@dataclass(frozen=True)
class Seed003:
    """The registrations and the running sample."""

    service: App  # the Community Training API (seed 000's service app, with the scope)
    portal_app_id: str  # the sample's own sign-in registration
    client: App  # an allow-listed S2S client holding S2SAppRole
    url: str  # the sample's base URL

    @property
    def audience(self) -> str:
        return f"api://{self.service.app_id}"


@dataclass(frozen=True)
class Person:
    upn: str
    password: str
    object_id: str


def _register(world: World, graph, url: str) -> tuple[App, str, str, App]:
    service = graph.register("interop-ct3-service", roles=(ROLE,))
    scope_id = str(uuid.uuid4())
    scopes = [{
        "id": scope_id, "value": SCOPE, "type": "User", "isEnabled": True,
        "adminConsentDisplayName": "Use Community Training", "adminConsentDescription": "Calls the API as the user.",
        "userConsentDisplayName": "Use Community Training as you", "userConsentDescription": "Calls the API as you.",
    }]
    patched = graph.session.patch(
        f"{graph.base}/applications/{service.object_id}",
        json={"identifierUris": [f"api://{service.app_id}"], "api": {"oauth2PermissionScopes": scopes}},
        timeout=TIMEOUT_S,
    )
    _expect(patched, 204, "PATCH identifierUris and oauth2PermissionScopes")
    portal = graph._post("/applications", {
        "displayName": "interop-ct3-portal",
        "web": {"redirectUris": [f"{url}/ExternalAuthentication/Callback"]},
        "requiredResourceAccess": [{"resourceAppId": service.app_id,
                                    "resourceAccess": [{"id": scope_id, "type": "Scope"}]}],
    }, 201, "create the portal's registration")
    graph.create_service_principal(portal["appId"])
    secret = graph.add_password(portal["id"])
    client = graph.register("interop-ct3-client", with_secret=True)
    graph.assign_app_role(service.sp_id, client.sp_id, service.role_ids[ROLE])
    return service, portal["appId"], secret, client


@pytest.fixture(scope="module")
def seed003(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seed003]:
    server = world.server
    graph = admin_graph(server.init)
    port = custos_server.free_port()
    url = f"http://127.0.0.1:{port}"
    service, portal_app_id, secret, client = _register(world, graph, url)
    tmp = tmp_path_factory.mktemp("seed003")
    secret_file = tmp / "portal-secret"
    secret_file.write_text(secret + "\n")
    secret_file.chmod(0o600)
    settings = {
        "ServiceAuthEnabled": "true",
        "ServiceAuthAudience": f"api://{service.app_id}",
        "ServiceApplicationIds": client.app_id,
        "ServiceAuthRole": ROLE,
        "Scopes": SCOPE,
        "UserAuthEnabled": "true",
        "UserAuthClientId": portal_app_id,
        "UserAuthPublicUrl": url,
    }
    cmd = [str(custos_server.custos_binary()), "sample", "community-training", "--listen", f"127.0.0.1:{port}",
           "--authority", server.public_url, "--tenant", server.tenant_id, "--ca", server.ca_path,
           "--data-dir", str(tmp / "ct-data"), "--user-auth-client-secret-file", str(secret_file)]
    log_path = tmp / "community-training.log"
    with logged_child(cmd, log_path, custos_server.child_env() | settings) as process:
        wait_for_log(process, log_path, READY_PATTERN, "the sample")
        yield Seed003(service, portal_app_id, client, url)
    assert secret not in log_path.read_text(), "the client secret was logged"


def _person(world: World) -> Person:
    upn, password, object_id = _create_user(admin_graph(world.server.init), world.server.init["tenantDomain"])
    return Person(upn, password, object_id)


def _bearer(token: str, client_type: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if client_type:
        headers["ClientType"] = client_type
    return headers


def _refresh(seed: Seed003, refresh_token: str, provider: str = "AZUREAD") -> requests.Response:
    return requests.post(f"{seed.url}/api/v1/ExternalAuthToken/RefreshToken/{provider}",
                         json={"RefreshToken": refresh_token}, timeout=TIMEOUT_S)


def _assert_profile(seed: Seed003, world: World, person: Person, access_token: str) -> None:
    profile = requests.get(f"{seed.url}/api/v2/Profile", headers=_bearer(access_token), timeout=TIMEOUT_S)
    assert profile.status_code == 200, (profile.status_code, profile.headers, profile.text)
    assert profile.json() == {
        "objectId": person.object_id, "applicationId": seed.portal_app_id, "tenantId": world.tenant_id,
        "roles": [], "callerType": "User", "userPrincipalName": person.upn, "name": "Interop User",
        "scopes": [SCOPE],
    }


def _landed(seed: Seed003):
    return lambda driver: driver.current_url.startswith(f"{seed.url}/ExternalAuthentication/Complete")


def test_a_person_signs_in_in_chromium_then_refreshes(world: World, seed003: Seed003, chromium) -> None:
    person = _person(world)
    browser = chromium
    browser.get(f"{seed003.url}/ExternalAuthentication/Login")
    browser_sign_in.sign_in_and_consent(browser, person.upn, person.password, _landed(seed003))
    assert "Signed in" in browser.page_source
    landed = {k: v[0] for k, v in parse_qs(urlsplit(browser.current_url).fragment).items()}
    assert set(landed) == {"AccessToken", "RefreshToken", "ExpiresIn"}, browser.current_url
    claims = jwt.decode(landed["AccessToken"], options={"verify_signature": False})
    assert claims["scp"] == SCOPE and claims["oid"] == person.object_id and claims["tid"] == world.tenant_id
    assert claims["aud"] == seed003.audience, claims  # the API's v1 tokens carry its Application ID URI

    _assert_profile(seed003, world, person, landed["AccessToken"])
    # E38: the user's token is refused on the services-only administration routes.
    admin = requests.get(f"{seed003.url}/api/v1/organization", headers=_bearer(landed["AccessToken"]), timeout=TIMEOUT_S)
    assert admin.status_code == 403
    assert admin.headers["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", error_description="delegated (user) tokens are not accepted"')

    refreshed = _refresh(seed003, landed["RefreshToken"])
    assert refreshed.status_code == 200, refreshed.text
    pair = refreshed.json()
    assert set(pair) == {"AccessToken", "RefreshToken", "ExpiresIn"} and pair["RefreshToken"] != landed["RefreshToken"]
    assert refreshed.headers["Cache-Control"] == "no-store"
    _assert_profile(seed003, world, person, pair["AccessToken"])

    # The spent refresh token again: custos refuses it (and revokes its family); the code passes through.
    reused = _refresh(seed003, landed["RefreshToken"])
    assert reused.status_code == 400, reused.text
    problem = reused.json()
    assert reused.headers["Content-Type"] == "application/problem+json"
    assert problem["error"] == "invalid_grant" and problem["errorCodes"], problem
    assert f"AADSTS{problem['errorCodes'][0]}" in problem["detail"], problem
    revoked = _refresh(seed003, pair["RefreshToken"])
    assert revoked.status_code == 400 and revoked.json()["error"] == "invalid_grant", revoked.text


def test_the_sign_in_over_http_and_a_callback_with_another_state(world: World, seed003: Seed003) -> None:
    """The same path without a browser: the login's cookie binds the callback. A callback with another
    state (a forged or crossed response) is a 400 and does not spend the code, which then still works."""
    person = _person(world)
    callback = f"{seed003.url}/ExternalAuthentication/Callback"
    session = requests.Session()
    session.trust_env = False
    login = session.get(f"{seed003.url}/ExternalAuthentication/Login", allow_redirects=False, timeout=TIMEOUT_S)
    assert login.status_code == 302 and "CtSignIn" in session.cookies, login.headers
    authorize = login.headers["Location"]
    sent = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    assert sent["code_challenge_method"] == "S256" and sent["redirect_uri"] == callback, sent
    answer = sign_in_driver.drive(authorize, callback, person.upn, person.password, world.ca_path, session=session)
    assert answer.get("state") == sent["state"] and "code" in answer, answer

    crossed = session.get(callback, params={"code": answer["code"], "state": "not-the-state"},
                          allow_redirects=False, timeout=TIMEOUT_S)
    assert crossed.status_code == 400 and "state does not match" in crossed.text
    assert "Location" not in crossed.headers
    stranger = requests.get(callback, params=answer, allow_redirects=False, timeout=TIMEOUT_S)  # no cookie
    assert stranger.status_code == 400 and "No sign-in is in progress" in stranger.text

    finished = session.get(callback, params=answer, allow_redirects=False, timeout=TIMEOUT_S)
    assert finished.status_code == 302, finished.text
    location = urljoin(callback, finished.headers["Location"])
    assert location.startswith(f"{seed003.url}/ExternalAuthentication/Complete#AccessToken="), location
    landed = {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}
    _assert_profile(seed003, world, person, landed["AccessToken"])
    # The cookie is spent with the sign-in: the same answer again is refused.
    again = session.get(callback, params=answer, allow_redirects=False, timeout=TIMEOUT_S)
    assert again.status_code == 400


def test_app_and_user_tokens_keep_to_their_routes(world: World, seed003: Seed003) -> None:
    """E38 with real tokens: a service's token is refused on the users-only route and still works on
    the profile; the refresh route serves AZUREAD only."""
    app = msal.ConfidentialClientApplication(
        seed003.client.app_id, client_credential=seed003.client.secret,
        authority=f"{world.public_url}/{world.tenant_id}", instance_discovery=False, verify=world.ca_path,
    )
    result = app.acquire_token_for_client(scopes=[f"{seed003.audience}/.default"])
    token = result["access_token"]
    role = requests.get(f"{seed003.url}/api/v2/Profile/Role", headers=_bearer(token, "Service"), timeout=TIMEOUT_S)
    assert role.status_code == 403
    assert role.headers["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", error_description="app-only tokens are not accepted"')
    profile = requests.get(f"{seed003.url}/api/v2/Profile", headers=_bearer(token, "Service"), timeout=TIMEOUT_S)
    assert profile.status_code == 200 and profile.json()["callerType"] == "Service", profile.text
    for provider in ("PHONE", "EMAIL"):
        refused = _refresh(seed003, "anything", provider)
        assert refused.status_code == 400
        assert refused.json()["errors"]["identityProvider"] == [
            f"The identity provider {provider} is not supported by this sample: only AZUREAD is."]
    garbage = _refresh(seed003, "not-a-refresh-token")
    assert garbage.status_code == 400 and garbage.json()["error"] == "invalid_grant", garbage.text


def test_cancelling_consent_is_a_403_page_without_tokens(world: World, seed003: Seed003) -> None:
    """custos answers `error=access_denied` when the person cancels the consent page; the callback shows it
    and hands out nothing."""
    person = _person(world)  # a new user has not consented yet: the consent page comes
    callback = f"{seed003.url}/ExternalAuthentication/Callback"
    session = requests.Session()
    session.trust_env = False
    login = session.get(f"{seed003.url}/ExternalAuthentication/Login", allow_redirects=False, timeout=TIMEOUT_S)
    answer = sign_in_driver.drive(login.headers["Location"], callback, person.upn, person.password, world.ca_path,
                                  session=session, consent="cancel")
    assert answer.get("error") == "access_denied" and "code" not in answer, answer
    refused = session.get(callback, params=answer, allow_redirects=False, timeout=TIMEOUT_S)
    assert refused.status_code == 403, refused.text
    assert "access_denied" in refused.text and "Location" not in refused.headers
    assert refused.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Max-Age=0" in refused.headers["Set-Cookie"], "the sign-in is over"
