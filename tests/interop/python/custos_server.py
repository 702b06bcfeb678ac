"""Runs a real `custos` binary for the interop suite: `init --json`, then `serve`, then SIGTERM.

Owns the server process lifecycle only; provisioning and token checks live elsewhere.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
READY_MARKER = "listening on "
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
INIT_TIMEOUT_S = 120.0
INIT_FIELDS = (
    "publicUrl",
    "tenantId",
    "tenantDomain",
    "adminClientId",
    "adminClientSecret",
    "caCertPath",
    "graphBaseUrl",
)


class ServerError(RuntimeError):
    """The binary is missing, `init` failed, or `serve` did not become ready or stop cleanly."""


def custos_binary() -> Path:
    """The binary under test: `$CUSTOS_BIN`, else `target/debug/custos` in the repository."""
    configured = os.environ.get("CUSTOS_BIN")
    path = Path(configured) if configured else REPO_ROOT / "target" / "debug" / "custos"
    if not path.is_absolute():
        path = REPO_ROOT / path
    if not path.is_file():
        raise ServerError(f"custos binary not found at {path}; build it with `cargo build -p custos` or set CUSTOS_BIN")
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env() -> dict[str, str]:
    """The environment for custos children: no colours, no proxies for loopback."""
    env = dict(os.environ)
    env["NO_COLOR"] = "1"
    env["NO_PROXY"] = "localhost,127.0.0.1,::1"
    env.setdefault("CUSTOS_LOG", "info")
    return env


def run_init(binary: Path, data_dir: Path, public_url: str | None, extra_args: tuple[str, ...] = ()) -> dict:
    """Runs `custos init --json [--public-url URL] [extra_args]` and returns the one JSON object it prints."""
    cmd = [str(binary), "init", "--data-dir", str(data_dir), "--json", *extra_args]
    if public_url is not None:
        cmd += ["--public-url", public_url]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=INIT_TIMEOUT_S, env=child_env(), check=False
    )
    if proc.returncode != 0:
        raise ServerError(
            f"`{' '.join(cmd)}` exited {proc.returncode}\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
        )
    try:
        summary = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise ServerError(f"`custos init --json` printed something other than one JSON object: {exc}\n{proc.stdout}") from exc
    if not isinstance(summary, dict):
        raise ServerError(f"`custos init --json` printed {type(summary).__name__}, not an object")
    missing = [field for field in INIT_FIELDS if field not in summary]
    if missing:
        raise ServerError(f"`custos init --json` output lacks {missing}: {summary}")
    return summary


@dataclass
class CustosServer:
    """A running `custos serve` child and where its output goes."""

    process: subprocess.Popen
    port: int
    data_dir: Path
    log_path: Path
    init: dict

    @property
    def public_url(self) -> str:
        return self.init["publicUrl"]

    @property
    def tenant_id(self) -> str:
        return self.init["tenantId"]

    @property
    def ca_path(self) -> str:
        return self.init["caCertPath"]

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> int:
        """SIGTERM, then wait; raises if the server does not exit 0 within STOP_TIMEOUT_S."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise ServerError(
                f"custos serve did not exit within {STOP_TIMEOUT_S:.0f} s of SIGTERM\n{self.output()}"
            ) from None
        if code != 0:
            raise ServerError(f"custos serve exited {code} after SIGTERM\n{self.output()}")
        return code


def start_server(
    binary: Path, data_dir: Path, port: int, init: dict, log_path: Path, serve_args: list[str] | None = None
) -> CustosServer:
    """Starts `custos serve --listen 127.0.0.1:PORT` with `serve_args` (default: the session's public URL
    and managed-identity endpoints) and waits until it logs `listening on https://127.0.0.1:PORT`."""
    if serve_args is None:
        serve_args = [
            "--public-url",
            f"https://localhost:{port}",
            # test_managed_identity.py also drives the server's own managed-identity endpoints.
            "--dev-managed-identity-endpoints",
        ]
    cmd = [str(binary), "serve", "--data-dir", str(data_dir), "--listen", f"127.0.0.1:{port}", *serve_args]
    log = log_path.open("wb")
    try:
        process = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=child_env()
        )
    finally:
        log.close()
    server = CustosServer(process=process, port=port, data_dir=data_dir, log_path=log_path, init=init)
    expected = f"{READY_MARKER}https://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        output = server.output()
        if expected in output:
            return server
        if READY_MARKER in output:
            process.kill()
            process.wait()
            raise ServerError(f"custos serve is listening somewhere other than 127.0.0.1:{port}\n{output}")
        if process.poll() is not None:
            raise ServerError(f"custos serve exited {process.returncode} before it was ready\n{output}")
        time.sleep(0.1)
    process.kill()
    process.wait()
    raise ServerError(f"custos serve did not log `{expected}` within {START_TIMEOUT_S:.0f} s\n{server.output()}")
