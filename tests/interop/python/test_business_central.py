"""`custos sample business-central` behind the real guard (issue 6, items 1 and 3).

The module registers, through Graph on the session's custos server, the Business Central resource
application (identifier URI `https://api.businesscentral.dynamics.com`, app roles `API.ReadWrite.All` and
`Automation.ReadWrite.All`, as `custos serve --demo` does) and five client applications, enters two of them
on the sample's Microsoft Entra Applications card with `--register-app` and one with `apps add` (Disabled),
then runs the sample on a free port. Then:

- seed 001's REST Client file (`../shared/fixtures/bc-s2s.http`, vendored verbatim as
  `tests/interop/fixtures/bc-s2s.http`) is replayed with httpyac, changed only
  where the issue allows: the `@` variables, the two host names and httpyac's three syntax differences;
- BC's authorization rules are checked through the real token path: unknown and Disabled clients (401
  `Authentication_InvalidCredentials`), a D365 READ client writing (403), a token without the route's app
  role (401), the Automation API with `Automation.ReadWrite.All` and D365 AUTOMATION, and the guard's own
  RFC 6750 refusals.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

import custos_server
from children import logged_child, wait_for_log
from graph_client import GRAPH_SCOPE, App, GraphClient, admin_graph, client_credentials_token
from world import World

BC_RESOURCE = "https://api.businesscentral.dynamics.com"
BC_SCOPE = f"{BC_RESOURCE}/.default"
API_ROLE = "API.ReadWrite.All"
AUTOMATION_ROLE = "Automation.ReadWrite.All"
ENVIRONMENT = "production"
HTTPYAC_DIR = custos_server.REPO_ROOT / "tests" / "interop" / "httpyac"
# A verbatim copy of the project's shared fixture, kept in the repository so that CI on a bare clone
# has it; test_vendored_fixture_is_verbatim checks it against the original when that is present.
FIXTURE = Path(
    os.environ.get("CUSTOS_BC_HTTP_FIXTURE", custos_server.REPO_ROOT / "tests" / "interop" / "fixtures" / "bc-s2s.http")
)
SHARED_FIXTURE = custos_server.REPO_ROOT.parent / "shared" / "fixtures" / "bc-s2s.http"
READY_PATTERN = re.compile(r"business-central sample listening on (http://127\.0\.0\.1:\d+)")
TIMEOUT_S = 30


@dataclass(frozen=True)
class Clients:
    """The client applications of the module, each with a secret."""

    full: App  # both roles; card: D365 BUS FULL ACCESS (the REST Client file's app)
    reader: App  # API role; card: D365 READ
    automator: App  # Automation role only; card: D365 AUTOMATION
    stranger: App  # API role; no card
    disabled: App  # API role; card added with `apps add`, still Disabled


@dataclass
class BusinessCentral:
    """The running sample and what the tests need to call it."""

    url: str
    data_dir: Path
    log_path: Path
    world: World
    clients: Clients

    @property
    def api(self) -> str:
        return f"{self.url}/v2.0/{ENVIRONMENT}/api/v2.0"

    @property
    def automation(self) -> str:
        return f"{self.url}/v2.0/{ENVIRONMENT}/api/microsoft/automation/v2.0"

    def token(self, app: App, scope: str = BC_SCOPE) -> str:
        assert app.secret is not None
        server = self.world.server
        return client_credentials_token(
            server.public_url, server.tenant_id, app.app_id, app.secret, scope, server.ca_path
        )["access_token"]

    def call(self, method: str, url: str, app: App | None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if app is not None:
            headers["Authorization"] = f"Bearer {self.token(app)}"
        return requests.request(method, url, headers=headers, timeout=TIMEOUT_S, **kwargs)

    def apps(self, *args: str) -> subprocess.CompletedProcess:
        """`custos sample business-central apps ARGS --data-dir DIR` on the running sample's data."""
        cmd = [str(custos_server.custos_binary()), "sample", "business-central", "apps", *args,
               "--data-dir", str(self.data_dir)]
        proc = subprocess.run(cmd, env=custos_server.child_env(), capture_output=True, text=True, timeout=60, check=False)
        assert proc.returncode == 0, f"{cmd} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        return proc

    def company_id(self) -> str:
        body = self.call("GET", f"{self.api}/companies", self.clients.full).json()
        return body["value"][0]["id"]


