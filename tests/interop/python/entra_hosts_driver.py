"""Inside a network + mount namespace whose /etc/hosts points Entra's host names at 127.0.0.1 (set up by
test_entra_hosts.py): starts `custos serve --entra-hosts` on 127.0.0.1:443, provisions a few apps through
https://graph.microsoft.com, then runs unmodified Microsoft clients with their defaults, and the Azure CLI in
Microsoft's own cloud. The only set-up
they get is the standard "trust this CA" step (REQUESTS_CA_BUNDLE, SSL_CERT_FILE, NODE_EXTRA_CA_CERTS).

Usage: entra_hosts_driver.py BINARY DATA_DIR WORK_DIR. Prints one JSON object, client name → what it saw;
a client that failed maps to {"error": "..."}. Exits non-zero only when the server or provisioning fails.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
import time
import traceback
import uuid
from pathlib import Path

import certificates
import custos_server
from azure_cli import Az
from graph_client import GraphClient, admin_graph, client_credentials_token

LOGIN = "https://login.microsoftonline.com"
GRAPH = "https://graph.microsoft.com"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
V2_RESOURCE = "api://entra-hosts-v2"
ROLE = "Data.Read"
USER_READ = "e1fe6dd8-ba31-4d61-89e7-88639da4683d"  # Graph's delegated User.Read
MANAGEMENT = "https://manage.office.com"
MANAGEMENT_APP_ID = "c5393580-f805-4401-95e8-94b7a6ef2fc2"  # the Office 365 Management APIs
# manage.office.com's own address in the namespace's hosts file (test_entra_hosts.py): the sample answers there.
MANAGEMENT_ADDRESS = "127.0.0.2"
SAMPLE_START_S = 60
NODE_DIR = custos_server.REPO_ROOT / "tests" / "interop" / "node"


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def grant_role(graph: GraphClient, sp_id: str, value: str, resource_app_id: str = GRAPH_APP_ID) -> None:
    """Assigns the app role `value` of a built-in resource (Graph unless named) to `sp_id`."""
    found = graph.session.get(f"{graph.base}/servicePrincipals", params={"$filter": f"appId eq '{resource_app_id}'"})
    found.raise_for_status()
    resource_sp = found.json()["value"][0]
    role_id = next(role["id"] for role in resource_sp["appRoles"] if role["value"] == value)
    graph.assign_app_role(resource_sp["id"], sp_id, role_id)


def provision(init: dict, work: Path) -> dict:
    """A v2 resource with a role; a daemon with a secret and one with a certificate, both holding the role
    and Graph's Directory.Read.All."""
    graph = admin_graph(init)
    resource = graph.register("entra-hosts-v2", V2_RESOURCE, token_version=2, roles=(ROLE,))
    daemon = graph.register("entra-hosts-daemon", with_secret=True)
    cert_app = graph.register("entra-hosts-cert-daemon")
    certificate = certificates.generate("entra-hosts-cert-daemon")
    graph.add_certificate(cert_app.object_id, certificate.manifest_entry(str(uuid.uuid4())))
    for client in (daemon, cert_app):
        graph.assign_app_role(resource.sp_id, client.sp_id, resource.role_ids[ROLE])
        grant_role(graph, client.sp_id, "Directory.Read.All")
    grant_role(graph, daemon.sp_id, "ActivityFeed.Read", MANAGEMENT_APP_ID)
    # What `az ad app permission admin-consent` needs: the admin portal's consent right (Custos.Admin) and a
    # Graph read permission for az's own lookups (Directory.Read.All: applications, service principals, grants).
    az_admin = graph.register("entra-hosts-az", with_secret=True)
    for value in ("Custos.Admin", "Directory.Read.All"):
        grant_role(graph, az_admin.sp_id, value)
    # An application asking the v2 resource's role (an application permission) and Graph's User.Read
    # (delegated), not yet consented.
    consent_client = graph.register("entra-hosts-consent-client")
    required = [
        {"resourceAppId": resource.app_id, "resourceAccess": [{"id": resource.role_ids[ROLE], "type": "Role"}]},
        {"resourceAppId": GRAPH_APP_ID, "resourceAccess": [{"id": USER_READ, "type": "Scope"}]},
    ]
    patched = graph.session.patch(
        f"{graph.base}/applications/{consent_client.object_id}", json={"requiredResourceAccess": required}, timeout=30
    )
    if patched.status_code != 204:
        raise AssertionError(f"PATCH requiredResourceAccess: {patched.status_code} {patched.text}")
    # A federated credential of the daemon, for msgraph-sdk to list.
    federated = graph.session.post(
        f"{graph.base}/applications/{daemon.object_id}/federatedIdentityCredentials",
        json={"name": "ci-main", "issuer": "https://token.actions.githubusercontent.com",
              "subject": "repo:contoso/app:ref:refs/heads/main", "audiences": ["api://AzureADTokenExchange"]},
        timeout=30,
    )
    if federated.status_code != 201:
        raise AssertionError(f"POST federatedIdentityCredentials: {federated.status_code} {federated.text}")
    graph.session.close()
    pem = work / "cert-daemon.pem"
    pem.touch(mode=0o600)
    pem.write_text(certificate.key_pem + certificate.cert_pem)
    return {
        "init": init, "work": work, "tenant": init["tenantId"], "resource": resource, "daemon": daemon,
        "cert_app": cert_app, "pem": pem, "az_admin": az_admin, "consent_client": consent_client,
    }


