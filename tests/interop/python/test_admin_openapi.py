"""schemathesis against the admin API's own OpenAPI document (`GET /admin/v1/openapi.json`), on a
server of its own (it provisions tenants and rotates signing keys): generated requests, valid and
invalid, must never get a 5xx, and every answer must match the document (status, content type,
schema). Run as the installation's bootstrap admin (`Custos.Admin`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import custos_server
from graph_client import admin_token

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_the_admin_api_keeps_to_its_openapi_document(tmp_path: Path) -> None:
    assert SCHEMATHESIS.exists(), f"{SCHEMATHESIS} is missing: .ci/run installs it (scripts/requirements-tools.txt)"
    port = custos_server.free_port()
    data = tmp_path / "data"
    init = custos_server.run_init(custos_server.custos_binary(), data, f"https://localhost:{port}")
    server = custos_server.start_server(custos_server.custos_binary(), data, port, init, tmp_path / "serve.log")
    try:
        token = admin_token(init)
        run = subprocess.run(
            [str(SCHEMATHESIS), "run", f"{init['publicUrl']}/admin/v1/openapi.json",
             "--header", f"Authorization: Bearer {token}", "--tls-verify", init["caCertPath"],
             "--checks", CHECKS, "--max-examples", "20", "--seed", "1"],
            capture_output=True, text=True, timeout=600, cwd=tmp_path,
        )
        assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
        assert "passed" in run.stdout and " failed" not in run.stdout, run.stdout[-3000:]
        assert "Selected: 20/20" in run.stdout, run.stdout[-3000:]
    finally:
        assert server.stop() == 0, server.output()[-3000:]