def _register_clients(graph: GraphClient, resource: App) -> Clients:
    def client(name: str, roles: tuple[str, ...]) -> App:
        app = graph.register(f"bc-{name}", with_secret=True)
        for role in roles:
            graph.assign_app_role(resource.sp_id, app.sp_id, resource.role_ids[role])
        return app

    return Clients(
        full=client("full", (API_ROLE, AUTOMATION_ROLE)),
        reader=client("reader", (API_ROLE,)),
        automator=client("automator", (AUTOMATION_ROLE,)),
        stranger=client("stranger", (API_ROLE,)),
        disabled=client("disabled", (API_ROLE,)),
    )


@pytest.fixture(scope="module")
def bc(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BusinessCentral]:
    graph = admin_graph(world.server.init)
    # v1 tokens (requestedAccessTokenVersion null), as Entra issues for Business Central: aud = the URI.
    resource = graph.register("Dynamics 365 Business Central", BC_RESOURCE, token_version=None,
                              roles=(API_ROLE, AUTOMATION_ROLE))
    clients = _register_clients(graph, resource)
    root = tmp_path_factory.mktemp("business-central")
    data_dir = root / "data"
    binary = str(custos_server.custos_binary())
    env = custos_server.child_env()
    added = subprocess.run(
        [binary, "sample", "business-central", "apps", "add", clients.disabled.app_id, "--description",
         "Disabled partner app", "--data-dir", str(data_dir)],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert added.returncode == 0, added.stderr
    log_path = root / "sample.log"
    cmd = [
        binary, "sample", "business-central", "--listen", "127.0.0.1:0", "--authority", world.public_url,
        "--tenant", world.tenant_id, "--data-dir", str(data_dir), "--ca", world.ca_path,
        "--register-app", f"{clients.full.app_id}=D365 BUS FULL ACCESS",
        "--register-app", f"{clients.reader.app_id}=D365 READ",
        "--register-app", f"{clients.automator.app_id}=D365 AUTOMATION",
    ]
    with logged_child(cmd, log_path, env) as process:
        url = wait_for_log(process, log_path, READY_PATTERN, "the sample").group(1)
        yield BusinessCentral(url=url, data_dir=data_dir, log_path=log_path, world=world, clients=clients)


# --- seed 001's REST Client file, replayed with httpyac ------------------------------------------------

def _js_reference(match: re.Match[str]) -> str:
    """REST Client's `{{name.response.body.<JSONPath>}}` as httpyac's `{{name.<JavaScript path>}}`: the
    response body is `name` itself; JSONPath's optional `$.` goes and `.[0]` becomes `[0]` (the file's
    `value.[0].id` is JSONPath, which httpyac would evaluate as JavaScript and reject)."""
    name, path = match.groups()
    return "{{%s.%s}}" % (name, path.removeprefix("$.").replace(".[", "["))


def for_httpyac(original: str, *, variables: dict[str, str], login_host: str) -> str:
    """The REST Client file with only the changes issue 6 allows: the `@` variables in `variables`, the login
    host name (the BC host is the `@baseUri` variable), and httpyac's three syntax differences:
    `{{name.response.body.$.field}}` → `{{name.field}}` (see `_js_reference`), trailing blanks after `@`
    values, `Delete` → `DELETE`."""
    out = []
    for line in original.splitlines():
        if line.startswith("@"):
            line = line.rstrip()
            name = line[1:].split("=", 1)[0].strip()
            if name in variables:
                line = f"@{name} = {variables[name]}"
        line = line.replace("https://login.microsoftonline.com/", f"{login_host}/")
        line = re.sub(r"\{\{(\w+)\.response\.body\.([^}]+)\}\}", _js_reference, line)
        if line.startswith("Delete "):
            line = "DELETE " + line[len("Delete "):]
        out.append(line)
    return "\n".join(out) + "\n"


def test_only_the_allowed_lines_change() -> None:
    original = _fixture_text()
    changed = for_httpyac(original, variables={"tenantId": "t", "clientId": "c", "clientSecret": "s",
                                               "baseUri": "http://127.0.0.1:1", "scope": BC_SCOPE},
                          login_host="https://localhost:2")
    pairs = list(zip(original.splitlines(), changed.splitlines(), strict=True))
    differing = [(a, b) for a, b in pairs if a != b]
    allowed = [a for a, _ in differing if a.startswith("@") or "login.microsoftonline.com" in a
               or ".response.body." in a or a.startswith("Delete ")]
    assert len(allowed) == len(differing), differing
    assert "POST https://localhost:2/{{tenantId}}/oauth2/v2.0/token HTTP/1.1" in changed
    assert "@accessHeader = Bearer {{auth.access_token}}" in changed
    assert "@companyId = {{GetCompanies.value[0].id}}" in changed
    assert "@entityId = {{GetCreatedEntity.value[0].id}}" in changed
    assert "\n@entityName =customers\n" in changed, "trailing blank trimmed, nothing else"
    assert "DELETE {{companyUrl}}/{{entityName}}({{entityId}})" in changed
    assert "@scope = https://api.businesscentral.dynamics.com/.default" in changed


def _fixture_text() -> str:
    if not FIXTURE.is_file():
        pytest.fail(f"seed 001's REST Client file is missing at {FIXTURE} (set CUSTOS_BC_HTTP_FIXTURE)", pytrace=False)
    return FIXTURE.read_text()


def _httpyac() -> str:
    binary = HTTPYAC_DIR / "node_modules" / ".bin" / "httpyac"
    if not binary.exists():
        pytest.fail(f"run `npm ci` in {HTTPYAC_DIR} first (.ci/run does)", pytrace=False)
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH", pytrace=False)
    return str(binary)


def test_rest_client_session_replayed_with_httpyac(bc: BusinessCentral, tmp_path: Path) -> None:
    full = bc.clients.full
    assert full.secret is not None
    session = tmp_path / "bc-s2s.http"
    session.write_text(for_httpyac(
        _fixture_text(),
        variables={"tenantId": bc.world.tenant_id, "clientId": full.app_id, "clientSecret": full.secret,
                   "baseUri": bc.url, "scope": BC_SCOPE},
        login_host=bc.world.public_url,
    ))
    env = dict(os.environ, NODE_EXTRA_CA_CERTS=bc.world.ca_path, NO_PROXY="localhost,127.0.0.1,::1")
    proc = subprocess.run([_httpyac(), "send", str(session), "--all", "--json"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, f"httpyac exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    report = json.loads(proc.stdout)
    statuses = {}
    bodies = {}
    for region in report["requests"]:
        errors = [result for result in region.get("testResults", []) if result.get("status") != "SUCCESS"]
        assert not errors, json.dumps(region, indent=2)
        if "response" not in region:
            continue  # a region holding only `@` variables ("### Variable Response")
        statuses[region.get("name")] = region["response"]["statusCode"]
        bodies[region.get("name")] = region["response"].get("body")
    assert statuses == {
        "auth": 200,
        "GetCompanies": 200,
        "GetEntities": 200,
        "CreateEntity": 201,
        "GetCreatedEntity": 200,
        "ModifyEntity": 200,
        "DeleteItem": 204,
    }, proc.stdout
    created = json.loads(bodies["GetCreatedEntity"])["value"]
    assert [entity["displayName"] for entity in created] == ["MyItemDisplayName2"], created
    assert json.loads(bodies["ModifyEntity"])["displayName"] == "DeleteMe-MyItemDisplayName2"
    # Deleted for real: nobody of that name is left.
    company = bc.company_id()
    left = bc.call("GET", f"{bc.api}/companies({company})/customers?$filter=startswith(displayName,'DeleteMe-')",
                   bc.clients.full)
    assert left.json()["value"] == []


# --- authorization through the real guard ------------------------------------------------------------

def _error(response: requests.Response) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"].split("  CorrelationId:  ")[0]


def test_guard_refusals_are_rfc6750(bc: BusinessCentral) -> None:
    no_token = bc.call("GET", f"{bc.api}/companies", None)
    assert no_token.status_code == 401
    assert no_token.headers["WWW-Authenticate"].startswith("Bearer")
    graph_token = bc.token(bc.clients.full, GRAPH_SCOPE)
    wrong_audience = requests.get(f"{bc.api}/companies", headers={"Authorization": f"Bearer {graph_token}"},
                                  timeout=TIMEOUT_S)
    assert wrong_audience.status_code == 401
    assert 'error="invalid_token"' in wrong_audience.headers["WWW-Authenticate"]


def test_unregistered_client_is_rejected(bc: BusinessCentral) -> None:
    response = bc.call("GET", f"{bc.api}/companies", bc.clients.stranger)
    assert _error(response) == (401, "Authentication_InvalidCredentials", "The server has rejected the client credentials.")


def test_disabled_client_is_rejected_until_enabled(bc: BusinessCentral) -> None:
    disabled = bc.clients.disabled
    response = bc.call("GET", f"{bc.api}/companies", disabled)
    assert _error(response)[:2] == (401, "Authentication_InvalidCredentials")
    bc.apps("grant", disabled.app_id, "D365 READ")
    bc.apps("enable", disabled.app_id)
    try:
        assert bc.call("GET", f"{bc.api}/companies", disabled).status_code == 200
    finally:
        bc.apps("disable", disabled.app_id)
    assert bc.call("GET", f"{bc.api}/companies", disabled).status_code == 401
    listed = json.loads(bc.apps("list", "--output", "json").stdout)
    card = next(card for card in listed if card["clientId"] == disabled.app_id)
    assert (card["description"], card["state"], card["permissionSets"]) == ("Disabled partner app", "Disabled", ["D365 READ"])


def test_read_only_permission_set_cannot_write(bc: BusinessCentral) -> None:
    customers = f"{bc.api}/companies({bc.company_id()})/customers"
    assert bc.call("GET", customers, bc.clients.reader).status_code == 200
    response = bc.call("POST", customers, bc.clients.reader, json={"displayName": "Not allowed"})
    assert _error(response) == (
        403,
        "Authorization_InsufficientPermissions",
        "Sorry, the current permissions prevented the action. (TableData 18 Customer Insert: Base Application)",
    )


def test_each_api_requires_its_app_role(bc: BusinessCentral) -> None:
    without_api_role = bc.call("GET", f"{bc.api}/companies", bc.clients.automator)
    assert _error(without_api_role)[:2] == (401, "Authentication_InvalidCredentials")
    without_automation_role = bc.call("GET", f"{bc.automation}/companies", bc.clients.reader)
    assert _error(without_automation_role)[:2] == (401, "Authentication_InvalidCredentials")


def test_automation_api_with_automation_role_and_permission_set(bc: BusinessCentral) -> None:
    automator = bc.clients.automator
    companies = bc.call("GET", f"{bc.automation}/companies", automator)
    assert companies.status_code == 200, companies.text
    company = companies.json()["value"][0]["id"]
    base = f"{bc.automation}/companies({company})"
    created = bc.call("POST", f"{base}/automationCompanies", automator,
                      json={"name": "CRONUS HYDRATED", "displayName": "Cronus Hydrated", "businessProfileId": ""})
    assert created.status_code == 201, created.text
    assert set(created.json()) >= {"id", "name", "evaluationCompany", "displayName", "businessProfileId"}
    users = bc.call("GET", f"{base}/users", automator).json()["value"]
    admin = next(user for user in users if user["userName"] == "ADMIN")
    granted = bc.call("POST", f"{base}/users({admin['userSecurityId']})/userPermissions", automator,
                      json={"roleId": "SECURITY", "company": "CRONUS"})
    assert granted.status_code == 201, granted.text
    patched = bc.call("PATCH", f"{base}/users({admin['userSecurityId']})", automator,
                      headers={"If-Match": "*"}, json={"state": "Enabled"})
    assert patched.status_code == 200, patched.text
    removed = bc.call("DELETE", f"{base}/automationCompanies({created.json()['id']})", automator)
    assert removed.status_code == 204
    # The full-access app holds the Automation role, but D365 BUS FULL ACCESS covers no automation objects.
    refused = bc.call("GET", f"{base}/users", bc.clients.full)
    assert _error(refused) == (
        403,
        "Authorization_InsufficientPermissions",
        "Sorry, the current permissions prevented the action. (TableData 2000000120 User Read: System)",
    )


def test_vendored_fixture_is_verbatim():
    """The repository's copy of seed 001's REST Client file is byte for byte the shared original."""
    assert FIXTURE.is_file(), FIXTURE
    if SHARED_FIXTURE.is_file():
        assert FIXTURE.read_bytes() == SHARED_FIXTURE.read_bytes()
