"""A minimal Microsoft Graph v1.0 client for provisioning the interop fixtures through custos.

Owns the admin token request and the few Graph calls the suite needs; every call checks the
status code the contract promises and reports the response body when it differs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import requests

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
TIMEOUT_S = 30


class GraphCallError(AssertionError):
    """A Graph or token call answered with an unexpected status."""


def _expect(response: requests.Response, status: int, what: str) -> dict:
    if response.status_code != status:
        raise GraphCallError(
            f"{what}: expected HTTP {status}, got {response.status_code} from "
            f"{response.request.method} {response.url}\n{response.text}"
        )
    return response.json() if response.content else {}


def client_credentials_token(
    public_url: str, tenant: str, client_id: str, secret: str, scope: str, ca_path: str
) -> dict:
    """POSTs a v2 client-credentials request (client_secret_post) and returns the JSON body."""
    response = requests.post(
        f"{public_url}/{tenant}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": scope,
        },
        verify=ca_path,
        timeout=TIMEOUT_S,
    )
    return _expect(response, 200, f"token for {scope}")


def admin_token(init: dict) -> str:
    """A Graph token for the installation admin whose credentials `custos init --json` printed."""
    return client_credentials_token(
        init["publicUrl"], init["tenantId"], init["adminClientId"], init["adminClientSecret"], GRAPH_SCOPE,
        init["caCertPath"],
    )["access_token"]


def admin_graph(init: dict) -> GraphClient:
    """A Graph client acting as the installation admin of `init` (`custos init --json`)."""
    return GraphClient(init["graphBaseUrl"], admin_token(init), init["caCertPath"])


@dataclass(frozen=True)
class App:
    """An application registration with its service principal and, optionally, a secret."""

    object_id: str
    app_id: str
    sp_id: str
    secret: str | None
    identifier_uri: str | None
    role_ids: dict[str, str]


class GraphClient:
    """Calls `{publicUrl}/v1.0` with the bootstrap admin's bearer token."""

    def __init__(self, graph_base_url: str, token: str, ca_path: str) -> None:
        self.base = graph_base_url.rstrip("/")
        self.session = requests.Session()
        self.session.verify = ca_path
        self.session.trust_env = False
        self.session.headers["Authorization"] = f"Bearer {token}"

    def _post(self, path: str, body: dict, status: int, what: str) -> dict:
        return _expect(self.session.post(f"{self.base}{path}", json=body, timeout=TIMEOUT_S), status, what)

    def create_application(
        self,
        display_name: str,
        identifier_uri: str | None = None,
        token_version: int | None = None,
        roles: tuple[str, ...] = (),
    ) -> dict:
        app_roles = [
            {
                "id": str(uuid.uuid4()),
                "allowedMemberTypes": ["Application"],
                "value": value,
                "displayName": value,
                "description": f"Interop test role {value}",
                "isEnabled": True,
            }
            for value in roles
        ]
        body: dict = {"displayName": display_name, "appRoles": app_roles}
        if identifier_uri is not None:
            body["identifierUris"] = [identifier_uri]
            body["api"] = {"requestedAccessTokenVersion": token_version}
        created = self._post("/applications", body, 201, f"create application {display_name}")
        if not created.get("id") or not created.get("appId"):
            raise GraphCallError(f"create application {display_name}: no id/appId in {created}")
        echoed = {(role.get("id"), role.get("value")) for role in created.get("appRoles", [])}
        if echoed != {(role["id"], role["value"]) for role in app_roles}:
            raise GraphCallError(f"create application {display_name}: appRoles not echoed: {created.get('appRoles')}")
        return created

    def add_password(self, object_id: str) -> str:
        body = {"passwordCredential": {"displayName": "interop"}}
        result = self._post(f"/applications/{object_id}/addPassword", body, 200, "addPassword")
        secret = result.get("secretText")
        if not secret or result.get("hint") != secret[:3]:
            raise GraphCallError(f"addPassword returned no usable secretText/hint: keys {sorted(result)}")
        return secret

    def add_certificate(self, object_id: str, manifest_entry: dict) -> None:
        """PATCHes `keyCredentials` with one seed-004 manifest entry, then checks Graph lists it."""
        response = self.session.patch(
            f"{self.base}/applications/{object_id}", json={"keyCredentials": [manifest_entry]}, timeout=TIMEOUT_S
        )
        _expect(response, 204, "PATCH keyCredentials")
        app = _expect(self.session.get(f"{self.base}/applications/{object_id}", timeout=TIMEOUT_S), 200, "GET application")
        listed = [
            (key.get("keyId"), key.get("customKeyIdentifier"), key.get("type"), key.get("usage"))
            for key in app.get("keyCredentials", [])
        ]
        wanted = tuple(manifest_entry[name] for name in ("keyId", "customKeyIdentifier", "type", "usage"))
        if listed != [wanted]:
            raise GraphCallError(f"keyCredentials after PATCH: expected [{wanted}], got {listed}")

    def create_service_principal(self, app_id: str) -> str:
        result = self._post("/servicePrincipals", {"appId": app_id}, 201, f"create servicePrincipal for {app_id}")
        if result.get("appId") != app_id or not result.get("id"):
            raise GraphCallError(f"servicePrincipal for {app_id} has unexpected body {result}")
        return result["id"]

    def assign_app_role(self, resource_sp_id: str, principal_sp_id: str, app_role_id: str) -> dict:
        body = {"principalId": principal_sp_id, "resourceId": resource_sp_id, "appRoleId": app_role_id}
        result = self._post(f"/servicePrincipals/{resource_sp_id}/appRoleAssignedTo", body, 201, "appRoleAssignedTo")
        if result.get("appRoleId") != app_role_id or result.get("principalId") != principal_sp_id:
            raise GraphCallError(f"appRoleAssignedTo returned {result}")
        return result

    def register(
        self,
        display_name: str,
        identifier_uri: str | None = None,
        token_version: int | None = None,
        roles: tuple[str, ...] = (),
        with_secret: bool = False,
    ) -> App:
        """Creates an application, optionally a secret, and its service principal."""
        app = self.create_application(display_name, identifier_uri, token_version, roles)
        secret = self.add_password(app["id"]) if with_secret else None
        sp_id = self.create_service_principal(app["appId"])
        role_ids = {role["value"]: role["id"] for role in app.get("appRoles", [])}
        return App(
            object_id=app["id"],
            app_id=app["appId"],
            sp_id=sp_id,
            secret=secret,
            identifier_uri=identifier_uri,
            role_ids=role_ids,
        )
