"""Managed identities for the interop suites: made through the custos admin API and given the v1
resource's role through Graph, then served either by `custos agent` (its credential made with `custos mi
credential create`) or by the server itself for an endpoint secret (`.../endpointSecret`)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

import custos_server
from graph_client import admin_token
from world import ROLE, World

TIMEOUT_S = 30
AGENT_EXPORTS = 4  # IDENTITY_ENDPOINT, IDENTITY_HEADER, AZURE_POD_IDENTITY_AUTHORITY_HOST, MSAL_MANAGED_IDENTITY_ENDPOINT


def _admin_headers(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token(world.server.init)}"}


def _identities_url(world: World) -> str:
    return f"{world.public_url}/admin/v1/tenants/{world.tenant_id}/managedIdentities"


def create_identity(world: World, name: str, *, with_role: bool = True) -> dict:
    """A new managed identity (`{id, appId, displayName}`), holding the v1 resource's role unless
    `with_role` is false."""
    headers = _admin_headers(world)
    created = requests.post(
        _identities_url(world), json={"displayName": name}, headers=headers, verify=world.ca_path, timeout=TIMEOUT_S
    )
    assert created.status_code == 201, created.text
    mi = created.json()
    if not with_role:
        return mi
    resource = world.resources["v1"]
    assigned = requests.post(
        f"{world.server.init['graphBaseUrl']}/servicePrincipals/{resource.app.sp_id}/appRoleAssignedTo",
        json={"principalId": mi["id"], "resourceId": resource.app.sp_id, "appRoleId": resource.app.role_ids[ROLE]},
        headers=headers,
        verify=world.ca_path,
        timeout=TIMEOUT_S,
    )
    assert assigned.status_code == 201, assigned.text
    return mi


def create_endpoint_secret(world: World, mi: dict) -> dict:
    """A new endpoint secret for `mi`: the admin API's answer (`secret`, `identityEndpoint`,
    `podIdentityAuthorityHost`, ...)."""
    made = requests.post(
        f"{_identities_url(world)}/{mi['id']}/endpointSecret",
        json={"days": 1},
        headers=_admin_headers(world),
        verify=world.ca_path,
        timeout=TIMEOUT_S,
    )
    assert made.status_code == 201, made.text
    return made.json()


@contextmanager
def running_agent(world: World, mi: dict, workdir: Path) -> Iterator[dict[str, str]]:
    """`custos agent` for `mi` on a free loopback port; yields its `export` lines as a dict."""
    server = world.server
    binary = custos_server.custos_binary()
    pem = workdir / f"{mi['displayName']}.pem"
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
    try:
        exports = {}
        assert process.stdout is not None
        for _ in range(AGENT_EXPORTS):
            line = process.stdout.readline().strip()
            assert line.startswith("export "), f"unexpected agent output: {line!r}"
            name, _, value = line.removeprefix("export ").partition("=")
            exports[name] = value
        yield exports
    finally:
        process.terminate()
        process.wait(timeout=15)
