"""Runs the MSAL Node suites (tests/interop/node: secret, certificate, managed identity and the interactive
user flows) against the same server and apps; the managed-identity suite gets its own identity and `custos
agent`, the user flows the session's interactive world (interactive.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from custos_server import REPO_ROOT
from interactive import WEB_REDIRECT, Interactive
from managed_identities import create_identity, running_agent
from world import World

NODE_DIR = REPO_ROOT / "tests" / "interop" / "node"
NODE_TIMEOUT_S = 180
# token.test.mjs: 2 resources + wrong secret; cert.test.mjs: 2 resources; mi.test.mjs: 3 selections + another
# identity; user.test.mjs: confidential client with refresh, public client with PKCE.
NODE_TESTS = 11


def test_msal_node_suite(world: World, interactive: Interactive, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH", pytrace=False)
    if not (NODE_DIR / "node_modules" / "@azure" / "msal-node").is_dir():
        pytest.fail(f"run `npm ci` in {NODE_DIR} first (.ci/run does)", pytrace=False)
    key_file = tmp_path / "cert-daemon-key.pem"
    key_file.touch(mode=0o600)
    key_file.write_text(world.cert_daemon.certificate.key_pem)
    mi = create_identity(world, "interop-node-mi")
    with running_agent(world, mi, tmp_path) as exports:
        _run_node(node, world, interactive, key_file, mi, exports)


def _run_node(
    node: str, world: World, interactive: Interactive, key_file: Path, mi: dict, exports: dict[str, str]
) -> None:
    env = dict(os.environ)
    env.update(
        {
            "NODE_EXTRA_CA_CERTS": world.ca_path,
            "NO_PROXY": "localhost,127.0.0.1,::1",
            "CUSTOS_INTEROP_URL": world.public_url,
            "CUSTOS_INTEROP_TENANT_ID": world.tenant_id,
            "CUSTOS_INTEROP_CLIENT_ID": world.daemon.app_id,
            "CUSTOS_INTEROP_CLIENT_SECRET": world.daemon.secret or "",
            "CUSTOS_INTEROP_CLIENT_OBJECT_ID": world.daemon.sp_id,
            "CUSTOS_INTEROP_CERT_CLIENT_ID": world.cert_daemon.app.app_id,
            "CUSTOS_INTEROP_CERT_CLIENT_OBJECT_ID": world.cert_daemon.app.sp_id,
            "CUSTOS_INTEROP_CERT_THUMBPRINT_SHA256": world.cert_daemon.certificate.sha256_hex,
            "CUSTOS_INTEROP_CERT_KEY_FILE": str(key_file),
            "CUSTOS_INTEROP_MI_IDENTITY_ENDPOINT": exports["IDENTITY_ENDPOINT"],
            "CUSTOS_INTEROP_MI_IDENTITY_HEADER": exports["IDENTITY_HEADER"],
            "CUSTOS_INTEROP_MI_CLIENT_ID": mi["appId"],
            "CUSTOS_INTEROP_MI_OBJECT_ID": mi["id"],
            "CUSTOS_INTEROP_USER_UPN": interactive.upn,
            "CUSTOS_INTEROP_USER_PASSWORD": interactive.password,
            "CUSTOS_INTEROP_USER_ID": interactive.user_id,
            "CUSTOS_INTEROP_USER_SCOPE": interactive.scope,
            "CUSTOS_INTEROP_WEB_CLIENT_ID": interactive.web_app_id,
            "CUSTOS_INTEROP_WEB_CLIENT_SECRET": interactive.web_secret,
            "CUSTOS_INTEROP_WEB_REDIRECT": WEB_REDIRECT,
            "CUSTOS_INTEROP_PUBLIC_CLIENT_ID": interactive.public_app_id,
            "CUSTOS_INTEROP_RESOURCES": json.dumps(
                [
                    {
                        "name": resource.name,
                        "identifierUri": resource.identifier_uri,
                        "appId": resource.app.app_id,
                        "version": resource.version,
                    }
                    for resource in world.resources.values()
                ]
            ),
        }
    )
    proc = subprocess.run(
        [node, "--test", str(Path("tests") / "interop" / "node")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_S,
        check=False,
    )
    print(proc.stdout)
    print(proc.stderr)
    assert proc.returncode == 0, f"node --test exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert "# fail 0" in proc.stdout, proc.stdout
    assert f"# pass {NODE_TESTS}" in proc.stdout, proc.stdout
