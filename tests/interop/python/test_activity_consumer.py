"""Issue 13's first "Done when", end to end: `custos sample office365-management` and `custos sample
activity-consumer` against the session's custos.

Tenant A registers the consumer as a multi-tenant app (a certificate; a secret for the reader) asking for the Office
365 Management APIs' ActivityFeed.Read and Graph's AuditLog.Read.All as application permissions; the
Activity sample reads each tenant's log as that same app. The admins of tenants B and C connect their
organisation through the consumer's page (`/connect` → custos' sign-in and consent pages → `/callback`):
B's in headless Chromium, C's by form posts. Then an app change happens in B and in C, and within 30 s the consumer's store holds the
change of each tenant under that tenant only, with generated Audit.General events, delivered by
webhook. With the consumer down while another change happens in B, nothing is lost: after a restart
the change arrives (polling or the outbox's retry).
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import uuid
from contextlib import contextmanager
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import browser_sign_in
import certificates
import custos_server
import sign_in_driver
from children import logged_child, wait_for_log
from graph_client import GraphClient, admin_graph
from test_seed_004 import ACTIVITY_FEED_READ, O365_APP_ID, _admin_user, _tenant_b
from world import World

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
AUDIT_LOG_READ_ALL = "b0afded3-3588-46d8-8b3d-9842eff778da"
DEADLINE_S = 30.0


@contextmanager
def _sample(name: str, args: list[str], log_path: Path) -> Iterator[None]:
    cmd = [str(custos_server.custos_binary()), "sample", name, *args]
    with logged_child(cmd, log_path, custos_server.child_env()) as process:
        wait_for_log(process, log_path, re.compile(rf"{name} sample listening on http://127\.0\.0\.1:\d+"), name)
        yield


def _events(db: Path) -> list[tuple[str, str, str, dict]]:
    """(tenant, content type, how the blob came, record) of every stored record."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT e.tenant_id, e.content_type, c.source, e.record FROM events e "
            "JOIN contents c ON c.tenant_id = e.tenant_id AND c.content_id = e.content_id"
        ).fetchall()
    return [(tenant, content_type, source, json.loads(record)) for tenant, content_type, source, record in rows]


def _wait_for(db: Path, what: str, check) -> list[tuple[str, str, str, dict]]:  # noqa: ANN001
    deadline = time.monotonic() + DEADLINE_S
    events: list = []
    while time.monotonic() < deadline:
        events = _events(db) if db.exists() else []
        if check(events):
            return events
        time.sleep(0.5)
    pytest.fail(f"within {DEADLINE_S:.0f} s: {what}; stored: {[(t, c, s, r.get('Operation')) for t, c, s, r in events]}")


def _mentions(record: dict, text: str) -> bool:
    return text in json.dumps(record)


def _token_request(world: World, tenant: str, client_id: str, certificate) -> None:  # noqa: ANN001
    """An app-only token request in `tenant` (the seed's certificate assertion)."""
    endpoint = f"{world.public_url}/{tenant}/oauth2/token"
    assertion = certificates.seed004_assertion(certificate, client_id, endpoint, int(time.time()) - 5)
    response = requests.post(
        endpoint,
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
            "resource": "https://manage.office.com",
        },
        verify=world.ca_path,
        timeout=30,
    )
    assert response.status_code == 200, response.text


