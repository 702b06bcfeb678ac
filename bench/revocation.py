#!/usr/bin/env python3
"""Measures how long node B keeps honouring a credential after node A revoked it (issue 16 item 3).

Two custos servers share one PostgreSQL database; `bench/revocation-bench.sh` starts them, puts both
under wrk load and runs this script. For each of COUNT subjects (a daemon app with a secret and a
service principal, created through A) it:
  1. asks B for a client-credentials token until B answers 200 (B has the subject in its cache);
  2. revokes the subject through A, by turns: the secret removed (`removePassword`), the service
     principal disabled (PATCH `accountEnabled: false`), the application deleted;
  3. from A's answer (the change is committed), asks B again and again, each request right after
     the previous answer, until B refuses; the time to the refusing answer is the revocation time
     (an upper bound: it includes one request's round trip to the loaded B).
Prints one line per revocation and a summary: p50 / p99 / max per path and overall (nearest rank:
with COUNT <= 100, p99 is the largest), and the round trip of B's answers meanwhile.

Usage: revocation.py --admin DATA_DIR/admin.json --node-b https://localhost:PORT --count 50
Needs `requests`; `provision.py` sits next to it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time

import requests

from provision import TIMEOUT_S, Graph, expect

SCOPE = "https://graph.microsoft.com/.default"
PATHS = ("secret removed", "service principal disabled", "application deleted")
# Past this, a revocation counts as not honoured (the cache's fallback bound is 30 s).
GIVE_UP_S = 35.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--admin", required=True, help="admin.json written by `custos init` (node A's public URL)")
    parser.add_argument("--node-b", required=True, help="node B's base URL")
    parser.add_argument("--count", type=int, default=50)
    args = parser.parse_args()
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        os.environ.pop(variable, None)
    with open(args.admin, encoding="utf-8") as f:
        admin = json.load(f)
    graph = Graph(admin)
    tenant = admin["tenantId"]
    on_b = requests.Session()
    on_b.trust_env = False
    on_b.verify = admin["caCertPath"]
    token_url = f"{args.node_b.rstrip('/')}/{tenant}/oauth2/v2.0/token"

    def ask_b(client_id: str, secret: str) -> int:
        body = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, "scope": SCOPE}
        return on_b.post(token_url, data=body, timeout=TIMEOUT_S).status_code

    results: list[tuple[str, float, int]] = []  # (path, seconds, requests to B until refused)
    round_trips: list[float] = []
    for index in range(args.count):
        path = PATHS[index % len(PATHS)]
        app, sp_id = graph.app_with_sp({"displayName": f"revocation-subject-{index:03d}"})
        secret = graph.post(f"/applications/{app['id']}/addPassword", {}, 200)
        client_id, secret_text = app["appId"], secret["secretText"]
        started = time.monotonic()
        while ask_b(client_id, secret_text) != 200:
            if time.monotonic() - started > GIVE_UP_S:
                sys.exit(f"revocation: B never issued a token to subject {index}")

        if path == "secret removed":
            graph.post(f"/applications/{app['id']}/removePassword", {"keyId": secret["keyId"]}, 204)
        elif path == "service principal disabled":
            graph.patch(f"/servicePrincipals/{sp_id}", {"accountEnabled": False}, 204)
        else:
            expect(graph.session.delete(f"{graph.base}/applications/{app['id']}", timeout=TIMEOUT_S), 204)
        committed = time.monotonic()
        attempts = 0
        while True:
            sent = time.monotonic()
            status = ask_b(client_id, secret_text)
            answered = time.monotonic()
            round_trips.append(answered - sent)
            attempts += 1
            if status != 200:
                took = answered - committed
                break
            if answered - committed > GIVE_UP_S:
                took = math.inf
                break
        results.append((path, took, attempts))
        print(f"revocation {index + 1:3d}/{args.count} {path:28s} {took * 1000:8.1f} ms ({attempts} requests to B)",
              file=sys.stderr)

    def summary(label: str, times: list[float]) -> str:
        return (f"{label}: n={len(times)} p50={percentile(times, 50) * 1000:.1f} ms "
                f"p99={percentile(times, 99) * 1000:.1f} ms max={max(times) * 1000:.1f} ms")

    times = [t for _, t, _ in results]
    print("REVOCATION " + summary("all", times))
    for path in PATHS:
        print("REVOCATION " + summary(path, [t for p, t, _ in results if p == path]))
    print(f"REVOCATION B round trip meanwhile: mean={statistics.mean(round_trips) * 1000:.1f} ms "
          f"p99={percentile(round_trips, 99) * 1000:.1f} ms; within 1 s: "
          f"{sum(t <= 1.0 for t in times)}/{len(times)}; not honoured within {GIVE_UP_S:.0f} s: "
          f"{sum(math.isinf(t) for t in times)}")


if __name__ == "__main__":
    main()