async def graph_listing(credential) -> dict:
    """msgraph-sdk with its defaults: GraphServiceClient(credential), no scopes, base URL graph.microsoft.com."""
    from msgraph import GraphServiceClient

    client = GraphServiceClient(credential)
    try:
        apps = await client.applications.get()
        sps = await client.service_principals.get()
        users = await client.users.get()
        # Per-object collections: the v2 resource's app role assignments, the daemon's federated credentials.
        by_name = {a.display_name: a for a in apps.value}
        resource_sp = next(sp for sp in sps.value if sp.app_id == by_name["entra-hosts-v2"].app_id)
        assigned = await client.service_principals.by_service_principal_id(resource_sp.id).app_role_assigned_to.get()
        daemon = client.applications.by_application_id(by_name["entra-hosts-daemon"].id)
        federated = await daemon.federated_identity_credentials.get()
    finally:
        # Its HTTP/2 connections would outlive the event loop and hold up the server's graceful shutdown:
        # msgraph-core's AsyncGraphTransport does not pass aclose() on to the transport it wraps.
        transport = client.request_adapter._http_client._transport
        await getattr(transport, "transport", transport).aclose()
    return {
        "applications": sorted(a.display_name for a in apps.value),
        "servicePrincipals": len(sps.value),
        "users": [u.user_principal_name for u in users.value],
        "assignedTo": sorted(a.principal_display_name for a in assigned.value),
        "federatedCredentials": [(c.name, c.subject) for c in federated.value],
    }


def default_credential(env: dict[str, str]):
    """DefaultAzureCredential configured by environment variables only."""
    from azure.identity import DefaultAzureCredential

    for name in ("AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH"):
        os.environ.pop(name, None)
    os.environ.update(env)
    return DefaultAzureCredential()


def dac_secret(world: dict) -> dict:
    credential = default_credential(
        {
            "AZURE_CLIENT_ID": world["daemon"].app_id,
            "AZURE_TENANT_ID": world["tenant"],
            "AZURE_CLIENT_SECRET": world["daemon"].secret,
        }
    )
    with credential:
        token = credential.get_token(f"{GRAPH}/.default").token
        return {"iss": claims_of(token)["iss"], **asyncio.run(graph_listing(credential))}


def dac_certificate(world: dict) -> dict:
    credential = default_credential(
        {
            "AZURE_CLIENT_ID": world["cert_app"].app_id,
            "AZURE_TENANT_ID": world["tenant"],
            "AZURE_CLIENT_CERTIFICATE_PATH": str(world["pem"]),
        }
    )
    with credential:
        claims = claims_of(credential.get_token(f"{V2_RESOURCE}/.default").token)
        return {"iss": claims["iss"], "roles": claims.get("roles"), **asyncio.run(graph_listing(credential))}


