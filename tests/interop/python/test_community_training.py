"""Seed 000 end to end: `custos sample community-training` configured with the seed's settings as
environment variables, called by both kinds of client the seed describes, and its Swagger UI
rendered by a real browser.

- Approach 1: a managed identity allowed by object id (`ServiceObjectIds`) gets its token through
  `custos agent` with azure-identity's ManagedIdentityCredential (`resource=` the Application ID
  URI on the wire); it needs no role.
- Approach 2: a client application allowed by app id (`ServiceApplicationIds`) holding `S2SAppRole`
  gets its token with MSAL Python (`scope=api://<appId>/.default`).
- Refusals: an application that is not allow-listed (403), an allow-listed one without the role
  (403), a call without `ClientType: Service` (401), a token for another API (401).

The service application is registered as seed 000 step 1 says: create it, set the Application ID
URI to the suggested `api://<appId>`, add the app role of the seed's manifest.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import msal
import pytest
import requests
from azure.identity import ManagedIdentityCredential

import custos_server
from children import logged_child, wait_for_log
from graph_client import App, GraphClient, admin_graph
from managed_identities import create_identity, running_agent
from world import World

ROLE = "S2SAppRole"
READY_PATTERN = re.compile(r"community-training sample listening on http://127\.0\.0\.1:(\d+)")
MI_ENV_VARS = ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "MSI_ENDPOINT", "MSI_SECRET",
               "IMDS_ENDPOINT", "AZURE_POD_IDENTITY_AUTHORITY_HOST", "MSAL_MANAGED_IDENTITY_ENDPOINT",
               "AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_ID")
OPERATIONS = {("get", "/api/v2/Profile"), ("get", "/api/v2/Profile/Role"), ("get", "/api/v1/users"), ("post", "/api/v1/users"),
              ("get", "/api/v1/Courses"), ("get", "/api/v1/learningpaths"), ("get", "/api/v1/organization"),
              ("post", "/api/v1/organization"), ("put", "/api/v1/organization/{orgId}"),
              ("delete", "/api/v1/organization/{orgId}")}


@dataclass(frozen=True)
class Seed000:
    """The registrations of seed 000 and the running sample."""

    service: App  # the "CT service" application (the API)
    client: App  # approach 2: allow-listed, holds S2SAppRole
    unlisted: App  # holds S2SAppRole but is not in ServiceApplicationIds
    roleless: App  # in ServiceApplicationIds but without S2SAppRole
    identity: dict  # approach 1: the managed identity (admin API shape)
    agent_exports: dict  # what `custos agent` printed
    url: str  # the sample's base URL

    @property
    def audience(self) -> str:
        return f"api://{self.service.app_id}"


def _register_service(graph: GraphClient) -> App:
    """Step 1: register the service app, then "Expose an API" with the suggested `api://<appId>`."""
    app = graph.register("interop-ct-service", roles=(ROLE,))
    uri = f"api://{app.app_id}"
    patched = graph.session.patch(f"{graph.base}/applications/{app.object_id}", json={"identifierUris": [uri]}, timeout=30)
    assert patched.status_code == 204, patched.text
    return App(app.object_id, app.app_id, app.sp_id, app.secret, uri, app.role_ids)


@contextmanager
def _running_sample(world: World, settings: dict, tmp: Path) -> Iterator[str]:
    """`custos sample community-training` with seed 000's settings as environment variables; yields its
    base URL."""
    server = world.server
    log_path = tmp / "community-training.log"
    cmd = [str(custos_server.custos_binary()), "sample", "community-training", "--listen", "127.0.0.1:0",
           "--authority", server.public_url, "--tenant", server.tenant_id, "--ca", server.ca_path,
           "--data-dir", str(tmp / "ct-data")]
    with logged_child(cmd, log_path, custos_server.child_env() | settings) as process:
        port = wait_for_log(process, log_path, READY_PATTERN, "the sample").group(1)
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def seed000(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seed000]:
    server = world.server
    graph = admin_graph(server.init)
    service = _register_service(graph)
    client = graph.register("interop-ct-client", with_secret=True)
    unlisted = graph.register("interop-ct-unlisted", with_secret=True)
    roleless = graph.register("interop-ct-roleless", with_secret=True)
    for holder in (client, unlisted):  # step 2, approach 2: the permission, with admin consent
        graph.assign_app_role(service.sp_id, holder.sp_id, service.role_ids[ROLE])
    identity = create_identity(world, "interop-ct-function", with_role=False)
    tmp = tmp_path_factory.mktemp("community-training")
    settings = {  # step 3: what CT support would configure
        "ServiceAuthEnabled": "true",
        "ServiceAuthAudience": f"api://{service.app_id}",
        "ServiceAuthTenantName": server.init["tenantDomain"],
        "ServiceObjectIds": identity["id"],
        "ServiceApplicationIds": f"{client.app_id};{roleless.app_id}",
        "ServiceAuthRole": ROLE,
        "EnableSwagger": "true",
    }
    with running_agent(world, identity, tmp) as exports, _running_sample(world, settings, tmp) as url:
        yield Seed000(service, client, unlisted, roleless, identity, exports, url)


def msal_token(world: World, app: App, scope: str) -> str:
    """Approach 2's token request (client credentials, `scope=<Application ID URI>/.default`)."""
    assert app.secret is not None
    confidential = msal.ConfidentialClientApplication(
        app.app_id, client_credential=app.secret, authority=f"{world.public_url}/{world.tenant_id}",
        instance_discovery=False, verify=world.ca_path,
    )
    result = confidential.acquire_token_for_client(scopes=[scope])
    assert "access_token" in result, result
    return result["access_token"]


