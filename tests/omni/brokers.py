"""Brokers that fail on cue, for the tests of a worker's broker outages: a private
redis-server to stop and start again on its port, and a TCP proxy in front of one that goes
away at an exact moment."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import threading
import time


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server of our own on a free port, without persistence: stopped and started
    again, it comes back empty on the same port, as a restarted broker without a disk would."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tempfile.mkdtemp(prefix="omni-redis-")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # as a crash or a pulled cable: no goodbye to the clients
            self.process.wait(10)

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class BrokerProxy:
    """Forwards to a Redis server on `upstream_port`. `go_away(seconds)` drops every
    connection and refuses new ones for a while (a client sees its connection closed);
    `refuse_after(marker, seconds)` refuses new connections for a while from the moment a
    client first sends a command that contains `marker`."""

    def __init__(self, *, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        self.down_until = 0.0
        self.marker: bytes | None = None
        self.refuse_seconds = 0.0
        self.tripped = 0.0  # time.monotonic() when the marker was seen
        self.closed = False

    def go_away(self, seconds: float) -> None:
        with self.lock:
            self.down_until = time.monotonic() + seconds
            sockets, self.sockets = self.sockets, set()
        for sock in sockets:
            self._close(sock)

    def refuse_after(self, marker: bytes, seconds: float) -> None:
        self.marker, self.refuse_seconds = marker, seconds

    def __enter__(self) -> BrokerProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *_exc) -> None:
        self.closed = True
        self.listener.close()
        self.go_away(0)

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if time.monotonic() < self.down_until:
                self._close(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=2)
            except OSError:
                self._close(client)
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets |= {client, upstream}
            for source, sink, watch in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pump, args=(source, sink, watch), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, watch: bool) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if watch and self.marker is not None and self.marker in data:
                    with self.lock:
                        self.marker = None
                        self.tripped = time.monotonic()
                        self.down_until = self.tripped + self.refuse_seconds
                sink.sendall(data)
        self._close(source)
        self._close(sink)

    @staticmethod
    def _close(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