def msal_python(world: dict) -> dict:
    """MSAL Python with the default authority; the v2 token is kept for the validator check."""
    import msal
    import requests

    app = msal.ConfidentialClientApplication(
        world["daemon"].app_id, client_credential=world["daemon"].secret, authority=f"{LOGIN}/{world['tenant']}"
    )
    v2 = app.acquire_token_for_client([f"{V2_RESOURCE}/.default"])
    graph = app.acquire_token_for_client([f"{GRAPH}/.default"])
    app.http_client.close()
    if "access_token" not in v2 or "access_token" not in graph:
        raise AssertionError(f"MSAL Python: {v2} {graph}")
    listed = requests.get(
        f"{GRAPH}/v1.0/applications", headers={"Authorization": f"Bearer {graph['access_token']}"}, timeout=30
    )
    listed.raise_for_status()
    world["v2_token"] = v2["access_token"]
    return {"iss": claims_of(v2["access_token"])["iss"], "applications": len(listed.json()["value"])}


def msal_node(world: dict) -> dict:
    node = shutil.which("node")
    if node is None:
        raise AssertionError("node is not on PATH")
    script = NODE_DIR / "entra-hosts-client.mjs"
    daemon = world["daemon"]
    proc = subprocess.run(
        [node, str(script), daemon.app_id, daemon.secret, world["tenant"]],
        capture_output=True, text=True, timeout=120, cwd=NODE_DIR, check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"node exited {proc.returncode}: {proc.stderr}{proc.stdout}")
    return json.loads(proc.stdout)


def validator(world: dict) -> dict:
    """What a Microsoft.Identity.Web-style API does: trust issuer https://login.microsoftonline.com/{tid}/v2.0,
    take the keys from the discovery document, check signature, issuer and audience (PyJWT)."""
    import jwt
    import requests

    tid = world["tenant"]
    discovery = requests.get(f"{LOGIN}/{tid}/v2.0/.well-known/openid-configuration", timeout=30).json()
    key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(world["v2_token"])
    claims = jwt.decode(
        world["v2_token"], key.key, algorithms=["RS256"],
        issuer=f"{LOGIN}/{tid}/v2.0", audience=world["resource"].app_id,
    )
    return {"issuer": discovery["issuer"], "jwks_uri": discovery["jwks_uri"], "iss": claims["iss"], "ver": claims["ver"]}


def instance_discovery(world: dict) -> dict:
    import requests

    endpoint = f"{LOGIN}/{world['tenant']}/oauth2/v2.0/authorize"
    answer = requests.get(
        f"{LOGIN}/common/discovery/instance",
        params={"api-version": "1.1", "authorization_endpoint": endpoint}, timeout=30,
    )
    answer.raise_for_status()
    return answer.json()


def azure_cli_admin_consent(world: dict) -> dict:
    """The Azure CLI in Microsoft's own cloud (AzureCloud, no `az cloud` or `az config` step): `az login
    --service-principal` (ARM's lists at management.azure.com), then `az ad app permission admin-consent`, which
    posts to main.iam.ad.ext.azure.com with a token for the Azure portal's API; the grants are read back through
    Graph and `az ad app permission list-grants`."""
    config_dir = world["work"] / "az"
    config_dir.mkdir()
    az = Az(config_dir, world["init"]["caCertPath"])
    admin, client, resource = world["az_admin"], world["consent_client"], world["resource"]
    accounts = az.json("login", "--service-principal", "--username", admin.app_id, "--password", admin.secret,
                       "--tenant", world["tenant"], "--allow-no-subscriptions")
    cloud = az.json("cloud", "show")["name"]
    az.run("ad", "app", "permission", "admin-consent", "--id", client.app_id)
    graph = admin_graph(world["init"])
    try:
        listed = graph.session.get(
            f"{graph.base}/servicePrincipals/{client.sp_id}/appRoleAssignments", timeout=30
        )
        listed.raise_for_status()
    finally:
        graph.session.close()
    grants = az.json("ad", "app", "permission", "list-grants", "--id", client.app_id)
    return {
        "cloud": cloud,
        "accounts": [(a["tenantId"], a["name"], a["user"]["type"]) for a in accounts],
        "assignments": [(a["resourceId"], a["appRoleId"]) for a in listed.json()["value"]],
        "expected_assignment": (resource.sp_id, resource.role_ids[ROLE]),
        "grants": [(g["consentType"], g["scope"]) for g in grants],
    }