def call(seed: Seed000, method: str, path: str, token: str, client_type: str | None = "Service",
         **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if client_type is not None:
        headers["ClientType"] = client_type
    return requests.request(method, f"{seed.url}{path}", headers=headers, timeout=30, **kwargs)


def assert_refused(response: requests.Response, status: int, error: str, description: str) -> None:
    """The guard's RFC 6750 refusal: the status and the `WWW-Authenticate` challenge."""
    assert response.status_code == status
    assert response.headers["WWW-Authenticate"] == f'Bearer error="{error}", error_description="{description}"'


def test_approach_1_managed_identity_allowed_by_object_id(
    world: World, seed000: Seed000, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in MI_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IDENTITY_ENDPOINT", seed000.agent_exports["IDENTITY_ENDPOINT"])
    monkeypatch.setenv("IDENTITY_HEADER", seed000.agent_exports["IDENTITY_HEADER"])
    # azure-identity sends `resource=api://<appId>` (the scope without /.default) to the endpoint.
    token = ManagedIdentityCredential().get_token(f"{seed000.audience}/.default").token
    profile = call(seed000, "GET", "/api/v2/Profile", token)
    assert profile.status_code == 200, (profile.status_code, profile.headers, profile.text)
    assert profile.json() == {"objectId": seed000.identity["id"], "applicationId": seed000.identity["appId"],
                              "tenantId": world.tenant_id,
                              "roles": [], "callerType": "Service"}
    courses = call(seed000, "GET", "/api/v1/Courses", token)
    assert courses.status_code == 200
    assert [c["CategoryName"] for c in courses.json()] == ["Digital Literacy", "Health and Safety"]
    refused = call(seed000, "GET", "/api/v1/Courses", token, client_type=None)
    assert refused.status_code == 401


def test_approach_2_client_app_with_the_role(world: World, seed000: Seed000) -> None:
    token = msal_token(world, seed000.client, f"{seed000.audience}/.default")
    profile = call(seed000, "GET", "/api/v2/Profile", token)
    assert profile.status_code == 200, (profile.status_code, profile.headers, profile.text)
    assert profile.json()["applicationId"] == seed000.client.app_id
    assert profile.json()["roles"] == [ROLE]
    # The header's value is compared case-insensitively (a third-party client sends "service").
    assert call(seed000, "GET", "/api/v1/learningpaths", token, client_type="service").status_code == 200

    name = f"Interop {uuid.uuid4()}"
    created = call(seed000, "POST", "/api/v1/organization", token, json={"name": name, "description": "seed 000"})
    assert created.status_code == 201, created.text
    org = created.json()
    assert org["tenantId"] == world.tenant_id
    user = call(seed000, "POST", f"/api/v1/users?orgId={org['id']}", token,
                json={"firstName": "Mary", "lastName": "Jackson", "contact": f"mary-{org['id']}@nasa.example"})
    assert user.status_code == 201, user.text
    found = call(seed000, "GET", "/api/v1/users", token, params={"searchTerm": "mary jackson"})
    assert found.status_code == 200
    assert user.json() in found.json()
    missing = call(seed000, "GET", "/api/v1/users", token)
    assert missing.status_code == 400
    assert missing.headers["Content-Type"] == "application/problem+json"
    assert missing.json()["errors"] == {"searchTerm": ["The searchTerm field is required."]}
    renamed = call(seed000, "PUT", f"/api/v1/organization/{org['id']}", token, json={"name": f"{name} (renamed)"})
    assert renamed.status_code == 200 and renamed.json()["name"] == f"{name} (renamed)"
    assert call(seed000, "DELETE", f"/api/v1/organization/{org['id']}", token).status_code == 204
    assert call(seed000, "DELETE", f"/api/v1/organization/{org['id']}", token).status_code == 404


def test_an_application_not_allow_listed_is_refused(world: World, seed000: Seed000) -> None:
    token = msal_token(world, seed000.unlisted, f"{seed000.audience}/.default")
    response = call(seed000, "GET", "/api/v1/Courses", token)
    assert_refused(response, 403, "insufficient_scope", "the client application is not allowed")


def test_an_allow_listed_application_without_the_role_is_refused(world: World, seed000: Seed000) -> None:
    token = msal_token(world, seed000.roleless, f"{seed000.audience}/.default")
    response = call(seed000, "GET", "/api/v1/Courses", token)
    assert_refused(response, 403, "insufficient_scope", "the token does not carry a required role")


def test_a_call_without_the_client_type_header_is_refused(world: World, seed000: Seed000) -> None:
    token = msal_token(world, seed000.client, f"{seed000.audience}/.default")
    response = call(seed000, "POST", "/api/v1/organization", token, client_type=None, json={"name": "never"})
    assert_refused(response, 401, "invalid_request", "app tokens require the header ClientType: Service")
    assert call(seed000, "GET", "/api/v1/Courses", token, client_type="Browser").status_code == 401


def test_a_token_for_another_api_is_refused(world: World, seed000: Seed000) -> None:
    # The session daemon holds Data.Read on the v1 resource: a valid token, for the wrong audience.
    token = msal_token(world, world.daemon, f"{world.resources['v1'].identifier_uri}/.default")
    response = call(seed000, "GET", "/api/v1/Courses", token)
    assert_refused(response, 401, "invalid_token", "the audience is invalid")


def test_swagger_ui_renders_every_operation_in_a_real_browser(seed000: Seed000, tmp_path: Path) -> None:
    """Headless Chromium loads /swagger/ (UI and document from the binary) and renders the API."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is required for this test (.ci/run installs the Debian package)"
    document = requests.get(f"{seed000.url}/swagger/v1/swagger.json", timeout=30).json()
    listed = {(method, path) for path, item in document["paths"].items() for method in item}
    assert listed == OPERATIONS
    rendered = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=20000", "--dump-dom",
         f"{seed000.url}/swagger/"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    dom = rendered.stdout
    assert "Community Training-style API (custos sample)" in dom, dom[:2000]
    shown = set(re.findall(r'class="opblock opblock-(get|post|put|delete)[^"]*".*?data-path="([^"]+)"', dom))
    assert shown == OPERATIONS, shown
