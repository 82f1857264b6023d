"""What every benchmark needs: its own PostgreSQL database, percentiles, and a way to stop the
processes it started."""

from __future__ import annotations


def ensure_database(url: str) -> None:
    """Create the database named by `url` if it does not exist (connecting to `postgres`)."""
    import environ
    import psycopg

    cfg = environ.Env.db_url_config(url)
    with psycopg.connect(
        host=cfg["HOST"] or None,
        port=cfg["PORT"] or None,
        user=cfg["USER"] or None,
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def stop_process_groups(procs) -> None:
    """Stop processes started with start_new_session=True, with their children: SIGTERM to each
    group, then SIGKILL to any still running after 20 s."""
    import os
    import signal
    import subprocess

    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