def office365_management(world: dict) -> dict:
    """The README's recipe for manage.office.com beside `serve --entra-hosts`: the name resolves to an address of
    its own, where `custos sample office365-management` answers with the server's certificate and trusts
    https://login.microsoftonline.com; a daemon's token for https://manage.office.com lists its subscriptions."""
    import requests

    tls = world["data_dir"] / "tls"
    log = world["work"] / "office365-management.log"
    command = [
        str(world["binary"]), "sample", "office365-management", "--listen", f"{MANAGEMENT_ADDRESS}:443",
        "--authority", LOGIN, "--ca", world["init"]["caCertPath"], "--public-url", MANAGEMENT,
        "--tls-cert", str(tls / "server.pem"), "--tls-key", str(tls / "server.key"),
        "--data-dir", str(world["work"] / "office365-management"),
    ]
    with log.open("wb") as out:
        sample = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  env=custos_server.child_env())
    try:
        ready = f"listening on https://{MANAGEMENT_ADDRESS}:443"
        deadline = time.monotonic() + SAMPLE_START_S
        while ready not in log.read_text(errors="replace"):
            if sample.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the sample did not start: {log.read_text(errors='replace')}")
            time.sleep(0.1)
        daemon = world["daemon"]
        token = client_credentials_token(LOGIN, world["tenant"], daemon.app_id, daemon.secret,
                                         f"{MANAGEMENT}/.default", world["init"]["caCertPath"])["access_token"]
        listed = requests.get(f"{MANAGEMENT}/api/v1.0/{world['tenant']}/activity/feed/subscriptions/list",
                              headers={"Authorization": f"Bearer {token}"}, timeout=30)
        if listed.status_code != 200:
            raise AssertionError(f"subscriptions/list: {listed.status_code} {listed.text}\n{log.read_text()}")
        return {"aud": claims_of(token)["aud"], "subscriptions": listed.json()}
    finally:
        sample.terminate()
        try:
            sample.wait(timeout=10)
        except subprocess.TimeoutExpired:
            sample.kill()
            sample.wait()


CLIENTS = {
    "dac_secret": dac_secret,
    "dac_certificate": dac_certificate,
    "msal_python": msal_python,
    "msal_node": msal_node,
    "validator": validator,
    "instance_discovery": instance_discovery,
    "azure_cli_admin_consent": azure_cli_admin_consent,
    "office365_management": office365_management,
}


def main() -> int:
    binary, data_dir, work = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    init = json.loads((work / "init.json").read_text())
    ca = init["caCertPath"]
    # The standard "trust this CA" step, for Python (requests, httpx, urllib) and Node.
    os.environ.update({"REQUESTS_CA_BUNDLE": ca, "SSL_CERT_FILE": ca, "NODE_EXTRA_CA_CERTS": ca})
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        os.environ.pop(name, None)
    server = custos_server.start_server(
        binary, data_dir, 443, init, work / "serve.log", serve_args=["--entra-hosts"]
    )
    report: dict = {}
    try:
        world = {**provision(init, work), "binary": binary, "data_dir": data_dir}
        for name, run in CLIENTS.items():
            try:
                report[name] = run(world)
            except Exception as exc:  # noqa: BLE001 - every client's failure is reported, not just the first
                report[name] = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
    finally:
        try:
            server.stop()
        except custos_server.ServerError as exc:
            report["server_stop"] = {"error": str(exc), "trace": str(exc)}
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
