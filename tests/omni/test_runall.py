"""Processes that die come back. `manage.py runall` keeps web, worker and beat up
(omni/supervisor.py): one that dies is started again with backoff, and Ctrl-C or SIGTERM stops
every one, with what it started. The compose file has Docker restart its services."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from tests.conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]

# `flaky` notes each start and exits at once. `steady` ignores SIGTERM (so the grace period
# ends in SIGKILL) and starts a grandchild of its own, as runserver's reloader does.
SUPERVISED = textwrap.dedent(
    """
    import sys
    from omni.supervisor import Supervisor

    python, tmp = sys.executable, sys.argv[1]
    flaky = f"open({tmp!r} + '/starts', 'a').write('start\\\\n'); raise SystemExit(3)"
    steady = (
        "import os, signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        f"p = subprocess.Popen(['sleep', '600']); open({tmp!r} + '/pids', 'w')"
        ".write(f'{os.getpid()} {p.pid}'); time.sleep(600)"
    )
    Supervisor(
        {"flaky": [python, "-c", flaky], "steady": [python, "-c", steady]},
        backoff_start=0.2, backoff_max=0.8, grace=1.0, poll=0.05,
        say=lambda line: print(line, flush=True),
    ).run()
    print("all stopped", flush=True)
    """
)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead, only not yet reaped
        return stat.read().split(")")[-1].split()[0] != "Z"


@pytest.mark.parametrize("stop_with", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_process_that_exits_is_started_again_and_a_signal_stops_them_all(tmp_path, stop_with):
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISED, str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        starts = tmp_path / "starts"
        pids = tmp_path / "pids"
        wait_until(lambda: starts.exists() and starts.read_text().count("start") >= 5, 15)
        wait_until(lambda: pids.exists() and pids.read_text(), 15)
        steady, grandchild = map(int, pids.read_text().split())
        assert alive(steady) and alive(grandchild)

        supervisor.send_signal(stop_with)
        out, _ = supervisor.communicate(timeout=15)
    finally:
        if supervisor.poll() is None:
            supervisor.kill()

    assert supervisor.returncode == 0
    # The pause doubles with each exit in a row, up to the maximum.
    delays = [line.rsplit(" in ", 1)[1] for line in out.splitlines() if "flaky exited" in line]
    assert delays[:4] == ["0.2 s.", "0.4 s.", "0.8 s.", "0.8 s."]
    assert "flaky exited with code 3 after 0 s; starting it again in 0.2 s." in out
    assert out.count("flaky started again") >= 3
    assert "steady" not in out  # never restarted: it never exited
    assert out.rstrip().endswith("all stopped")
    assert not alive(steady)
    assert not alive(grandchild)


def test_compose_restarts_every_long_running_service():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    restarts = {name: service.get("restart", "no") for name, service in services.items()}

    assert restarts.pop("migrate") == "no"  # runs once, before web, worker and beat
    assert restarts == {name: "unless-stopped" for name in restarts}
    assert {"web", "worker", "beat", "db", "redis"} <= set(restarts)
