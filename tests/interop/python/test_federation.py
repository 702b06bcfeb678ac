"""Workload identity federation with azure-identity's WorkloadIdentityCredential.

The session's custos server plays the external OpenID Connect issuer: a daemon there gets a
client-credentials token for `api://AzureADTokenExchange`. A second, independent custos server
(the relying one) trusts that issuer through `--federation-allow-issuer` / `--federation-ca`
(given as CUSTOS_FEDERATION_ALLOW_ISSUER / CUSTOS_FEDERATION_CA, the flags' environment forms)
and a federated identity credential registered through Graph on its workload application. The
workload then authenticates with nothing but the token file, as on Kubernetes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import WorkloadIdentityCredential

import custos_server
from graph_client import App, GraphCallError, GraphClient, admin_graph, client_credentials_token
from token_checks import Expected, validate
from world import ROLE, World

EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"


@dataclass(frozen=True)
class ExternalIssuer:
    """The issuer side: its issuer URL, CA, the workload's subject there and two minted tokens."""

    issuer: str
    ca_path: str
    subject: str
    token: str  # aud = api://AzureADTokenExchange
    other_audience_token: str  # aud = api://federation-elsewhere


@dataclass(frozen=True)
class RelyingServer:
    """The relying server with a workload application trusting the external issuer."""

    server: custos_server.CustosServer
    workload: App
    resources: dict[str, App]  # "1.0" / "2.0"


def add_federated_credential(graph: GraphClient, app: App, issuer: str, subject: str) -> dict:
    """POST /applications/{id}/federatedIdentityCredentials with the default audience."""
    body = {"name": "external-custos", "issuer": issuer, "subject": subject, "audiences": [EXCHANGE_AUDIENCE]}
    response = graph.session.post(f"{graph.base}/applications/{app.object_id}/federatedIdentityCredentials", json=body)
    if response.status_code != 201:
        raise GraphCallError(f"create federatedIdentityCredential: HTTP {response.status_code}\n{response.text}")
    created = response.json()
    assert (created["issuer"], created["subject"], created["audiences"]) == (issuer, subject, [EXCHANGE_AUDIENCE])
    return created


@pytest.fixture(scope="module")
def external(world: World) -> ExternalIssuer:
    """Mints app-only tokens on the session server, the external issuer of this module."""
    graph = admin_graph(world.server.init)
    graph.register("federation-exchange", EXCHANGE_AUDIENCE)
    graph.register("federation-elsewhere", "api://federation-elsewhere")
    source = graph.register("federation-workload-source", with_secret=True)
    assert source.secret is not None

    def mint(resource: str) -> str:
        return client_credentials_token(
            world.public_url, world.tenant_id, source.app_id, source.secret, f"{resource}/.default", world.ca_path
        )["access_token"]

    return ExternalIssuer(
        # v1 tokens (no requestedAccessTokenVersion): iss = {publicUrl}/{tenant}/, sub = the client's object id.
        issuer=f"{world.public_url}/{world.tenant_id}/",
        ca_path=world.ca_path,
        subject=source.sp_id,
        token=mint(EXCHANGE_AUDIENCE),
        other_audience_token=mint("api://federation-elsewhere"),
    )


@pytest.fixture(scope="module")
def relying(tmp_path_factory: pytest.TempPathFactory, external: ExternalIssuer):
    """A second custos server trusting the external issuer, with a FIC-only workload application."""
    binary = custos_server.custos_binary()
    root = tmp_path_factory.mktemp("custos-relying")
    port = custos_server.free_port()
    init = custos_server.run_init(binary, root / "data", f"https://localhost:{port}")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CUSTOS_FEDERATION_ALLOW_ISSUER", external.issuer)
        env.setenv("CUSTOS_FEDERATION_CA", external.ca_path)
        server = custos_server.start_server(binary, root / "data", port, init, root / "serve.log")
    try:
        graph = admin_graph(server.init)
        resources = {
            "1.0": graph.register("federated-target-v1", "api://federated-target-v1", token_version=None, roles=(ROLE,)),
            "2.0": graph.register("federated-target-v2", "api://federated-target-v2", token_version=2, roles=(ROLE,)),
        }
        workload = graph.register("federated-workload")
        for resource in resources.values():
            graph.assign_app_role(resource.sp_id, workload.sp_id, resource.role_ids[ROLE])
        add_federated_credential(graph, workload, external.issuer, external.subject)
        yield RelyingServer(server=server, workload=workload, resources=resources)
    finally:
        server.stop()


def workload_credential(
    relying: RelyingServer, token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> WorkloadIdentityCredential:
    """The credential exactly as a Kubernetes pod configures it: environment variables only."""
    token_file = tmp_path / "azure-identity-token"
    token_file.write_text(token)
    server = relying.server
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", server.public_url)
    monkeypatch.setenv("AZURE_TENANT_ID", server.tenant_id)
    monkeypatch.setenv("AZURE_CLIENT_ID", relying.workload.app_id)
    monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", str(token_file))
    return WorkloadIdentityCredential(connection_verify=server.ca_path)


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_workload_identity_credential_exchanges_the_external_token(
    relying: RelyingServer, external: ExternalIssuer, version: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    resource = relying.resources[version]
    credential = workload_credential(relying, external.token, tmp_path, monkeypatch)
    access = credential.get_token(f"{resource.identifier_uri}/.default")
    expected = Expected(
        version=version,
        audience=resource.identifier_uri if version == "1.0" else resource.app_id,
        tenant_id=relying.server.tenant_id,
        client_app_id=relying.workload.app_id,
        client_sp_id=relying.workload.sp_id,
        roles=[ROLE],
        acr="2",
    )
    validate(access.token, expected, relying.server.public_url, relying.server.ca_path)


def test_a_token_for_another_audience_is_refused(
    relying: RelyingServer, external: ExternalIssuer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    credential = workload_credential(relying, external.other_audience_token, tmp_path, monkeypatch)
    with pytest.raises(ClientAuthenticationError) as refused:
        credential.get_token(f"{relying.resources['2.0'].identifier_uri}/.default")
    message = str(refused.value)
    assert "AADSTS700212" in message, message
    assert "presented assertion audience 'api://federation-elsewhere'" in message, message
