"""Issue 5 "Done when": an API written by someone else (a Python `http.server`) behind the real
`custos gateway` accepts a token acquired with MSAL Python for the resource with the role, refuses a
token without the role (403) and a request without a token (401).

The gateway's config file is written by the test: `Authority` = the custos server, `CaFile` = its
development CA, the v2 resource of the session world as the audience and its role as the requirement.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import msal
import pytest
import requests

import custos_server
from children import logged_child, wait_for_log
from world import ROLE, World

READY_PATTERN = re.compile(r"gateway listening on http://127\.0\.0\.1:(\d+)")


class EchoHandler(BaseHTTPRequestHandler):
    """Answers every GET with the request target and the headers it received, as JSON."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.dumps(
            {"path": self.path, "headers": {name.lower(): value for name, value in self.headers.items()}}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's signature)
        """Quiet: the test asserts on what the upstream saw, not on its access log."""


@dataclass
class Gateway:
    """A running `custos gateway` and where its log goes."""

    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    """The echo API on a free loopback port, served from a thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def gateway(world: World, upstream: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """`custos gateway --config FILE --listen 127.0.0.1:0` in front of the echo API."""
    resource = world.resources["v2"]
    root = tmp_path_factory.mktemp("gateway")
    config = root / "gateway.toml"
    config.write_text(
        f"""listen = "127.0.0.1:0"

[guard]
Authority = "{world.public_url}"
CaFile = "{world.ca_path}"
ServiceAuthTenantId = "{world.tenant_id}"
ServiceAuthAudience = "{resource.identifier_uri};{resource.app.app_id}"
ServiceAuthRole = "{ROLE}"

[[routes]]
prefix = "/api/"
upstream = "{upstream}"
"""
    )
    log_path = root / "gateway.log"
    binary = custos_server.custos_binary()
    cmd = [str(binary), "gateway", "--config", str(config), "--listen", "127.0.0.1:0"]
    with logged_child(cmd, log_path, custos_server.child_env()) as process:
        port = int(wait_for_log(process, log_path, READY_PATTERN, "custos gateway").group(1))
        yield Gateway(process=process, port=port, log_path=log_path)


def msal_token(world: World, client_id: str, secret: str) -> str:
    """A client-credentials token for the v2 resource, acquired with MSAL Python."""
    app = msal.ConfidentialClientApplication(
        client_id,
        client_credential=secret,
        authority=f"{world.public_url}/{world.tenant_id}",
        instance_discovery=False,
        verify=world.ca_path,
    )
    result = app.acquire_token_for_client(scopes=[f"{world.resources['v2'].identifier_uri}/.default"])
    assert "access_token" in result, result
    return result["access_token"]


def test_msal_token_with_the_role_reaches_the_python_api(world: World, gateway: Gateway) -> None:
    token = msal_token(world, world.daemon.app_id, world.daemon.secret)
    response = requests.get(
        f"{gateway.url}/api/orders?top=5",
        headers={"Authorization": f"Bearer {token}", "X-Custos-Roles": "Forged.Admin"},
        timeout=30,
    )
    assert response.status_code == 200, (response.status_code, response.headers, response.text)
    seen = response.json()
    assert seen["path"] == "/api/orders?top=5"
    headers = seen["headers"]
    assert headers["x-custos-client-id"] == world.daemon.app_id
    assert headers["x-custos-object-id"] == world.daemon.sp_id
    assert headers["x-custos-tenant-id"] == world.tenant_id
    assert headers["x-custos-roles"] == ROLE
    assert headers["x-forwarded-for"] == "127.0.0.1"


def test_msal_token_without_the_role_is_refused(world: World, gateway: Gateway) -> None:
    token = msal_token(world, world.roleless.app_id, world.roleless.secret)
    response = requests.get(f"{gateway.url}/api/orders", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 403, (response.status_code, response.text)
    assert response.headers["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", error_description="the token does not carry a required role"'
    )


def test_request_without_a_token_is_refused(gateway: Gateway) -> None:
    response = requests.get(f"{gateway.url}/api/orders", timeout=30)
    assert response.status_code == 401, (response.status_code, response.text)
    assert response.headers["WWW-Authenticate"] == "Bearer"
