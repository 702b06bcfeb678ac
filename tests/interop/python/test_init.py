"""`custos init --json` on its own: the printed summary, file modes, and idempotency."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import custos_server


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_twice_prints_same_ids_and_hides_secret(tmp_path: Path) -> None:
    binary = custos_server.custos_binary()
    data_dir = tmp_path / "data"
    public_url = "https://localhost:9443"
    first = custos_server.run_init(binary, data_dir, public_url)
    assert first["publicUrl"] == public_url
    assert first["tenantDomain"] == "default.custos.local"
    assert first["graphBaseUrl"] == f"{public_url}/v1.0"
    assert Path(first["caCertPath"]) == data_dir / "tls" / "ca.pem"
    assert isinstance(first["adminClientSecret"], str) and len(first["adminClientSecret"]) >= 16
    assert mode(data_dir) == 0o700
    assert (data_dir / "custos.db").is_file()
    assert Path(first["caCertPath"]).read_text().startswith("-----BEGIN CERTIFICATE-----")
    profile_path = data_dir / "admin.json"
    assert mode(profile_path) == 0o600
    assert json.loads(profile_path.read_text()) == first

    second = custos_server.run_init(binary, data_dir, public_url)
    assert second["adminClientSecret"] is None
    assert {k: v for k, v in second.items() if k != "adminClientSecret"} == {
        k: v for k, v in first.items() if k != "adminClientSecret"
    }
