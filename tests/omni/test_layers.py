"""The apps' layers (pyproject.toml, [tool.importlinter]) hold, and the check catches a new
upward import, a sibling import or a face imported by domain code."""

import subprocess
import sys
from pathlib import Path

import grimp
import pytest
from importlinter import configuration
from importlinter.application import use_cases
from importlinter.application.app_config import settings

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ("layers", "faces")


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
    assert "2 kept, 0 broken" in result.stdout


def test_the_graph_sees_an_import_made_inside_a_function():
    # orders.services.lifecycle imports payments.services inside a function; the check must
    # see such imports, or a cycle could hide in one.
    graph = grimp.build_graph("orders", "payments", cache_dir=None)
    assert graph.direct_import_exists(
        importer="orders.services.lifecycle", imported="payments.services"
    )


@pytest.mark.parametrize(
    ("importer", "imported", "contract"),
    [
        # A lower app imports a higher one: a new cycle between inventory and orders.
        ("inventory.services", "orders.services.checkout", "layers"),
        # The plumbing imports a domain app.
        ("omni.outbox", "catalog.models", "layers"),
        # Two apps of one layer import each other's code.
        ("catalog.selectors", "customers.models", "layers"),
        ("accounts.models", "sales_channels.models", "layers"),
        # A service imports a face.
        ("orders.services.checkout", "orders.api.serializers", "faces"),
        ("inventory.selectors", "inventory.admin", "faces"),
    ],
)
def test_a_new_forbidden_import_breaks_a_contract(monkeypatch, importer, imported, contract):
    # The project alone keeps both (test_the_apps_keep_their_layers); one import more breaks one.
    assert _broken_contracts(monkeypatch, (importer, imported)) == {contract}
