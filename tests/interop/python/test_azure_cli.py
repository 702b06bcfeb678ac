"""The Azure CLI against custos with no patch to the tool, as Azure Stack Hub users run it
(`graph-fidelity.md` §7): `az cloud register` reads custos' cloud metadata, `az login
--service-principal` gets an Azure Resource Manager token and reads ARM's subscription and tenant
lists, and the `az ad` commands call Graph at the public URL with a token for it. The CLI is
installed in its own environment, `.venv-az` (`.ci/run`)."""

from __future__ import annotations

import json
import uuid

import pytest

from azure_cli import Az
from world import World

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
APPLICATION_READ_ALL = "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30"


@pytest.fixture(scope="module")
def az(world: World, tmp_path_factory: pytest.TempPathFactory) -> Az:
    """Logged in as the bootstrap admin, in the cloud `custos` registered from the metadata."""
    cli = Az(tmp_path_factory.mktemp("az"), world.ca_path)
    init = world.server.init
    cli.run("cloud", "register", "--name", "custos", "--endpoint-resource-manager", f"{world.public_url}/")
    cli.run("cloud", "set", "--name", "custos")
    # az's own switch for private clouds: MSAL would otherwise ask login.microsoftonline.com to
    # vouch for the authority (`entra-wire.md` §12.1).
    cli.run("config", "set", "core.instance_discovery=false")
    accounts = cli.json("login", "--service-principal", "--username", init["adminClientId"],
                        "--password", init["adminClientSecret"], "--tenant", world.tenant_id, "--allow-no-subscriptions")
    assert [(a["tenantId"], a["name"], a["user"]["type"]) for a in accounts] == [
        (world.tenant_id, "N/A(tenant level account)", "servicePrincipal")
    ], accounts
    return cli


def test_az_gets_arm_graph_and_api_tokens(az: Az, world: World) -> None:
    arm = az.json("account", "get-access-token")
    assert arm["tokenType"] == "Bearer" and arm["tenant"] == world.tenant_id
    graph = az.json("account", "get-access-token", "--resource-type", "ms-graph")
    assert graph["accessToken"] != arm["accessToken"]
    api = az.json("account", "get-access-token", "--resource", world.resources["v1"].identifier_uri)
    assert api["accessToken"]


def test_az_ad_app_and_sp_commands(az: Az) -> None:
    name = f"az-app-{uuid.uuid4().hex[:8]}"
    app = az.json("ad", "app", "create", "--display-name", name)
    app_id = app["appId"]
    assert app["displayName"] == name
    assert az.json("ad", "app", "show", "--id", app_id)["id"] == app["id"]
    assert [a["appId"] for a in az.json("ad", "app", "list", "--display-name", name)] == [app_id]
    az.run("ad", "app", "update", "--id", app_id, "--set", "notes=made by az")
    assert az.json("ad", "app", "show", "--id", app_id)["notes"] == "made by az"

    sp = az.json("ad", "sp", "create", "--id", app_id)
    assert sp["appId"] == app_id
    assert az.json("ad", "sp", "show", "--id", app_id)["id"] == sp["id"]
    assert app_id in [s["appId"] for s in az.json("ad", "sp", "list", "--all")]

    secret = az.json("ad", "app", "credential", "reset", "--id", app_id)
    assert secret["appId"] == app_id and len(secret["password"]) >= 32
    assert len(az.json("ad", "app", "credential", "list", "--id", app_id)) == 1

    parameters = json.dumps({"name": "github-main", "issuer": "https://token.actions.githubusercontent.com",
                             "subject": "repo:contoso/app:ref:refs/heads/main", "audiences": ["api://AzureADTokenExchange"]})
    az.run("ad", "app", "federated-credential", "create", "--id", app_id, "--parameters", parameters)
    assert [c["name"] for c in az.json("ad", "app", "federated-credential", "list", "--id", app_id)] == ["github-main"]

    az.run("ad", "app", "permission", "add", "--id", app_id, "--api", GRAPH_APP_ID,
           "--api-permissions", f"{APPLICATION_READ_ALL}=Role")
    assert [p["resourceAppId"] for p in az.json("ad", "app", "permission", "list", "--id", app_id)] == [GRAPH_APP_ID]
    # A delegated grant for every user (az deletes an older grant of the same pair first).
    az.run("ad", "app", "permission", "grant", "--id", app_id, "--api", GRAPH_APP_ID, "--scope", "User.Read")
    grants = az.json("ad", "app", "permission", "list-grants", "--id", app_id)
    assert [(g["consentType"], g["scope"].split()) for g in grants] == [("AllPrincipals", ["User.Read"])], grants

    az.run("ad", "app", "delete", "--id", app_id)
    assert az.json("ad", "app", "list", "--display-name", name) == []
    assert "ERROR:" in az.fails("ad", "app", "show", "--id", app_id)
