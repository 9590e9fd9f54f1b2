"""The direction of imports in the design brief, checked on the source (including lazy imports)."""

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _modules(package: str) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _violations(
    package: str, forbidden: tuple[str, ...], *, allowed_in: tuple[str, ...] = ()
) -> Iterator[str]:
    for module, path in _modules(package).items():
        if module in allowed_in:
            continue
        for name in sorted(_imports(path)):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                yield f"{module} imports {name}"


def test_models_import_only_sqlmodel_sqlalchemy_and_the_standard_library() -> None:
    allowed = ("sqlmodel", "sqlalchemy", "__future__")
    bad = [
        name
        for name in _imports(ROOT / "api" / "models.py")
        if name.split(".")[0] not in sys.stdlib_module_names and not name.startswith(allowed)
    ]
    assert bad == []


def test_the_service_layer_never_imports_the_web_or_graphql_layers() -> None:
    forbidden = ("strawberry", "starlette", "schema", "graphql")
    assert list(_violations("api", forbidden, allowed_in=("api.app",))) == []


def test_the_importer_never_imports_schema() -> None:
    importer = {m: p for m, p in _modules("api").items() if m.startswith("api.importer")}
    assert importer, "the importer package exists"
    assert [
        m for m, p in importer.items() if any(n.startswith("schema") for n in _imports(p))
    ] == []


def test_only_the_app_factory_joins_schema_and_the_engine() -> None:
    forbidden = ("api.app", "api.database", "api.embedded", "api.cli", "api.settings")
    assert list(_violations("schema", forbidden)) == []


@pytest.mark.parametrize("package", ["api", "schema"])
def test_every_module_is_checked(package: str) -> None:
    # Guards the guard: an empty module list would make the tests above pass vacuously.
    assert len(_modules(package)) >= 3
