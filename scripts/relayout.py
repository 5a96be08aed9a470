"""Move khaosobs into a layout whose folders are the pipeline, and rewrite every reference.

    python3 scripts/relayout.py            # in the repository's root: git mv + rewrite
    python3 scripts/relayout.py --dry-run  # print what it would do
    python3 scripts/relayout.py --json     # print the moves as JSON

Pure moves are this script, not a commit, so that it can run AFTER other branches are merged:
it moves with `git mv` what is still at an old path, creates the new packages' `__init__.py`,
then rewrites, in every .py file under khaosobs/, tests/ and scripts/ (including files it has
never seen), the old dotted module names (`khaosobs.loader`, `tests.synthetic`, in imports,
strings and `python -m` lines) and `from PACKAGE import module` forms of moved modules, and in
the README, docs, pyproject and CI the old file paths (`khaosobs/loader.py`). Running it again
changes nothing: a move whose source is gone and whose target exists is done; every rewrite maps
an old name that, once rewritten, no longer occurs.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

# old path -> new path, relative to the repository's root. A module that becomes a package's
# `__init__.py` keeps its dotted name (khaosobs.output, khaosobs.diagnostics).
MOVES: dict[str, str] = {
    # spec/: reading the files, YAML with positions, merging, the model, its structure, salvage
    "khaosobs/loader.py": "khaosobs/spec/loader.py",
    "khaosobs/sources.py": "khaosobs/spec/sources.py",
    "khaosobs/fastyaml.py": "khaosobs/spec/fastyaml.py",
    "khaosobs/limits.py": "khaosobs/spec/limits.py",
    "khaosobs/model.py": "khaosobs/spec/model.py",
    "khaosobs/structure.py": "khaosobs/spec/structure.py",
    "khaosobs/salvage.py": "khaosobs/spec/salvage.py",
    "khaosobs/jsonschema_export.py": "khaosobs/spec/json_schema.py",
    # diagnostics/: the finding, its codes, its reporters
    "khaosobs/diagnostics.py": "khaosobs/diagnostics/__init__.py",
    "khaosobs/codes.py": "khaosobs/diagnostics/codes.py",
    "khaosobs/reporters/__init__.py": "khaosobs/diagnostics/reporters/__init__.py",
    "khaosobs/reporters/text.py": "khaosobs/diagnostics/reporters/text.py",
    "khaosobs/reporters/json.py": "khaosobs/diagnostics/reporters/json.py",
    "khaosobs/reporters/github.py": "khaosobs/diagnostics/reporters/github.py",
    "khaosobs/reporters/_redact.py": "khaosobs/diagnostics/reporters/_redact.py",
    # domain/: the rules of the tools khaosobs writes for, used by checks and targets alike
    "khaosobs/alerts.py": "khaosobs/domain/alerts.py",
    "khaosobs/routing.py": "khaosobs/domain/routing.py",
    "khaosobs/promql.py": "khaosobs/domain/promql.py",
    "khaosobs/checks/_promql.py": "khaosobs/domain/promql_analysis.py",
    "khaosobs/checks/_series.py": "khaosobs/domain/series.py",
    "khaosobs/versions.py": "khaosobs/domain/versions.py",
    "khaosobs/naming.py": "khaosobs/domain/naming.py",
    # checks/: names that say what each check checks
    "khaosobs/checks/version.py": "khaosobs/checks/project.py",
    "khaosobs/checks/references.py": "khaosobs/checks/receivers.py",
    "khaosobs/checks/naming_rules.py": "khaosobs/checks/metric_names.py",
    "khaosobs/checks/_text.py": "khaosobs/checks/_support.py",
    # output/: templating, serialisers, the writer (output.py's OutputFile becomes the package)
    "khaosobs/output.py": "khaosobs/output/__init__.py",
    "khaosobs/templating.py": "khaosobs/output/templating.py",
    "khaosobs/serialise.py": "khaosobs/output/serialise.py",
    "khaosobs/writer.py": "khaosobs/output/writer.py",
    # commands/: what each command does beyond parsing and printing (khaosobs/cli.py)
    "khaosobs/pipeline.py": "khaosobs/commands/validate.py",
    "khaosobs/render.py": "khaosobs/commands/render.py",
    "khaosobs/promtool_tests.py": "khaosobs/commands/alert_tests.py",
    "khaosobs/summary.py": "khaosobs/commands/summary.py",
    # second wave: domain rules, the overlay merge, the init scaffold
    "khaosobs/wiring.py": "khaosobs/domain/wiring.py",
    "khaosobs/coverage.py": "khaosobs/domain/coverage.py",
    "khaosobs/kubernetes.py": "khaosobs/domain/kubernetes.py",
    "khaosobs/scrape.py": "khaosobs/domain/scrape.py",
    "khaosobs/receivers.py": "khaosobs/domain/receivers.py",
    "khaosobs/dashboards.py": "khaosobs/domain/dashboards.py",
    "khaosobs/promql_print.py": "khaosobs/domain/promql_print.py",
    "khaosobs/targets/_units.py": "khaosobs/domain/units.py",
    "khaosobs/environments.py": "khaosobs/spec/environments.py",
    "khaosobs/scaffold.py": "khaosobs/commands/init.py",
    # tests: the test of a module is found by its name; helpers in tests/support/
    "tests/test_fastyaml.py": "tests/spec/test_fastyaml.py",
    "tests/test_spec_folder.py": "tests/spec/test_loader.py",
    "tests/test_salvage.py": "tests/spec/test_salvage.py",
    "tests/test_schema.py": "tests/spec/test_json_schema.py",
    "tests/test_codes.py": "tests/diagnostics/test_codes.py",
    "tests/test_checks.py": "tests/checks/test_checks.py",
    "tests/test_domain.py": "tests/domain/test_rules_written_once.py",
    "tests/test_routing.py": "tests/domain/test_routing.py",
    "tests/test_target_prometheus.py": "tests/targets/test_prometheus.py",
    "tests/test_target_alertmanager.py": "tests/targets/test_alertmanager.py",
    "tests/test_target_grafana.py": "tests/targets/test_grafana.py",
    "tests/test_target_loki.py": "tests/targets/test_loki.py",
    "tests/test_target_otel.py": "tests/targets/test_otel.py",
    "tests/test_instrumentation.py": "tests/targets/test_instrumentation.py",
    "tests/test_promtool.py": "tests/commands/test_alert_tests.py",
    "tests/test_render_cli.py": "tests/commands/test_render.py",
    "tests/test_validate_fuzz.py": "tests/commands/test_validate_fuzz.py",
    "tests/test_slo.py": "tests/domain/test_slo.py",
    "tests/test_coverage.py": "tests/domain/test_coverage.py",
    "tests/test_promql_print.py": "tests/domain/test_promql_print.py",
    "tests/test_gotemplate.py": "tests/domain/test_gotemplate.py",
    "tests/test_wiring.py": "tests/checks/test_wiring.py",
    "tests/test_receivers.py": "tests/checks/test_receivers.py",
    "tests/test_label_analysis.py": "tests/checks/test_label_analysis.py",
    "tests/test_telemetry_bootstrap.py": "tests/targets/test_telemetry.py",
    "tests/test_target_kubernetes.py": "tests/targets/test_kubernetes.py",
    "tests/test_target_ruler.py": "tests/targets/test_ruler.py",
    "tests/test_prometheus_config.py": "tests/targets/test_prometheus_config.py",
    "tests/test_alertmanager_versions.py": "tests/targets/test_alertmanager_versions.py",
    "tests/test_dashboard_lint.py": "tests/targets/test_grafana_lint.py",
    "tests/test_environments.py": "tests/spec/test_environments.py",
    "tests/test_import.py": "tests/commands/test_import.py",
    "tests/test_init.py": "tests/commands/test_init.py",
    "tests/test_pre_commit.py": "tests/commands/test_pre_commit.py",
    "tests/test_workflow.py": "tests/commands/test_workflow.py",
    "tests/test_yaml_block.py": "tests/output/test_yaml_block.py",
    "tests/dashboard_linter.py": "tests/support/dashboard_linter.py",
    "tests/realtools.py": "tests/support/realtools.py",
    # syrupy keeps a test file's snapshots beside it
    "tests/__snapshots__/test_coverage.ambr": "tests/domain/__snapshots__/test_coverage.ambr",
    "tests/__snapshots__/test_environments.ambr": "tests/spec/__snapshots__/test_environments.ambr",
    "tests/__snapshots__/test_import.ambr": "tests/commands/__snapshots__/test_import.ambr",
    "tests/benchmark.py": "tests/support/benchmark.py",
    "tests/otel_rules.py": "tests/support/otel_rules.py",
    "tests/realworld.py": "tests/support/realworld.py",
    "tests/rules_helpers.py": "tests/support/rules.py",
    "tests/synthetic.py": "tests/support/synthetic.py",
}

# packages the moves create, with what each holds
PACKAGES: dict[str, str] = {
    "khaosobs/spec": "The spec as read: files, YAML with positions, merging, the model, its structure, salvage.",
    "khaosobs/domain": "Domain rules, each written once and used by checks and targets alike.",
    "khaosobs/commands": "What each command does beyond parsing arguments and printing (that is khaosobs/cli.py).",
    "khaosobs/diagnostics/reporters": "Reporters format Diagnostics; they never decide anything.",
    "tests/spec": "Tests of khaosobs/spec/.",
    "tests/diagnostics": "Tests of khaosobs/diagnostics/.",
    "tests/checks": "Tests of khaosobs/checks/.",
    "tests/domain": "Tests of khaosobs/domain/.",
    "tests/targets": "Tests of khaosobs/targets/.",
    "tests/commands": "Tests of khaosobs/commands/ through the CLI.",
    "tests/output": "Tests of khaosobs/output/.",
    "tests/support": "Helpers the tests share (not tests themselves).",
}

PYTHON_ROOTS = ("khaosobs", "tests", "scripts")
TEXT_FILES = ("README.md", "pyproject.toml", ".ci/run", "docs")  # never templates: they are output
SKIP = {"scripts/relayout.py"}


def dotted(path: str) -> str:
    module = path.removesuffix(".py").replace("/", ".")
    return module.removesuffix(".__init__")


def module_moves() -> dict[str, str]:
    """Old dotted module name -> new one, for every move that changes it."""
    return {dotted(old): dotted(new) for old, new in MOVES.items() if dotted(old) != dotted(new)}


def path_moves() -> dict[str, str]:
    """Old file path -> new, as written in prose and configuration (`khaosobs/loader.py`)."""
    found = dict(MOVES)
    # a folder that moved as a whole, named as a folder
    found["khaosobs/reporters/"] = "khaosobs/diagnostics/reporters/"
    return found


def _alternation(names: list[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


def rewrite_python(text: str, modules: dict[str, str]) -> str:
    """Old dotted names -> new ones; `from PACKAGE import module` of a moved module -> its new package."""

    def from_import(match: re.Match[str]) -> str:
        indent, package, names = match.group(1), match.group(2), match.group(3)
        parenthesised = names.strip().startswith("(")
        items = [n.strip() for n in names.strip().strip("()").replace("\n", " ").split(",") if n.strip()]
        moved: list[tuple[str, str]] = []
        kept: list[str] = []
        for item in items:
            name = item.split(" as ")[0].strip()
            new = modules.get(f"{package}.{name}")
            if new is None:
                kept.append(item)
            else:
                new_package, new_name = new.rsplit(".", 1)
                alias = item.split(" as ")[1].strip() if " as " in item else (name if new_name != name else None)
                moved.append((new_package, f"{new_name} as {alias}" if alias and alias != new_name else new_name))
        if not moved:
            return match.group(0)
        lines = []
        if kept:
            joined = ", ".join(kept)
            lines.append(f"{indent}from {package} import ({joined})" if parenthesised and len(joined) > 100
                         else f"{indent}from {package} import {joined}")
        lines += [f"{indent}from {new_package} import {item}" for new_package, item in moved]
        return "\n".join(lines)

    packages = {old.rsplit(".", 1)[0] for old in modules if "." in old}
    from_re = re.compile(rf"^([ \t]*)from ({_alternation(sorted(packages))}) import (\([^)]*\)|[^\n#]+?)[ \t]*$",
                         re.MULTILINE)
    text = from_re.sub(from_import, text)
    # `(?<!")`…`(?!")`: a quoted "khaosobs.summary" is a Go template's name in a message template, not a module
    name_re = re.compile(rf"(?<![\w.\"])({_alternation(list(modules))})(?![\w\"])")
    return name_re.sub(lambda m: modules[m.group(1)], text)


def rewrite_paths(text: str, paths: dict[str, str]) -> str:
    path_re = re.compile(rf"(?<![\w/.-])({_alternation(list(paths))})(?![\w])")
    return path_re.sub(lambda m: paths[m.group(1)], text)


def git(*args: str, root: Path) -> None:
    subprocess.run(["git", *args], cwd=root, check=True)


def move_files(root: Path, *, dry_run: bool) -> list[str]:
    done: list[str] = []
    # a module that becomes a package's __init__ first: the others then move into that package
    order = sorted(MOVES.items(), key=lambda item: not item[1].endswith("/__init__.py"))
    for old, new in order:
        source, target = root / old, root / new
        if not source.exists():
            continue  # moved already (or never there: nothing to do)
        if target.exists():
            raise SystemExit(f"relayout: both {old} and {new} exist; merge them by hand, then run again")
        done.append(f"git mv {old} {new}")
        if not dry_run:
            target.parent.mkdir(parents=True, exist_ok=True)
            git("mv", old, new, root=root)
    for package, doc in PACKAGES.items():
        init = root / package / "__init__.py"
        if (root / package).is_dir() and not init.exists():
            done.append(f"create {package}/__init__.py")
            if not dry_run:
                init.write_text(f'"""{doc}"""\n', encoding="utf-8")
                git("add", str(init.relative_to(root)), root=root)
    # a package emptied by the moves (khaosobs/reporters) leaves only bytecode behind; a folder of
    # data (tests/__snapshots__) holds no .py file at all and is never removed
    for old in (old for old in MOVES if old.endswith(".py")):
        folder = (root / old).parent
        if folder != root and folder.is_dir() and not any(p.suffix == ".py" for p in folder.rglob("*")):
            done.append(f"remove empty {folder.relative_to(root)}/")
            if not dry_run:
                for leftover in sorted(folder.rglob("*"), reverse=True):
                    leftover.unlink() if leftover.is_file() else leftover.rmdir()
                folder.rmdir()
    return done


def rewrite_files(root: Path, *, dry_run: bool) -> list[str]:
    modules, paths = module_moves(), path_moves()
    changed: list[str] = []
    files = [p for base in PYTHON_ROOTS if (root / base).is_dir() for p in sorted((root / base).rglob("*.py"))]
    texts = [p for name in TEXT_FILES for p in ([root / name] if (root / name).is_file()
                                                else sorted((root / name).rglob("*")) if (root / name).is_dir()
                                                else []) if p.is_file() and p.suffix in ("", ".md", ".toml")]
    for path in [*files, *texts]:
        relative = path.relative_to(root).as_posix()
        if relative in SKIP or "/data/" in f"/{relative}":
            continue
        before = path.read_text(encoding="utf-8")
        after = rewrite_paths(before, paths)
        if path.suffix == ".py" or relative in ("README.md", ".ci/run") or relative.startswith("docs/"):
            after = rewrite_python(after, modules)
        if after != before:
            changed.append(f"rewrite {relative}")
            if not dry_run:
                path.write_text(after, encoding="utf-8")
    return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true", help="print what would be done, do nothing")
    parser.add_argument("--json", action="store_true", help="print the moves as JSON and exit")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    if args.json:
        print(json.dumps({"moves": MOVES, "modules": module_moves(), "packages": PACKAGES}, indent=2))
        return 0
    root: Path = args.root
    for line in [*move_files(root, dry_run=args.dry_run), *rewrite_files(root, dry_run=args.dry_run)]:
        print(line)
    if not args.dry_run:  # rewritten imports may now sort differently
        subprocess.run([sys.executable, "-m", "ruff", "check", "--fix", "--select", "I001", "--quiet",
                        *[base for base in PYTHON_ROOTS if (root / base).is_dir()]], cwd=root, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
