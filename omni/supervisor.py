"""Keep a few long-running processes up, as `manage.py runall` runs web, worker and beat.

A process that exits is started again after a pause: 1 s, then twice as long after each exit
within a minute of its start, up to 30 s; one that ran for a minute starts over at 1 s. SIGINT
(Ctrl-C) or SIGTERM stops them all: SIGTERM to each, SIGKILL to what is left after the grace
period. Each process runs in a process group of its own, so what it started (runserver's
reloaded server, Celery's pool) goes with it and never holds a port against its successor.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Child:
    name: str
    command: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    quick_exits: int = 0  # exits in a row, each within `stable_after` of its start
    restart_at: float | None = None


def _describe(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with code {returncode}"


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


class Supervisor:
    def __init__(
        self,
        commands: dict[str, list[str]],
        *,
        cwd: str | os.PathLike | None = None,
        env: dict[str, str] | None = None,
        say: Callable[[str], None] = print,
        backoff_start: float = 1.0,
        backoff_max: float = 30.0,
        stable_after: float = 60.0,
        grace: float = 15.0,
        poll: float = 0.2,
    ) -> None:
        self.children = [_Child(name, list(command)) for name, command in commands.items()]
        self.cwd, self.env, self.say = cwd, env, say
        self.backoff_start, self.backoff_max = backoff_start, backoff_max
        self.stable_after, self.grace, self.poll = stable_after, grace, poll
        self.stopping = threading.Event()

    def stop(self, *_args) -> None:
        """Ask run() to stop everything; safe to call from a signal handler."""
        self.stopping.set()

    def run(self) -> None:
        """Start every process, keep them up until SIGINT/SIGTERM or stop(), then stop all."""
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for child in self.children:
                self._start(child)
            while not self.stopping.wait(self.poll):
                for child in self.children:
                    self._watch(child)
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _start(self, child: _Child) -> subprocess.Popen:
        child.process = subprocess.Popen(  # noqa: S603 - our own commands
            child.command, cwd=self.cwd, env=self.env, start_new_session=True
        )
        child.started_at = time.monotonic()
        child.restart_at = None
        return child.process

    def _watch(self, child: _Child) -> None:
        now = time.monotonic()
        if child.restart_at is not None:
            if now >= child.restart_at and not self.stopping.is_set():
                process = self._start(child)
                self.say(f"{child.name} started again (pid {process.pid}).")
            return
        if child.process is None or (returncode := child.process.poll()) is None:
            return
        _signal_group(child.process, signal.SIGKILL)  # what it left behind
        uptime = now - child.started_at
        child.quick_exits = child.quick_exits + 1 if uptime < self.stable_after else 1
        delay = min(self.backoff_start * 2 ** (child.quick_exits - 1), self.backoff_max)
        child.restart_at = now + delay
        self.say(
            f"{child.name} {_describe(returncode)} after {uptime:.0f} s; "
            f"starting it again in {delay:g} s."
        )

    def _stop_all(self) -> None:
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for process in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        for child in self.children:
            if child.process is not None:
                _signal_group(child.process, signal.SIGKILL)
                child.process.wait()
