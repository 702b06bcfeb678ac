"""Seed 004 from start to finish against a real custos server.

Tenant A registers a multi-tenant app with a secret and a certificate, asking for the Office 365
Management APIs' ActivityFeed.Read and ServiceHealth.Read as application and delegated
permissions. An administrator of tenant B follows the seed's consent URL, signs in and accepts.
The app redeems the code at /common/oauth2/token with the seed's body and learns tenant B from
the token's `tid`; then a certificate assertion at /{tidB}/oauth2/token gets an app-only token
with both roles for tenant B.
"""

from __future__ import annotations

import secrets
import time
import uuid
from urllib.parse import urlencode

import jwt
import requests

import certificates
import sign_in_driver
from graph_client import GraphClient, _expect, admin_graph, client_credentials_token, TIMEOUT_S
from world import World

O365 = "https://manage.office.com"
O365_APP_ID = "c5393580-f805-4401-95e8-94b7a6ef2fc2"
ACTIVITY_FEED_READ = "594c1fb6-4f81-4475-ae41-0c394909246c"
SERVICE_HEALTH_READ = "e2cea78f-e743-4d8f-a16a-75b629a038ae"
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
REDIRECT = "https://activity-consumer.example/callback"


def _tenant_b(world: World) -> tuple[dict, GraphClient]:
    """A second tenant through the admin API, and a Graph client acting as its admin app."""
    installation = admin_graph(world.server.init)
    domain = f"fabrikam-{uuid.uuid4().hex[:6]}.custos.test"
    response = installation.session.post(
        f"{world.public_url}/admin/v1/tenants", json={"domain": domain, "displayName": "Fabrikam"}, timeout=TIMEOUT_S
    )
    tenant = _expect(response, 201, "create tenant B")
    token = client_credentials_token(
        world.public_url, tenant["id"], tenant["adminClientId"], tenant["adminClientSecret"],
        "https://graph.microsoft.com/.default", world.ca_path,
    )["access_token"]
    return tenant, GraphClient(f"{world.public_url}/v1.0", token, world.ca_path)


def _admin_user(graph: GraphClient, domain: str) -> tuple[str, str]:
    upn = f"admin@{domain}"
    password = f"Aa1!{secrets.token_urlsafe(12)}"
    user = graph._post(
        "/users",
        {
            "accountEnabled": True,
            "displayName": "Fabrikam Admin",
            "mailNickname": "admin",
            "userPrincipalName": upn,
            "passwordProfile": {"password": password},
        },
        201,
        "create the admin of tenant B",
    )
    graph._post(
        "/roleManagement/directory/roleAssignments",
        {
            "@odata.type": "#microsoft.graph.unifiedRoleAssignment",
            "roleDefinitionId": GLOBAL_ADMINISTRATOR,
            "principalId": user["id"],
            "directoryScopeId": "/",
        },
        201,
        "make them Global Administrator",
    )
    return upn, password


def test_seed_004_consent_code_exchange_and_certificate_tokens_in_another_tenant(world: World) -> None:
    graph_a = admin_graph(world.server.init)
    access = [{"id": ACTIVITY_FEED_READ, "type": kind} for kind in ("Role", "Scope")]
    access += [{"id": SERVICE_HEALTH_READ, "type": kind} for kind in ("Role", "Scope")]
    app = graph_a._post(
        "/applications",
        {
            "displayName": "Activity consumer",
            "signInAudience": "AzureADMultipleOrgs",
            "web": {"redirectUris": [REDIRECT]},
            "requiredResourceAccess": [{"resourceAppId": O365_APP_ID, "resourceAccess": access}],
        },
        201,
        "register the multi-tenant app in A",
    )
    graph_a.create_service_principal(app["appId"])
    secret = graph_a.add_password(app["id"])
    certificate = certificates.generate("activity-consumer")
    graph_a.add_certificate(app["id"], certificate.manifest_entry(str(uuid.uuid4())))

    tenant_b, graph_b = _tenant_b(world)
    upn, password = _admin_user(graph_b, tenant_b["domain"])

    # Before consent, B does not know the app.
    def certificate_token(tenant: str) -> requests.Response:
        endpoint = f"{world.public_url}/{tenant}/oauth2/token"
        assertion = certificates.seed004_assertion(certificate, app["appId"], endpoint, int(time.time()) - 5)
        return requests.post(
            endpoint,
            data={
                "grant_type": "client_credentials",
                "client_id": app["appId"],
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
                "resource": O365,
            },
            verify=world.ca_path,
            timeout=TIMEOUT_S,
        )

    before = certificate_token(tenant_b["id"])
    assert before.status_code == 401 and before.json()["error_codes"] == [7000229], before.text

    # The seed's consent URL, host aside.
    consent_url = f"{world.public_url}/common/oauth2/authorize?" + urlencode(
        {"response_type": "code", "resource": O365, "client_id": app["appId"], "redirect_uri": REDIRECT}
    )
    answer = sign_in_driver.drive(consent_url, REDIRECT, upn, password, world.ca_path)
    assert "code" in answer, answer

    # The seed's code redemption body.
    response = requests.post(
        f"{world.public_url}/common/oauth2/token",
        data={
            "client_id": app["appId"],
            "redirect_uri": REDIRECT,
            "client_secret": secret,
            "code": answer["code"],
            "grant_type": "authorization_code",
            "resource": O365,
        },
        verify=world.ca_path,
        timeout=TIMEOUT_S,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body)[:6] == ["expires_in", "token_type", "scope", "expires_on", "not_before", "resource"], list(body)
    assert all(isinstance(body[k], str) for k in ("expires_in", "expires_on", "not_before")), body
    assert body["resource"] == O365 and body["refresh_token"] and body["id_token"], body
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["aud"] == O365
    assert claims["tid"] == tenant_b["id"], "the app learns tenant B from tid"
    assert claims["amr"] == ["pwd"] and claims["upn"] == upn
    assert sorted(claims["scp"].split()) == ["ActivityFeed.Read", "ServiceHealth.Read"]
    assert sorted(body["scope"].split()) == ["ActivityFeed.Read", "ServiceHealth.Read"]
    assert claims["appid"] == app["appId"] and claims["appidacr"] == "1"

    # Now app-only tokens with the certificate work in B.
    after = certificate_token(claims["tid"])
    assert after.status_code == 200, after.text
    app_claims = jwt.decode(after.json()["access_token"], options={"verify_signature": False})
    assert app_claims["tid"] == tenant_b["id"]
    assert sorted(app_claims["roles"]) == ["ActivityFeed.Read", "ServiceHealth.Read"]
    assert app_claims["appidacr"] == "2" and app_claims["idtyp"] == "app"
