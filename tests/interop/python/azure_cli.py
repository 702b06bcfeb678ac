"""Runs the real Azure CLI (`.venv-az/bin/az`, installed by `.ci/run`) with a configuration directory of its
own, trusting custos' development CA, telemetry off. Used by test_azure_cli.py (custos as a private cloud) and
entra_hosts_driver.py (Microsoft's own cloud, AzureCloud, with Entra host names)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from custos_server import REPO_ROOT

AZ = REPO_ROOT / ".venv-az" / "bin" / "az"
AZ_TIMEOUT_S = 180


class Az:
    """`az` with its own configuration directory, trusting the server's development CA."""

    def __init__(self, config_dir: Path, ca_path: str) -> None:
        assert AZ.exists(), f"{AZ} is missing: .ci/run installs the Azure CLI (tests/interop/python/requirements-az.txt)"
        self.env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(config_dir),
            "AZURE_CONFIG_DIR": str(config_dir),
            "REQUESTS_CA_BUNDLE": ca_path,
            "AZURE_CORE_COLLECT_TELEMETRY": "0",
            "AZURE_CORE_NO_COLOR": "1",
            "NO_PROXY": "localhost,127.0.0.1",
        }

    def _run(self, args: tuple[str, ...]) -> subprocess.CompletedProcess:
        return subprocess.run([str(AZ), *args], env=self.env, capture_output=True, text=True, timeout=AZ_TIMEOUT_S)

    def run(self, *args: str) -> str:
        done = self._run(args)
        assert done.returncode == 0, f"az {' '.join(args)}: {done.stderr}"
        return done.stdout

    def json(self, *args: str):
        return json.loads(self.run(*args, "--output", "json"))

    def fails(self, *args: str) -> str:
        done = self._run(args)
        assert done.returncode != 0, f"az {' '.join(args)} succeeded: {done.stdout}"
        return done.stderr
