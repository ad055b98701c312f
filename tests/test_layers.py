"""The layers of the code, kept true by reading it.

Every module of intranet/ and surveys/ is parsed with `ast` (nothing is imported), and
five rules are checked:

- intranet never names surveys, except in the list of areas (intranet/areas.py AREAS),
  and loads no module by name except there (load_areas);
- a module that is not a view (nor the wiring that collects routes) imports no views module;
- a views module imports no other package's views;
- no import cycle, counting the imports made inside functions;
- outside the policy modules, no code names a role to decide something (a comparison
  with a role, or asking policy for the holders of a role by name).

Each failure names the module, its file and line. The last tests plant a violation of
each rule in a small fake tree and check that the rule finds it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("intranet", "surveys")

# Where the areas are listed: the only place intranet may name one.
AREA_LIST = ("intranet.areas", "AREAS")
# The composition roots: they collect the views' routes into the site.
WIRING = frozenset({"intranet.app", "intranet.urls", "surveys.area"})
POLICY_MODULES = frozenset({"intranet.policy", "surveys.policy"})
ROLE_NAMES = frozenset({"ADMIN", "STAFF", "SECRETARY", "MEMBER"})
ROLE_VALUES = frozenset({"admin", "staff", "secretary", "member"})
ROLE_LOOKUPS = frozenset({"organisations_with", "has_role", "roles_over"})
# Modules that name a role for something other than who may do what, and why.
ROLES_NOT_FOR_ACCESS = {
    # Whom a round's reminder goes to first (the secretary, else the other actors):
    # addressing, not access; the actors themselves come from policy.ACTING_ROLES.
    "surveys.notify.sending": "addressing",
    # The directory import refuses a row that would take away someone's last
    # administrator role; it compares the rows' role columns, as read from the sheet.
    "intranet.directory.plan.people": "import check",
}
WORD_SURVEYS = re.compile(r"\bsurveys\b")


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module
    source: str

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"

    @property
    def is_views(self) -> bool:
        return "views" in self.name.split(".")

    @property
    def views_owner(self) -> str:
        """The package whose views these are: intranet.notices for intranet.notices.views.x."""
        parts = self.name.split(".")
        return ".".join(parts[: parts.index("views")])

    def where(self, node: ast.AST | int) -> str:
        line = node if isinstance(node, int) else getattr(node, "lineno", 0)
        return f"{self.name} ({self.path.as_posix()}:{line})"


def load_modules(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, Module]:
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root)
            if "migrations" in relative.parts:
                continue
            parts = list(relative.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            source = path.read_text(encoding="utf-8")
            name = ".".join(parts)
            modules[name] = Module(name, relative, ast.parse(source, str(relative)), source)
    return modules


def imports(module: Module, modules: dict[str, Module]) -> list[tuple[str, int]]:
    """(imported module of the tree, line) for every import, at any depth."""
    found: list[tuple[str, int]] = []
    here = module.name if module.is_package else module.name.rpartition(".")[0]
    for node in ast.walk(module.tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = here.split(".")[: len(here.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names = [f"{base}.{alias.name}" for alias in node.names]
            names = [name if name in modules else base for name in names]
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module.name:
                found.append((name, node.lineno))
    return found


# -- the rules ----------------------------------------------------------------------------


def surveys_named_in_intranet(modules: dict[str, Module]) -> list[str]:
    area_module, area_constant = AREA_LIST
    problems = []
    for module in modules.values():
        if module.name.split(".")[0] != "intranet":
            continue
        allowed: set[int] = set()
        if module.name == area_module:
            for node in module.tree.body:
                targets = node.targets if isinstance(node, ast.Assign) else []
                if isinstance(node, ast.AnnAssign):
                    targets = [node.target]
                if any(isinstance(t, ast.Name) and t.id == area_constant for t in targets):
                    allowed |= set(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        for number, line in enumerate(module.source.splitlines(), start=1):
            if WORD_SURVEYS.search(line) and number not in allowed:
                problems.append(f"{module.where(number)} names surveys: {line.strip()}")
    return problems


def modules_loaded_by_name(modules: dict[str, Module]) -> list[str]:
    """import_module hides a dependency from the import graph: only load_areas may."""
    problems = []
    for module in modules.values():
        if module.name == AREA_LIST[0]:
            continue
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if called in ("import_module", "__import__"):
                    problems.append(f"{module.where(node)} loads a module by name")
    return problems


def views_imported_below(modules: dict[str, Module]) -> list[str]:
    problems = []
    for module in modules.values():
        if module.is_views or module.name in WIRING:
            continue
        for target, line in imports(module, modules):
            if modules[target].is_views:
                problems.append(f"{module.where(line)} is not a view but imports {target}")
    return problems


def views_of_other_packages(modules: dict[str, Module]) -> list[str]:
    problems = []
    for module in modules.values():
        if not module.is_views:
            continue
        for target, line in imports(module, modules):
            other = modules[target]
            if other.is_views and other.views_owner != module.views_owner:
                problems.append(f"{module.where(line)} imports another package's views: {target}")
    return problems


def import_cycles(modules: dict[str, Module]) -> list[str]:
    edges = {name: imports(module, modules) for name, module in modules.items()}
    problems = []
    reported: set[frozenset[str]] = set()
    for start in sorted(modules):
        path = _path_back(start, edges)
        if path is None or frozenset(path) in reported:
            continue
        reported.add(frozenset(path))
        steps = [
            f"{modules[a].where(line)} -> {b}"
            for a, b in zip(path, [*path[1:], path[0]], strict=True)
            for line in [next(line for t, line in edges[a] if t == b)]
        ]
        problems.append("import cycle: " + "; ".join(steps))
    return problems


def _path_back(start: str, edges: dict[str, list[tuple[str, int]]]) -> list[str] | None:
    """The shortest chain of imports from `start` back to itself, if there is one."""
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for name in frontier:
            for target, _ in edges[name]:
                if target == start:
                    chain = [name]
                    while chain[-1] != start:
                        chain.append(came_from[chain[-1]])
                    return list(reversed(chain))
                if target not in came_from:
                    came_from[target] = name
                    following.append(target)
        frontier = following
    return None


def _names_role(node: ast.AST) -> bool:
    for inner in ast.walk(node):
        if (
            isinstance(inner, ast.Attribute)
            and inner.attr in ROLE_NAMES
            and isinstance(inner.value, ast.Name)
            and inner.value.id == "Role"
        ):
            return True
        if isinstance(inner, ast.Constant) and inner.value in ROLE_VALUES:
            return True
    return False


def is_policy_module(name: str) -> bool:
    """A policy module, or a part of one split into a package (intranet.policy.notices)."""
    return any(name == policy or name.startswith(policy + ".") for policy in POLICY_MODULES)


def roles_outside_policy(modules: dict[str, Module]) -> list[str]:
    problems: dict[str, None] = {}  # one line, once
    for module in modules.values():
        parts = module.name.split(".")
        if (
            is_policy_module(module.name)
            or module.name in ROLES_NOT_FOR_ACCESS
            or "models" in parts
            or parts[-1] in ("demo", "cli")
        ):
            continue
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Compare) and _names_role(node):
                problems[f"{module.where(node)} compares with a role outside policy"] = None
            elif isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if called in ROLE_LOOKUPS and any(_names_role(arg) for arg in node.args):
                    problems[f"{module.where(node)} asks for a role by name outside policy"] = None
    return list(problems)


RULES = (
    surveys_named_in_intranet,
    modules_loaded_by_name,
    views_imported_below,
    views_of_other_packages,
    import_cycles,
    roles_outside_policy,
)


# -- the code as it is --------------------------------------------------------------------


@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    return load_modules(ROOT)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_the_code_keeps_its_layers(rule: object, modules: dict[str, Module]) -> None:
    assert callable(rule)
    problems = rule(modules)
    assert problems == [], "\n".join(problems)


def test_it_reads_every_module_of_both_packages(modules: dict[str, Module]) -> None:
    assert {"intranet.app", "intranet.policy", "surveys.policy", "surveys.notify"} <= set(modules)
    assert len(modules) > 80


# -- each rule finds a planted violation -------------------------------------------------


def plant(root: Path, files: dict[str, str]) -> dict[str, Module]:
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    for package in PACKAGES:
        (root / package).mkdir(exist_ok=True)
        for folder in [root / package, *(p for p in (root / package).rglob("*") if p.is_dir())]:
            (folder / "__init__.py").touch()
    return load_modules(root)


def test_it_finds_surveys_named_in_intranet_outside_the_area_list(tmp_path: Path) -> None:
    tree = plant(
        tmp_path,
        {
            "intranet/areas.py": 'AREAS = (\n    "surveys.area",\n)\n',
            "intranet/cli.py": 'import importlib\n\nx = importlib.import_module("surveys.x")\n',
        },
    )
    assert surveys_named_in_intranet(tree) == [
        'intranet.cli (intranet/cli.py:3) names surveys: x = importlib.import_module("surveys.x")'
    ]


def test_it_finds_a_module_loaded_by_name_outside_the_area_list(tmp_path: Path) -> None:
    tree = plant(
        tmp_path,
        {
            "intranet/areas.py": "from importlib import import_module\n\nimport_module(name)\n",
            "intranet/demo.py": "import importlib\n\n\ndef f():\n    importlib.import_module(n)\n",
        },
    )
    assert modules_loaded_by_name(tree) == [
        "intranet.demo (intranet/demo.py:5) loads a module by name"
    ]


def test_it_finds_a_domain_module_importing_views(tmp_path: Path) -> None:
    tree = plant(
        tmp_path,
        {
            "surveys/views/reminders.py": "",
            "surveys/notify.py": "def url():\n    from surveys.views.reminders import x\n",
            "surveys/area.py": "from surveys.views import reminders\n",
        },
    )
    assert views_imported_below(tree) == [
        "surveys.notify (surveys/notify.py:2) is not a view but imports surveys.views.reminders"
    ]


def test_it_finds_views_borrowing_another_packages_views(tmp_path: Path) -> None:
    tree = plant(
        tmp_path,
        {
            "intranet/notices/views/actions.py": "from intranet.notices.views import reading\n",
            "intranet/notices/views/reading.py": "",
            "surveys/views/responses.py": "\nfrom intranet.notices.views import actions\n",
        },
    )
    assert views_of_other_packages(tree) == [
        "surveys.views.responses (surveys/views/responses.py:2) imports another package's "
        "views: intranet.notices.views.actions"
    ]


def test_it_finds_an_import_cycle_closed_inside_a_function(tmp_path: Path) -> None:
    tree = plant(
        tmp_path,
        {
            "surveys/answering.py": "from surveys import state_changes\n",
            "surveys/state_changes.py": "from . import notify\n",
            "surveys/notify.py": "def f():\n    import surveys.answering\n",
        },
    )
    assert import_cycles(tree) == [
        "import cycle: surveys.answering (surveys/answering.py:1) -> surveys.state_changes; "
        "surveys.state_changes (surveys/state_changes.py:1) -> surveys.notify; "
        "surveys.notify (surveys/notify.py:2) -> surveys.answering"
    ]


def test_it_finds_a_role_named_to_decide_access(tmp_path: Path) -> None:
    tree = plant(
        tmp_path,
        {
            "intranet/policy/__init__.py": "def ok(m):\n    return m.role == Role.ADMIN\n",
            "intranet/policy/notices.py": "def ok(m):\n    return m.role == Role.STAFF\n",
            "intranet/policyholders.py": "def no(m):\n    return m.role == Role.STAFF\n",
            "surveys/tracking.py": (
                "def mine(held):\n"
                '    return [m for m in held if m.role in ("secretary", "staff")]\n'
            ),
            "intranet/views/orgs.py": "x = policy.organisations_with(held, Role.ADMIN)\n",
        },
    )
    assert sorted(roles_outside_policy(tree)) == [
        "intranet.policyholders (intranet/policyholders.py:2) compares with a role outside policy",
        "intranet.views.orgs (intranet/views/orgs.py:1) asks for a role by name outside policy",
        "surveys.tracking (surveys/tracking.py:2) compares with a role outside policy",
    ]
