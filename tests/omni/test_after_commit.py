"""Work after the commit: one helper queues a task once the transaction commits
(omni.tasks.enqueue_after_commit), every task queued that way has a beat sweep that redoes its
work from the database when the message is lost, and no production code queues a task any
other way. The check reads the source (ast), and is shown to fail on a new violation."""

from __future__ import annotations

import ast
import logging
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError

from omni.tasks import enqueue_after_commit

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = {".venv", "tests", "bench", "migrations"}

# Each task queued after a commit -> the beat task that finds its work in the database when
# its message is lost (the README's table, "Work after the commit").
SWEEPS = {
    "inventory.tasks.low_stock_notify": "inventory.tasks.low_stock_notify_pending",
    "inventory.tasks.availability_refresh_run": "inventory.tasks.availability_refresh_pending",
    "orders.tasks.notifications_send": "orders.tasks.notifications_send_pending",
    "payments.tasks.refund_process": "payments.tasks.refunds_process_pending",
    "payments.tasks.order_payments_release": "payments.tasks.releases_process_pending",
    "payments.tasks.return_refund": "payments.tasks.releases_process_pending",
    "payments.links.payment_link_send": "payments.tasks.link_sends_pending",
    "payments.tasks.gift_card_pins_send": "payments.tasks.gift_card_pins_send_pending",
    "sales_channels.tasks.channel_resync": "sales_channels.tasks.channel_resyncs_pending",
    "customers.tasks.consent_push": "customers.tasks.consents_push_pending",
    "customers.tasks.data_request_process": "customers.tasks.data_requests_pending",
    "customers.tasks.customer_metrics_recompute": "customers.tasks.customer_metrics_pending",
    "customers.tasks.segment_recompute": "customers.tasks.segments_recompute_all",
    "customers.tasks.segments_refresh": "customers.tasks.segments_refresh",
}

# transaction.on_commit is the helper's own, and the outbox's (its relay trigger, once per
# transaction, whose sweep is sales_channels.tasks.sync_sweep).
# customers/verification.py: a verification code exists only in memory (never in the database
# or the broker), so it cannot be a task's argument; a send lost with the process is recovered
# by the person asking for the code again.
# staff/services/counter.py: a receipt sent at the customer's request at the counter is kept
# nowhere but the order itself; a send lost with the process is recovered by the clerk pressing
# "Send" again on the receipt page, which stays open.
ON_COMMIT_ALLOWED = {
    "omni/tasks.py",
    "omni/outbox.py",
    "customers/verification.py",
    "staff/services/counter.py",
}
PUBLISH = {"delay", "apply_async", "send_task"}


def _production_modules() -> list[Path]:
    """Every module of the project's packages (the apps and omni), but their migrations."""
    packages = [
        top
        for top in ROOT.iterdir()
        if top.is_dir() and top.name not in SKIPPED and (top / "__init__.py").exists()
    ]
    return sorted(
        path
        for package in packages
        for path in package.rglob("*.py")
        if not SKIPPED.intersection(path.relative_to(ROOT).parts)
    )


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def violations(path: str, source: str) -> list[str]:
    """Where `path` (relative to the repo) queues a task other than through the helper: a
    transaction.on_commit outside the helper and the outbox, or a .delay / .apply_async /
    send_task outside a tasks module (a task handing the rest of its work to a fresh run, or a
    sweep queueing work it found, both rooted in the database)."""
    found = []
    in_tasks_module = path.endswith("tasks.py")
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _called_name(node)
        if name == "on_commit" and path not in ON_COMMIT_ALLOWED:
            found.append(f"{path}:{node.lineno} on_commit")
        elif name in PUBLISH and not in_tasks_module:
            found.append(f"{path}:{node.lineno} .{name}()")
    return found


def _imported_names(nodes) -> dict[str, str]:
    names = {}
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name] = alias.name
    return names


def _dotted(node: ast.expr, names: dict[str, str], module: str) -> str:
    if isinstance(node, ast.Name):
        return names.get(node.id, f"{module}.{node.id}")
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value, names, module)}.{node.attr}"
    return ast.dump(node)


