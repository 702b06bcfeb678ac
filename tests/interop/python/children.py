"""Long-running custos children other than the session's server (`custos sample`, `custos gateway`):
started with their output in a log file, waited for until the log says where they listen, stopped.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


@contextmanager
def logged_child(cmd: list[str], log_path: Path, env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """Runs `cmd` with stdout and stderr in `log_path`; stops it when the block ends."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    try:
        yield process
    finally:
        stop(process)


def wait_for_log(process: subprocess.Popen, log_path: Path, ready: re.Pattern[str], what: str) -> re.Match[str]:
    """Polls `log_path` until `ready` matches it; fails the test when `what` exits first or stays
    silent for START_TIMEOUT_S."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        output = log_path.read_text(errors="replace")
        found = ready.search(output)
        if found:
            return found
        if process.poll() is not None:
            pytest.fail(f"{what} exited {process.returncode} before it was ready\n{output}", pytrace=False)
        time.sleep(0.1)
    process.kill()
    process.wait()
    pytest.fail(f"{what} did not report its port within {START_TIMEOUT_S:.0f} s\n{log_path.read_text()}", pytrace=False)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after STOP_TIMEOUT_S."""
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
