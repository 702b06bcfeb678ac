"""Session fixtures: one custos server for the whole run, provisioned through its Graph API.

The machine's CA-bundle variables (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE) would
silently replace `verify=` in requests, so they are removed before any client library loads;
every call passes the development CA of the server's data directory explicitly.
"""

from __future__ import annotations

import os
import uuid

for _variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
    os.environ.pop(_variable, None)
os.environ["NO_PROXY"] = "localhost,127.0.0.1,::1"

import shutil  # noqa: E402

import pytest  # noqa: E402

import certificates  # noqa: E402
import custos_server  # noqa: E402
from graph_client import admin_graph  # noqa: E402
from world import ROLE, CertificateClient, Resource, World  # noqa: E402
import interactive as interactive_world  # noqa: E402


@pytest.fixture(scope="session")
def custos(tmp_path_factory: pytest.TempPathFactory):
    """`custos init --json` then `custos serve` on a free port; SIGTERM at the end must exit 0."""
    binary = custos_server.custos_binary()
    root = tmp_path_factory.mktemp("custos")
    data_dir = root / "data"
    port = custos_server.free_port()
    public_url = f"https://localhost:{port}"
    try:
        init = custos_server.run_init(binary, data_dir, public_url)
        assert init["publicUrl"] == public_url, init
        assert init["adminClientSecret"], "first init must show the admin secret"
        server = custos_server.start_server(binary, data_dir, port, init, root / "serve.log")
    except custos_server.ServerError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    try:
        server.stop()
    except custos_server.ServerError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def world(custos: custos_server.CustosServer) -> World:
    """Two resources (v1, v2) with role Data.Read; a daemon with a secret and one with a certificate
    (registered by PATCH in the seed-004 manifest shape) holding it on both; a role-less client."""
    graph = admin_graph(custos.init)
    resources = {
        "v1": Resource(
            "v1",
            graph.register("interop-v1-resource", "api://interop-v1", token_version=None, roles=(ROLE,)),
            "1.0",
        ),
        "v2": Resource(
            "v2",
            graph.register("interop-v2-resource", "api://interop-v2", token_version=2, roles=(ROLE,)),
            "2.0",
        ),
    }
    daemon = graph.register("interop-daemon", with_secret=True)
    roleless = graph.register("interop-roleless", with_secret=True)
    cert_app = graph.register("interop-cert-daemon")
    certificate = certificates.generate("interop-cert-daemon")
    graph.add_certificate(cert_app.object_id, certificate.manifest_entry(str(uuid.uuid4())))
    for resource in resources.values():
        for client in (daemon, cert_app):
            graph.assign_app_role(resource.app.sp_id, client.sp_id, resource.app.role_ids[ROLE])
    return World(
        server=custos,
        resources=resources,
        daemon=daemon,
        roleless=roleless,
        cert_daemon=CertificateClient(cert_app, certificate),
    )


@pytest.fixture(params=["v1", "v2"])
def resource(request: pytest.FixtureRequest, world: World) -> Resource:
    """Each token test runs once against the v1 resource and once against the v2 resource."""
    return world.resources[request.param]


@pytest.fixture(scope="session")
def interactive(world: World) -> interactive_world.Interactive:
    """A user, a web client and a public client for the sign-in tests (interactive.py)."""
    return interactive_world.provision(world)


@pytest.fixture
def chromium(tmp_path):
    """Headless Chromium driven by Selenium (Debian's chromium and chromium-driver), trusting any
    certificate (custos' development CA is not in the browser's store)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    assert binary and driver_path, "chromium and chromium-driver are required (.ci/run installs them)"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--ignore-certificate-errors", f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
