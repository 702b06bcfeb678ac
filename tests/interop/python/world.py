"""The provisioned state one interop session shares: the server, two resources and three clients
(a daemon with a secret, a role-less client, a daemon with a registered certificate)."""

from __future__ import annotations

from dataclasses import dataclass

from certificates import ClientCertificate
from custos_server import CustosServer
from graph_client import App

ROLE = "Data.Read"


@dataclass(frozen=True)
class Resource:
    """A provisioned resource API and the token version it asks for."""

    name: str  # "v1" or "v2"
    app: App
    version: str  # the `ver` claim its tokens carry

    @property
    def identifier_uri(self) -> str:
        assert self.app.identifier_uri is not None
        return self.app.identifier_uri

    @property
    def token_audience(self) -> str:
        """v1 tokens carry the identifier URI as requested, v2 tokens the resource appId."""
        return self.identifier_uri if self.version == "1.0" else self.app.app_id


@dataclass(frozen=True)
class CertificateClient:
    """A client application that authenticates with a registered certificate only (no secret)."""

    app: App
    certificate: ClientCertificate


@dataclass(frozen=True)
class World:
    """Everything the tests need: the server and the provisioned apps."""

    server: CustosServer
    resources: dict[str, Resource]
    daemon: App
    roleless: App
    cert_daemon: CertificateClient

    @property
    def public_url(self) -> str:
        return self.server.public_url

    @property
    def tenant_id(self) -> str:
        return self.server.tenant_id

    @property
    def ca_path(self) -> str:
        return self.server.ca_path