def queued_tasks(path: str, source: str) -> set[str]:
    """The tasks `path` hands to enqueue_after_commit, by their dotted names (each name is
    looked up among the imports of the function it is used in, then of the module)."""
    module = path.removesuffix(".py").replace("/", ".")
    found: set[str] = set()

    def visit(node: ast.AST, names: dict[str, str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, {**names, **_imported_names(ast.walk(child))})
                continue
            if (
                isinstance(child, ast.Call)
                and _called_name(child) == "enqueue_after_commit"
                and child.args
            ):
                found.add(_dotted(child.args[0], names, module))
            visit(child, names)

    tree = ast.parse(source)
    visit(tree, _imported_names(tree.body))
    return found


def _sources() -> list[tuple[str, str]]:
    return [
        (path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8"))
        for path in _production_modules()
    ]


# --- the rule holds -------------------------------------------------------------------------


def test_no_production_code_queues_a_task_but_through_the_helper():
    assert [v for path, source in _sources() for v in violations(path, source)] == []


def test_every_task_queued_after_a_commit_has_a_sweep_on_the_beat():
    from omni.celery import app

    queued = {task for path, source in _sources() for task in queued_tasks(path, source)}
    assert queued == set(SWEEPS)  # a new one needs its sweep; one no longer queued, its line gone
    app.loader.import_default_modules()
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for task, sweep in SWEEPS.items():
        assert task in app.tasks, task
        assert sweep in app.tasks and sweep in beat, sweep


# --- and the check catches a break of it ----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "source"),
    [
        (
            "inventory/services/stock.py",
            "from django.db import transaction\n"
            "def f(t, ids):\n"
            "    transaction.on_commit(lambda: t.delay(ids), robust=True)\n",
        ),
        ("payments/links.py", "def f(t):\n    t.delay(1)\n"),
        ("sales_channels/admin.py", "def f(t):\n    t.apply_async((1,), countdown=5)\n"),
        (
            "orders/services/lifecycle.py",
            "from django.db.transaction import on_commit\non_commit(g)\n",
        ),
    ],
)
def test_the_check_catches_a_task_queued_another_way(path, source):
    assert violations(path, source)


def test_the_check_lets_a_task_hand_its_rest_to_a_fresh_run():
    assert violations("inventory/tasks.py", "def f(t):\n    t.delay(1)\n") == []
    assert violations("inventory/tasks.py", "def f(t):\n    t.on_commit(1)\n")


def test_a_task_queued_after_a_commit_is_found_by_its_imported_name():
    source = (
        "from omni.tasks import enqueue_after_commit\n"
        "from inventory import tasks\n"
        "def f(pk):\n"
        "    from payments.tasks import refund_process as task\n"
        "    enqueue_after_commit(task, pk)\n"
        "def g(pk):\n"
        "    from payments.tasks import return_refund as task\n"
        "    enqueue_after_commit(task, pk)\n"
        "def h(pk):\n"
        "    enqueue_after_commit(tasks.low_stock_notify, [pk])\n"
        "    enqueue_after_commit(local_task, pk)\n"
    )

    assert queued_tasks("payments/services/probe.py", source) == {
        "payments.tasks.refund_process",
        "payments.tasks.return_refund",
        "inventory.tasks.low_stock_notify",
        "payments.services.probe.local_task",
    }


# --- the helper -----------------------------------------------------------------------------


@pytest.fixture
def task():
    task = mock.Mock()
    task.name = "probe.task"
    return task


@pytest.mark.django_db
def test_the_task_is_queued_once_the_transaction_commits(task, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue_after_commit(task, 7, kind="x")
        task.delay.assert_not_called()

    task.delay.assert_called_once_with(7, kind="x")


@pytest.mark.django_db
def test_nothing_is_queued_when_the_transaction_rolls_back(
    task, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        enqueue_after_commit(task, 7)
        raise RuntimeError

    assert callbacks == []
    task.delay.assert_not_called()


@pytest.mark.django_db
def test_a_countdown_is_celerys_not_the_tasks(task, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_after_commit(task, 7, countdown=5)

    task.apply_async.assert_called_once_with((7,), {}, countdown=5)
    task.delay.assert_not_called()


@pytest.mark.django_db
def test_a_broker_that_is_down_is_logged_not_raised(
    task, django_capture_on_commit_callbacks, caplog
):
    task.delay.side_effect = OperationalError("down")

    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        enqueue_after_commit(task, 7)  # the caller's change is committed: it must not fail

    assert "probe.task not queued after commit; its sweep will do it" in caplog.text
