"""The interactive world the sign-in tests share: a user, a web client with a secret and a public
client, both asking for resource v2's delegated scope (registered once per session through Graph)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from graph_client import TIMEOUT_S, GraphClient, _expect, admin_graph
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


def provision(world: World) -> Interactive:
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
