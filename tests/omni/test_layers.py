"""The apps' layers (pyproject.toml, [tool.importlinter]) hold, and the check catches a new
upward import, a sibling import, a face imported by domain code or a cycle inside an app."""

import subprocess
import sys
from pathlib import Path

import grimp
import pytest
from importlinter import configuration
from importlinter.application import use_cases
from importlinter.application.app_config import settings

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ("layers", "faces", "cycles")


def _broken_contracts(monkeypatch, *extra_imports: tuple[str, str]) -> set[str]:
    """The ids of the project's contracts broken on its import graph plus `extra_imports`."""
    configuration.configure()
    build = settings.GRAPH_BUILDER.build

    def build_with_extra_imports(**kwargs) -> grimp.ImportGraph:
        graph = build(**kwargs)
        for importer, imported in extra_imports:
            graph.add_import(
                importer=importer,
                imported=imported,
                line_number=1,
                line_contents=f"import {imported}",
            )
        return graph

    monkeypatch.setattr(settings.GRAPH_BUILDER, "build", build_with_extra_imports)
    monkeypatch.chdir(ROOT)
    return {
        contract
        for contract in CONTRACTS
        if not use_cases.lint_imports(
            str(ROOT / "pyproject.toml"),
            limit_to_contracts=(contract,),
            cache_dir=None,
            is_debug_mode=True,
            no_logo=True,
        )
    }


def test_the_apps_keep_their_layers():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_the_graph_sees_an_import_made_inside_a_function(tmp_path, monkeypatch):
    # Imports "inside a function to avoid a cycle" are still cycles: the check must see them.
    package = tmp_path / "probe_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("def f():\n    from probe_pkg import high\n")
    (package / "high.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))

    graph = grimp.build_graph("probe_pkg", cache_dir=None)

    assert graph.direct_import_exists(importer="probe_pkg.low", imported="probe_pkg.high")


@pytest.mark.parametrize(
    ("importer", "imported", "contracts"),
    [
        # A lower app imports a higher one: a new cycle between inventory and orders.
        ("inventory.services", "orders.services.checkout", "layers"),
        # The plumbing imports a domain app.
        ("omni.outbox", "catalog.models", "layers"),
        # One of the imports issue 14 removed comes back: nothing is ignored any more.
        ("omni.management.commands.seed_demo", "catalog.demo", "layers"),
        ("sales_channels.resync", "inventory.selectors", "layers"),
        ("accounts.api.views", "orders.services.carts", "layers"),
        # Two apps of one layer import each other's code.
        ("catalog.selectors", "customers.models", "layers"),
        ("accounts.models", "sales_channels.models", "layers"),
        # A service imports a face (which imports the services: a cycle too).
        ("orders.services.checkout", "orders.api.serializers", "faces cycles"),
        ("inventory.selectors", "inventory.admin", "faces cycles"),
        # Two modules of one app import each other.
        ("catalog.models", "catalog.services", "cycles"),
        ("orders.services.lifecycle", "orders.services.returns", "cycles"),
        # One of the cycles inside an app that issue 14 removed comes back.
        ("accounts.models", "accounts.services", "cycles"),
        ("marketplaces.trendyol", "marketplaces.services", "cycles"),
    ],
)
def test_a_new_forbidden_import_breaks_a_contract(monkeypatch, importer, imported, contracts):
    # The project alone keeps all three (test_the_apps_keep_their_layers).
    assert _broken_contracts(monkeypatch, (importer, imported)) == set(contracts.split())
