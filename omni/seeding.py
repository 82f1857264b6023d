"""The demo business is each app's own: `seed_demo` finds every installed app's `demo` module
that has a `seed_demo(run)` step and runs the steps in turn, so the plumbing names no app.

A step reads what earlier steps made from `run.made` (sales_channels leaves its channels under
"channels"), writes its lines of the report with `run.write`, may leave slow extras for after
every step (`run.later`, the benchmark catalog) and a block for the end (`run.close_with`, the
demo logins). The steps run in INSTALLED_APPS order, which lists the layers bottom to top, each
after the apps its module names in `SEED_AFTER` (app labels): two apps of one layer may depend
on each other's demo data without importing each other.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured


@dataclass
class DemoRun:
    """One run of seed_demo, handed to every app's step."""

    images: bool  # product images (--no-images turns them off)
    variants: int  # a generated catalog of this many variants, for benchmarks (--variants)
    write: Callable[[str], None]  # one line of the report
    made: dict[str, Any] = field(default_factory=dict)
    afterwards: list[Callable[[], None]] = field(default_factory=list)
    closing: list[tuple[str, list[str]]] = field(default_factory=list)

    def later(self, work: Callable[[], None]) -> None:
        """Run `work` once every app's step has run."""
        self.afterwards.append(work)

    def close_with(self, title: str, lines: Iterable[str]) -> None:
        """End the report with this block, after the time the run took."""
        self.closing.append((title, list(lines)))


def demo_steps() -> list[ModuleType]:
    """The installed apps' demo modules with a step, in the order they run."""
    pending: list[tuple[str, ModuleType]] = []
    for config in apps.get_app_configs():
        name = f"{config.name}.demo"
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        if callable(getattr(module, "seed_demo", None)):
            pending.append((config.label, module))
    labels = {label for label, _module in pending}
    done: set[str] = set()
    ordered: list[ModuleType] = []
    while pending:
        ready = next(
            (
                (label, module)
                for label, module in pending
                if (set(getattr(module, "SEED_AFTER", ())) & labels) <= done
            ),
            None,
        )
        if ready is None:
            waiting = ", ".join(label for label, _module in pending)
            raise ImproperlyConfigured(
                f"The demo steps of {waiting} wait in a circle (SEED_AFTER)."
            )
        pending.remove(ready)
        done.add(ready[0])
        ordered.append(ready[1])
    return ordered
