#!/usr/bin/env python3
"""Provisions the scale benchmark (issue 17 goal 5) through custos's Graph and admin APIs.

Two modes, both through the server's normal write path (no SQL):

  apps    --apps N: N applications, each with its service principal, in the home tenant, created
          with POST /v1.0/$batch (20 requests per batch: 20 applications, then their 20 service
          principals) from --threads concurrent clients. Writes OUT_DIR/apps.txt (one
          "objectId appId displayName" line per application, a sample for the list probes).
  tenants --tenants T --clients C: T tenants (POST /admin/v1/tenants), each with a resource
          `api://bench` (role Bench.Read) and C clients, each with its own secret, service principal
          and role assignment (batched as above). Writes OUT_DIR/paths-many.txt (one
          `/{tenant}/oauth2/v2.0/token BODY` line per client, client_secret_post, all T x C clients,
          tenants interleaved; bench/wrk/token.lua's `paths` mode) and OUT_DIR/paths-1.txt (the
          first client alone, for the one-client figure).

Usage: scale_provision.py --admin DATA_DIR/admin.json --out OUT_DIR apps --apps 100000
       scale_provision.py --admin DATA_DIR/admin.json --out OUT_DIR tenants --tenants 100 --clients 100
Reuses provision.py's Graph session; every call must answer with the status the contract promises.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import requests

from provision import ROLE, RESOURCE_URI, SCOPE, TIMEOUT_S, Graph, expect

BATCH = 20


def batch(graph: Graph, requests_: list[dict], status: int) -> list[dict]:
    """Runs up to 20 requests in one $batch; every item must answer `status`. Bodies in order. Items
    throttled with 429 (Graph's per-caller rate limit), or the whole batch, are sent again after their
    Retry-After, as a well-behaved client does."""
    out: list[dict | None] = [None] * len(requests_)
    pending = list(range(len(requests_)))
    while pending:
        body = {"requests": [dict(requests_[i], id=str(i)) for i in pending]}
        answer = graph.session.post(f"{graph.base}/$batch", json=body, timeout=TIMEOUT_S * 4)
        if answer.status_code == 429:
            time.sleep(int(answer.headers.get("Retry-After", "1")))
            continue
        reply = expect(answer, 200)
        by_id = {r["id"]: r for r in reply["responses"]}
        throttled, wait_s = [], 0
        for i in pending:
            item, r = by_id[str(i)], requests_[i]
            if item["status"] == 429:
                throttled.append(i)
                wait_s = max(wait_s, int((item.get("headers") or {}).get("Retry-After", "1")))
            elif item["status"] != status:
                sys.exit(f"scale_provision: batch item {r['method']} {r['url']} answered {item['status']}: {item.get('body')}")
            else:
                out[i] = item.get("body") or {}
        if throttled:
            time.sleep(wait_s)
        pending = throttled
    return [b or {} for b in out]


def post(url: str, body: dict) -> dict:
    return {"method": "POST", "url": url, "body": body, "headers": {"Content-Type": "application/json"}}


def apps_with_sps(graph: Graph, names: list[str]) -> list[tuple[dict, dict]]:
    apps = batch(graph, [post("/applications", {"displayName": n}) for n in names], 201)
    sps = batch(graph, [post("/servicePrincipals", {"appId": a["appId"]}) for a in apps], 201)
    return list(zip(apps, sps))


def mode_apps(admin: dict, args: argparse.Namespace) -> None:
    local = threading.local()

    def session() -> Graph:
        if not hasattr(local, "graph"):
            local.graph = Graph(admin)
        return local.graph

    chunks = [[f"scale-app-{i:06d}" for i in range(s, min(s + BATCH, args.apps))] for s in range(0, args.apps, BATCH)]
    done = [0]
    lock = threading.Lock()
    started = time.monotonic()

    def run(names: list[str]) -> list[str]:
        pairs = apps_with_sps(session(), names)
        with lock:
            done[0] += len(names)
            if done[0] % 5000 < BATCH:
                rate = done[0] / (time.monotonic() - started)
                print(f"scale_provision: {done[0]}/{args.apps} applications ({rate:.0f}/s)", file=sys.stderr)
        return [f"{a['id']} {a['appId']} {a['displayName']}" for a, _ in pairs]

    with ThreadPoolExecutor(args.threads) as pool:
        lines = [line for chunk in pool.map(run, chunks) for line in chunk]
    (args.out / "apps.txt").write_text("\n".join(lines) + "\n")
    print(f"scale_provision: {args.apps} applications with principals in {time.monotonic() - started:.0f} s",
          file=sys.stderr)


def tenant_graph(admin: dict, tenant: dict) -> Graph:
    """A Graph session as the new tenant's bootstrap admin."""
    scoped = dict(admin, tenantId=tenant["id"], adminClientId=tenant["adminClientId"],
                  adminClientSecret=tenant["adminClientSecret"])
    return Graph(scoped)


def provision_tenant(admin: dict, home: Graph, index: int, clients: int) -> list[tuple[str, str]]:
    tenant = expect(home.session.post(f"{home.admin_base}/tenants",
                                      json={"domain": f"scale{index:03d}-{uuid.uuid4().hex[:6]}.example"},
                                      timeout=TIMEOUT_S), 201)
    graph = tenant_graph(admin, tenant)
    role_id = str(uuid.uuid4())
    resource, resource_sp = graph.app_with_sp({
        "displayName": "bench-resource",
        "identifierUris": [RESOURCE_URI],
        "api": {"requestedAccessTokenVersion": 2},
        "appRoles": [{"id": role_id, "allowedMemberTypes": ["Application"], "value": ROLE, "displayName": ROLE,
                      "description": "Benchmark role", "isEnabled": True}],
    })
    out = []
    for start in range(0, clients, BATCH):
        names = [f"scale-client-{index:03d}-{i:04d}" for i in range(start, min(start + BATCH, clients))]
        pairs = apps_with_sps(graph, names)
        secrets = batch(graph, [post(f"/applications/{a['id']}/addPassword", {"passwordCredential": {"displayName": "bench"}})
                                for a, _ in pairs], 200)
        batch(graph, [post(f"/servicePrincipals/{resource_sp}/appRoleAssignedTo",
                           {"principalId": sp["id"], "resourceId": resource_sp, "appRoleId": role_id})
                      for _, sp in pairs], 201)
        out.extend((tenant["id"], a["appId"], s["secretText"]) for (a, _), s in zip(pairs, secrets))
    return out


def mode_tenants(admin: dict, args: argparse.Namespace) -> None:
    home = Graph(admin)
    started = time.monotonic()
    with ThreadPoolExecutor(args.threads) as pool:
        per_tenant = list(pool.map(lambda i: provision_tenant(admin, home, i, args.clients), range(args.tenants)))
    # Interleave the tenants so that consecutive requests go to different tenants.
    rows = [per_tenant[t][c] for c in range(args.clients) for t in range(args.tenants)]
    bodies = [urlencode({"grant_type": "client_credentials", "client_id": app_id, "client_secret": secret,
                         "scope": SCOPE}) for _, app_id, secret in rows]
    lines = [f"/{t}/oauth2/v2.0/token {b}\n" for (t, _, _), b in zip(rows, bodies)]
    (args.out / "paths-many.txt").write_text("".join(lines))
    (args.out / "paths-1.txt").write_text(lines[0])
    for path in ("paths-many.txt", "paths-1.txt"):
        (args.out / path).chmod(0o600)
    # One real request, so that a broken setup fails here and not as wrk non-2xx.
    session = requests.Session()
    session.trust_env = False
    session.verify = admin["caCertPath"]
    expect(session.post(f"{admin['publicUrl']}/{rows[-1][0]}/oauth2/v2.0/token", data=bodies[-1],
                        headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=TIMEOUT_S), 200)
    print(f"scale_provision: {args.tenants} tenants x {args.clients} clients in {time.monotonic() - started:.0f} s",
          file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--admin", type=Path, required=True, help="admin.json written by `custos init`")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=4)
    sub = parser.add_subparsers(dest="mode", required=True)
    apps = sub.add_parser("apps")
    apps.add_argument("--apps", type=int, default=100_000)
    tenants = sub.add_parser("tenants")
    tenants.add_argument("--tenants", type=int, default=100)
    tenants.add_argument("--clients", type=int, default=100)
    args = parser.parse_args()
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        os.environ.pop(variable, None)
    admin = json.loads(args.admin.read_text())
    args.out.mkdir(parents=True, exist_ok=True)
    if args.mode == "apps":
        mode_apps(admin, args)
    else:
        mode_tenants(admin, args)


if __name__ == "__main__":
    main()
