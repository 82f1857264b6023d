"""The relay works on the embedded SQLite default that `make run` uses, not only on
PostgreSQL: its upsert names the coalescing index's condition as SQLite requires, and its
claim supersedes an older delivery of a key as on PostgreSQL."""

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_the_relay_folds_events_into_deliveries_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'omni.sqlite3'}",
        CELERY_BROKER_URL="memory://",
        DJANGO_SETTINGS_MODULE="omni.settings.local",
    )
    result = subprocess.run(
        [sys.executable, str(HERE / "sqlite_relay.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["relayed"] == [2, 1]
    # One delivery: version 3 won over 2, then 5 was folded into it (it was never tried).
    [delivery] = out["deliveries"]
    assert delivery["version"] == 5
    assert delivery["payload"] == {"quantity": 5}
    # Claimed again after version 6 was relayed, version 5 is superseded and only 6 is sent.
    assert out["claimed"] == [6]
    assert out["statuses"] == [[5, "superseded"], [6, "pending"]]
