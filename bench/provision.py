#!/usr/bin/env python3
"""Provisions the token benchmark through custos's Graph API and writes wrk's request inputs.

Creates one resource app (`api://bench`, app role `Bench.Read`) and N client apps, each with its
own secret, service principal and role assignment, plus one private_key_jwt client whose
certificate is registered by PATCH `keyCredentials` in seed 004's manifest shape. Writes, into OUT_DIR:
  post-1.txt / post-N.txt    one client_secret_post body per line (1 client / N clients)
  basic-1.txt / basic-N.txt  one `Basic ...` Authorization value per line
  basic-body.txt             the body that goes with client_secret_basic
  tenant.txt                 the tenant id (the token path is /{tenant}/oauth2/v2.0/token)
  pkjwt-client.txt           the private_key_jwt client's id
  pkjwt-key.pem, pkjwt-cert.der   its private key and certificate (assertions.py signs the pool with them)
  pkjwt-audience.txt         the assertion `aud`: the v2 token endpoint under the public URL
  post-es256-1.txt           client 0's client_secret_post body for `api://bench-es256`, a copy of
                             the resource that asks for ES256 access tokens (custos extension
                             `custos.accessTokenSigningAlgorithm`), with the same role assigned
With --refresh-tokens K (K > 0), also a delegated scope `Bench.Act` on the resource, a web client
with a secret and admin consent to it, and a user; the tenant's `allowPasswordGrant` is turned on
and K refresh-token families are started with the password grant (the quickest way to many
independent grants; the grant itself is not measured). Writes:
  refresh-tokens.txt         K refresh tokens, one per line, each the start of its own family
  refresh-id.txt             the refresh_token grant's body without the token, asking for openid
                             (so every answer carries an ID token: two signatures)
  refresh-access.txt         the same without openid (an access token only: one signature)

Usage: provision.py --admin DATA_DIR/admin.json --clients 1000 --out OUT_DIR [--refresh-tokens K]
Needs `requests` and `cryptography`; every call must answer with the status the contract promises.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
import secrets
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlencode

import requests
from cryptography.hazmat.primitives import serialization

import assertions

RESOURCE_URI = "api://bench"
ES256_RESOURCE_URI = "api://bench-es256"
ROLE = "Bench.Read"
SCOPE = f"{RESOURCE_URI}/.default"
DELEGATED = "Bench.Act"
TIMEOUT_S = 30


def expect(response: requests.Response, status: int) -> dict:
    if response.status_code != status:
        sys.exit(
            f"provision: {response.request.method} {response.url} answered HTTP "
            f"{response.status_code}, expected {status}:\n{response.text}"
        )
    return response.json() if response.content else {}


class Graph:
    def __init__(self, admin: dict) -> None:
        self.base = admin["graphBaseUrl"].rstrip("/")
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = admin["caCertPath"]
        token = expect(
            self.session.post(
                f"{admin['publicUrl']}/{admin['tenantId']}/oauth2/v2.0/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": admin["adminClientId"],
                    "client_secret": admin["adminClientSecret"],
                    "scope": "https://graph.microsoft.com/.default",
                },
                timeout=TIMEOUT_S,
            ),
            200,
        )["access_token"]
        self.session.headers["Authorization"] = f"Bearer {token}"

        self.admin_base = f"{admin['publicUrl']}/admin/v1"

    def post(self, path: str, body: dict, status: int) -> dict:
        return expect(self.session.post(f"{self.base}{path}", json=body, timeout=TIMEOUT_S), status)

    def patch(self, path: str, body: dict, status: int) -> dict:
        return expect(self.session.patch(f"{self.base}{path}", json=body, timeout=TIMEOUT_S), status)

    def app_with_sp(self, body: dict) -> tuple[dict, str]:
        app = self.post("/applications", body, 201)
        sp = self.post("/servicePrincipals", {"appId": app["appId"]}, 201)
        return app, sp["id"]


def refresh_families(graph: Graph, admin: dict, resource: dict, resource_sp: str, count: int, out: Path) -> None:
    """A web client consented to `Bench.Act`, a user, and `count` + 1 refresh tokens (the last one is
    spent on a probe); writes refresh-tokens.txt, refresh-id.txt and refresh-access.txt."""
    scope_id = str(uuid.uuid4())
    graph.patch(
        f"/applications/{resource['id']}",
        {
            "api": {
                "requestedAccessTokenVersion": 2,
                "oauth2PermissionScopes": [
                    {
                        "id": scope_id,
                        "value": DELEGATED,
                        "type": "User",
                        "adminConsentDisplayName": "Act in the benchmark",
                        "adminConsentDescription": "Acts in the benchmark as the signed-in user.",
                        "isEnabled": True,
                    }
                ],
            }
        },
        204,
    )
    web, web_sp = graph.app_with_sp(
        {
            "displayName": "bench-web-client",
            "web": {"redirectUris": ["https://bench.invalid/callback"]},
            "requiredResourceAccess": [
                {"resourceAppId": resource["appId"], "resourceAccess": [{"id": scope_id, "type": "Scope"}]}
            ],
        }
    )
    web_secret = graph.post(
        f"/applications/{web['id']}/addPassword", {"passwordCredential": {"displayName": "bench"}}, 200
    )["secretText"]
    graph.post(
        "/oauth2PermissionGrants",
        {"clientId": web_sp, "consentType": "AllPrincipals", "resourceId": resource_sp, "scope": DELEGATED},
        201,
    )
    upn = f"bench-user@{admin['tenantDomain']}"
    password = f"Bench-{secrets.token_urlsafe(16)}"
    graph.post(
        "/users",
        {
            "accountEnabled": True,
            "displayName": "Bench User",
            "mailNickname": "bench-user",
            "userPrincipalName": upn,
            "passwordProfile": {"password": password, "forceChangePasswordNextSignIn": False},
        },
        201,
    )
    expect(
        graph.session.patch(
            f"{graph.admin_base}/tenants/{admin['tenantId']}/settings",
            json={"allowPasswordGrant": True},
            timeout=TIMEOUT_S,
        ),
        200,
    )

    token_url = f"{admin['publicUrl']}/{admin['tenantId']}/oauth2/v2.0/token"
    session = requests.Session()
    session.trust_env = False
    session.verify = admin["caCertPath"]
    client = {"client_id": web["appId"], "client_secret": web_secret}
    with_id = f"{RESOURCE_URI}/{DELEGATED} openid offline_access"

    def start_family(_: int) -> str:
        body = {"grant_type": "password", **client, "username": upn, "password": password, "scope": with_id}
        return expect(session.post(token_url, data=body, timeout=TIMEOUT_S), 200)["refresh_token"]

    with ThreadPoolExecutor(max_workers=4) as pool:  # the password hash is the server's bottleneck
        tokens = list(pool.map(start_family, range(count + 1)))
    probe = tokens.pop()
    refresh_id = urlencode({"grant_type": "refresh_token", **client, "scope": with_id})
    refresh_access = urlencode(
        {"grant_type": "refresh_token", **client, "scope": f"{RESOURCE_URI}/{DELEGATED} offline_access"}
    )
    answer = expect(
        session.post(token_url, data=f"{refresh_id}&{urlencode({'refresh_token': probe})}", timeout=TIMEOUT_S,
                     headers={"Content-Type": "application/x-www-form-urlencoded"}),
        200,
    )
    if "id_token" not in answer or "refresh_token" not in answer:
        sys.exit(f"provision: the refresh probe's answer lacks id_token or refresh_token: {sorted(answer)}")
    (out / "refresh-tokens.txt").write_text("".join(t + "\n" for t in tokens))
    (out / "refresh-id.txt").write_text(refresh_id + "\n")
    (out / "refresh-access.txt").write_text(refresh_access + "\n")


def basic_value(client_id: str, secret: str) -> str:
    """RFC 6749 §2.3.1: form-urlencode id and secret, then base64 `id:secret`."""
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--admin", type=Path, required=True, help="admin.json written by `custos init`")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--refresh-tokens", type=int, default=0, help="refresh-token families to start")
    args = parser.parse_args()
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        os.environ.pop(variable, None)

    admin = json.loads(args.admin.read_text())
    if not admin.get("adminClientSecret"):
        sys.exit(f"provision: {args.admin} holds no admin secret (use a fresh data directory)")
    graph = Graph(admin)
    started = time.monotonic()

    role_id = str(uuid.uuid4())
    resource_body = {
        "displayName": "bench-resource",
        "identifierUris": [RESOURCE_URI],
        "api": {"requestedAccessTokenVersion": 2},
        "appRoles": [
            {
                "id": role_id,
                "allowedMemberTypes": ["Application"],
                "value": ROLE,
                "displayName": ROLE,
                "description": "Benchmark role",
                "isEnabled": True,
            }
        ],
    }
    resource, resource_sp = graph.app_with_sp(resource_body)
    # The same resource again, signed with ES256 (its role id differs: role ids are per application).
    es256_role_id = str(uuid.uuid4())
    es256_body = {
        **resource_body,
        "displayName": "bench-resource-es256",
        "identifierUris": [ES256_RESOURCE_URI],
        "appRoles": [{**resource_body["appRoles"][0], "id": es256_role_id}],
        "custos": {"accessTokenSigningAlgorithm": "ES256"},
    }
    es256_resource, es256_sp = graph.app_with_sp(es256_body)
    if es256_resource.get("custos", {}).get("accessTokenSigningAlgorithm") != "ES256":
        sys.exit(f"provision: the ES256 resource did not keep its signing algorithm: {es256_resource}")

    clients: list[tuple[str, str]] = []
    for index in range(args.clients):
        app, sp_id = graph.app_with_sp({"displayName": f"bench-client-{index:05d}"})
        secret = graph.post(
            f"/applications/{app['id']}/addPassword", {"passwordCredential": {"displayName": "bench"}}, 200
        )["secretText"]
        graph.post(
            f"/servicePrincipals/{resource_sp}/appRoleAssignedTo",
            {"principalId": sp_id, "resourceId": resource_sp, "appRoleId": role_id},
            201,
        )
        clients.append((app["appId"], secret))
        if index == 0:
            graph.post(
                f"/servicePrincipals/{es256_sp}/appRoleAssignedTo",
                {"principalId": sp_id, "resourceId": es256_sp, "appRoleId": es256_role_id},
                201,
            )
        if (index + 1) % 100 == 0:
            print(f"provision: {index + 1}/{args.clients} clients", file=sys.stderr)

    # The private_key_jwt client: a certificate only, registered in the seed-004 manifest shape.
    pkjwt_app, pkjwt_sp = graph.app_with_sp({"displayName": "bench-pkjwt-client"})
    key_pem, cert_der = assertions.new_certificate("bench-pkjwt-client")
    manifest_entry = {
        "customKeyIdentifier": base64.b64encode(hashlib.sha1(cert_der).digest()).decode(),  # SHA-1 thumbprint
        "keyId": str(uuid.uuid4()),
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
        "value": base64.b64encode(cert_der).decode(),
    }
    graph.patch(f"/applications/{pkjwt_app['id']}", {"keyCredentials": [manifest_entry]}, 204)
    graph.post(
        f"/servicePrincipals/{resource_sp}/appRoleAssignedTo",
        {"principalId": pkjwt_sp, "resourceId": resource_sp, "appRoleId": role_id},
        201,
    )

    def post_body(client_id: str, secret: str, scope: str = SCOPE) -> str:
        return urlencode(
            {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, "scope": scope}
        )

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    n = args.clients
    (out / "post-1.txt").write_text(post_body(*clients[0]) + "\n")
    (out / "post-es256-1.txt").write_text(post_body(*clients[0], f"{ES256_RESOURCE_URI}/.default") + "\n")
    (out / f"post-{n}.txt").write_text("".join(post_body(*c) + "\n" for c in clients))
    (out / "basic-1.txt").write_text(basic_value(*clients[0]) + "\n")
    (out / f"basic-{n}.txt").write_text("".join(basic_value(*c) + "\n" for c in clients))
    (out / "basic-body.txt").write_text(urlencode({"grant_type": "client_credentials", "scope": SCOPE}) + "\n")
    (out / "tenant.txt").write_text(admin["tenantId"] + "\n")
    token_url = f"{admin['publicUrl']}/{admin['tenantId']}/oauth2/v2.0/token"
    (out / "pkjwt-client.txt").write_text(pkjwt_app["appId"] + "\n")
    (out / "pkjwt-key.pem").write_bytes(key_pem)
    (out / "pkjwt-cert.der").write_bytes(cert_der)
    (out / "pkjwt-audience.txt").write_text(token_url + "\n")
    if args.refresh_tokens > 0:
        refresh_families(graph, admin, resource, resource_sp, args.refresh_tokens, out)
    for path in out.iterdir():
        path.chmod(0o600)

    # One real request per auth method, so a broken setup fails here and not as wrk non-2xx.
    client_id, secret = clients[0]
    session = requests.Session()
    session.trust_env = False
    session.verify = admin["caCertPath"]
    expect(session.post(token_url, data=post_body(client_id, secret), timeout=TIMEOUT_S,
                        headers={"Content-Type": "application/x-www-form-urlencoded"}), 200)
    es256_token = expect(session.post(token_url, data=(out / "post-es256-1.txt").read_text().strip(),
                                      timeout=TIMEOUT_S,
                                      headers={"Content-Type": "application/x-www-form-urlencoded"}), 200)
    es256_header = json.loads(base64.urlsafe_b64decode(es256_token["access_token"].split(".")[0] + "=="))
    if es256_header.get("alg") != "ES256":
        sys.exit(f"provision: the ES256 resource's token is signed with {es256_header.get('alg')}")
    expect(session.post(token_url, data=(out / "basic-body.txt").read_text().strip(), timeout=TIMEOUT_S,
                        headers={"Content-Type": "application/x-www-form-urlencoded",
                                 "Authorization": basic_value(client_id, secret)}), 200)
    key = serialization.load_pem_private_key(key_pem, password=None)
    probe = assertions.assertion(key, assertions.x5t(cert_der), pkjwt_app["appId"], token_url, int(time.time()))
    expect(session.post(token_url, data=assertions.form_body(pkjwt_app["appId"], probe), timeout=TIMEOUT_S,
                        headers={"Content-Type": "application/x-www-form-urlencoded"}), 200)
    print(f"provision: {n} clients in {time.monotonic() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