def _connect_in_chromium(browser, consumer: str, upn: str, password: str) -> str:  # noqa: ANN001
    """The admin connects their organisation in a real browser: the consumer's home page, its
    "Connect your organisation" link, custos' sign-in and consent pages, the consumer's callback."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{consumer}/")
    browser.find_element(By.LINK_TEXT, "Connect your organisation").click()
    browser_sign_in.sign_in_and_consent(browser, upn, password, lambda d: d.current_url.startswith(f"{consumer}/callback"))
    WebDriverWait(browser, browser_sign_in.WAIT_S).until(lambda d: "is connected" in d.page_source)
    return browser.page_source


def _connect(consumer: str, upn: str, password: str, ca_path: str) -> str:
    """The admin connects their organisation: the consumer's page, custos' consent, the callback."""
    session = requests.Session()
    session.trust_env = False
    start = session.get(f"{consumer}/connect", allow_redirects=False, timeout=30)
    assert start.status_code == 302, start.text
    answer = sign_in_driver.drive(start.headers["Location"], f"{consumer}/callback", upn, password, ca_path, session=session)
    assert "code" in answer and "state" in answer, answer
    done = session.get(f"{consumer}/callback", params=answer, timeout=60)
    assert done.status_code == 200, done.text
    assert "is connected" in done.text and "Audit.AzureActiveDirectory: subscribed" in done.text, done.text
    return done.text


def test_two_tenants_onboarded_their_changes_delivered_by_webhook_and_nothing_lost(
    world: World, tmp_path: Path, chromium
) -> None:
    activity_port, consumer_port = custos_server.free_port(), custos_server.free_port()
    activity = f"http://127.0.0.1:{activity_port}"
    consumer = f"http://localhost:{consumer_port}"

    graph_a = admin_graph(world.server.init)
    access = [
        # The delegated permission too: the consent's code is redeemed for the admin (seed 004).
        {"resourceAppId": O365_APP_ID, "resourceAccess": [{"id": ACTIVITY_FEED_READ, "type": k} for k in ("Role", "Scope")]},
        {"resourceAppId": GRAPH_APP_ID, "resourceAccess": [{"id": AUDIT_LOG_READ_ALL, "type": "Role"}]},
    ]
    app = graph_a._post(
        "/applications",
        {
            "displayName": "Activity consumer e2e",
            "signInAudience": "AzureADMultipleOrgs",
            "web": {"redirectUris": [f"{consumer}/callback"]},
            "requiredResourceAccess": access,
        },
        201,
        "register the consumer in A",
    )
    graph_a.create_service_principal(app["appId"])
    certificate = certificates.generate("activity-consumer-e2e")
    graph_a.add_certificate(app["id"], certificate.manifest_entry(str(uuid.uuid4())))
    # The consumer signs in with the certificate, the code redemption at /common/oauth2/token
    # included (its assertion is addressed to /common's token endpoint, as MSAL's is); the Activity
    # sample reads the tenants' logs with a secret of the same app.
    credential = tmp_path / "consumer.pem"
    credential.write_text(certificate.cert_pem + certificate.key_pem)
    reader_secret = tmp_path / "reader.secret"
    reader_secret.write_text(graph_a.add_password(app["id"]))

    tenants: dict[str, tuple[dict, GraphClient, str, str]] = {}
    for name in ("B", "C"):
        tenant, graph = _tenant_b(world)
        upn, password = _admin_user(graph, tenant["domain"])
        tenants[name] = (tenant, graph, upn, password)

    activity_args = [
        "--listen", f"127.0.0.1:{activity_port}", "--authority", world.public_url, "--ca", world.ca_path,
        "--data-dir", str(tmp_path / "activity"), "--client-id", app["appId"], "--client-secret-file", str(reader_secret),
        "--generate-activity", "30", "--blob-interval", "2s", "--include-workload-sign-ins", "--allow-webhook-host", f"localhost:{consumer_port}",
    ]
    consumer_args = [
        "--listen", f"127.0.0.1:{consumer_port}", "--authority", world.public_url, "--ca", world.ca_path,
        "--client-id", app["appId"], "--credential", str(credential), "--data-dir", str(tmp_path / "consumer"),
        "--activity-api", activity, "--public-url", consumer,
    ]
    # First only webhooks can deliver within the deadline (polling once an hour); after the restart,
    # polling every 5 s is the fallback.
    webhook_only, polling = [*consumer_args, "--poll-interval", "1h"], [*consumer_args, "--poll-interval", "5s"]
    db = tmp_path / "consumer" / "activity-consumer.db"
    with _sample("office365-management", activity_args, tmp_path / "activity.log"):
        with _sample("activity-consumer", webhook_only, tmp_path / "consumer.log"):
            # B's admin uses a real browser; C's is driven by form posts.
            for name, (tenant, _, upn, password) in tenants.items():
                if name == "B":
                    page = _connect_in_chromium(chromium, consumer, upn, password)
                else:
                    page = _connect(consumer, upn, password, world.ca_path)
                assert tenant["id"] in page and "Audit.AzureActiveDirectory: subscribed" in page, name
            marks = {}
            for name, (tenant, graph, _, _) in tenants.items():
                marks[name] = f"changed-in-{name}-{uuid.uuid4().hex[:8]}"
                graph.register(marks[name])
                _token_request(world, tenant["id"], app["appId"], certificate)
            b, c = tenants["B"][0]["id"], tenants["C"][0]["id"]

            def token_request(record: dict) -> bool:
                return (
                    record.get("RecordType") == 15
                    and record.get("ApplicationId") == app["appId"]
                    and record.get("ObjectId") == O365_APP_ID
                )

            def delivered(events: list) -> bool:
                return all(
                    any(t == tid and s == "webhook" and _mentions(r, marks[n]) for t, _, s, r in events)
                    and any(t == tid and s == "webhook" and token_request(r) for t, _, s, r in events)
                    and any(t == tid and ct == "Audit.General" for t, ct, _, _ in events)
                    for n, tid in (("B", b), ("C", c))
                )

            events = _wait_for(db, "each tenant's app change delivered by webhook", delivered)
            for tenant_id, _, _, record in events:
                assert record["OrganizationId"] == tenant_id, record
            assert not any(t == b and _mentions(r, marks["C"]) for t, _, _, r in events), "C's change under B"
            assert not any(t == c and _mentions(r, marks["B"]) for t, _, _, r in events), "B's change under C"

        # The listener is down while B changes again; after a restart nothing is lost.
        late = f"changed-while-down-{uuid.uuid4().hex[:8]}"
        tenants["B"][1].register(late)
        time.sleep(10)
        with _sample("activity-consumer", polling, tmp_path / "consumer-again.log"):
            events = _wait_for(
                db, "the change made while the consumer was down",
                lambda events: any(t == b and _mentions(r, late) for t, _, _, r in events),
            )
            assert not any(t == c and _mentions(r, late) for t, _, _, r in events)
            page = requests.get(f"{consumer}/tenants", timeout=30)
            assert page.status_code == 200 and b in page.text and c in page.text
