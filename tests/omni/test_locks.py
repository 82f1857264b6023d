"""Rows are locked only in an app's locks.py (README, "Where a rule lives"): a lock written
anywhere else (select_for_update, skip_locked, a `lock=True` helper, FOR UPDATE in SQL) fails
here, and a locks.py imports only its own app's models and omni."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_PRODUCTION = {"tests", "bench"}
# SQL that locks rows, in a string that is not a docstring.
ROW_LOCK_SQL = re.compile(
    r"\bFOR\s+(NO\s+KEY\s+)?UPDATE\b|\bFOR\s+(KEY\s+)?SHARE\b|\bSKIP\s+LOCKED\b", re.I
)


def apps() -> list[Path]:
    return sorted(
        path.parent for path in ROOT.glob("*/__init__.py") if path.parent.name not in NOT_PRODUCTION
    )


def production_sources() -> list[Path]:
    """Every module of every app, but migrations and the apps' locks.py."""
    return [
        path
        for app in apps()
        for path in sorted(app.rglob("*.py"))
        if "migrations" not in path.relative_to(ROOT).parts and path.name != "locks.py"
    ] + [ROOT / "manage.py"]


def row_locks(source: str, filename: str = "<snippet>") -> list[str]:
    """Where `source` locks rows: "file:line what", for each lock found."""
    tree = ast.parse(source, filename)
    documentation = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }
    found = []
    for node in ast.walk(tree):
        what = ""
        if isinstance(node, ast.Attribute) and node.attr == "select_for_update":
            what = "select_for_update"
        elif isinstance(node, ast.keyword) and node.arg == "skip_locked":
            what = "skip_locked="
        elif (
            isinstance(node, ast.keyword)
            and node.arg == "lock"
            and isinstance(node.value, ast.Constant)
            and node.value.value is True
        ):
            what = "lock=True"
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in documentation
            and ROW_LOCK_SQL.search(node.value)
        ):
            what = f"SQL {ROW_LOCK_SQL.search(node.value)[0]!r}"
        if what:
            found.append(f"{filename}:{getattr(node, 'lineno', '?')} {what}")
    return found


def test_rows_are_locked_only_in_the_apps_locks_modules():
    found = [
        site
        for path in production_sources()
        for site in row_locks(path.read_text(), str(path.relative_to(ROOT)))
    ]

    assert found == [], "lock rows through the app's locks.py:\n" + "\n".join(found)


def test_the_walk_sees_every_app_and_the_locks_modules_it_leaves_out():
    walked = {path.relative_to(ROOT).parts[0] for path in production_sources()}
    assert {"omni", "orders", "payments", "inventory", "sales_channels"} <= walked
    assert "tests" not in walked and "bench" not in walked
    # The locks themselves are found where they are meant to be, the claims' SQL among them.
    found = {
        app.name: row_locks((app / "locks.py").read_text())
        for app in apps()
        if (app / "locks.py").exists()
    }
    assert all(found.values()) and len(found) == 9, found
    assert any("SQL" in site for site in found["sales_channels"])


def test_each_way_of_locking_a_row_is_caught_and_a_docstring_is_not():
    snippets = {
        "Cart.objects.select_for_update().get(pk=1)": "select_for_update",
        "qs.select_for_update(skip_locked=True)": "select_for_update",
        "qs.filter(pk=1)._chain(skip_locked=True)": "skip_locked=",
        'select_one(Cart, "id = %s", [1], lock=True)': "lock=True",
        'sql = "SELECT id FROM t WHERE id = %s FOR UPDATE"': "SQL 'FOR UPDATE'",
        'sql = f"SELECT * FROM {t} AS c LIMIT %s FOR UPDATE OF c SKIP LOCKED"': "SQL 'FOR UPDATE'",
        'cursor.execute("select 1 from t for no key update")': "SQL 'for no key update'",
        'sql = "SELECT 1 FROM t FOR SHARE"': "SQL 'FOR SHARE'",
    }
    for snippet, what in snippets.items():
        assert [site.split(" ", 1)[1] for site in row_locks(snippet)][:1] == [what], snippet

    clean = '''
def claim():
    """Claim rows (FOR UPDATE SKIP LOCKED, in locks.py); select_for_update lives there."""
    "a bare string that reads FOR UPDATE is a comment"
    return select_one(Cart, "id = %s", [1], lock=False)
'''
    assert row_locks(clean) == []


def test_a_locks_module_imports_only_its_apps_models_and_omni():
    names = {app.name for app in apps()}
    wrong = []
    for app in apps():
        path = app / "locks.py"
        if not path.exists():
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            modules = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            for module in modules:
                top = module.split(".")[0]
                if top in names and top != "omni" and module != f"{app.name}.models":
                    wrong.append(f"{app.name}/locks.py imports {module}")

    assert wrong == []
