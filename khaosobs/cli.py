"""The command line: parse arguments, call the library, print. Nothing else lives here.

Exit codes: 0 success, 1 invalid spec / failed check / stale tree, 2 usage or missing tool,
3 an internal error (a bug in khaosobs: never a user's fault).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from khaosobs.commands.validate import OnModel, Validation

def _flags_without_types() -> None:
    """typer shows a flag's type in --help (`--strict <bool>`); a flag takes no value: show none."""
    import typer.core

    shown = typer.core.TyperOption.display_type_rich

    def display_type_rich(self: typer.core.TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag else shown(self, ctx)

    typer.core.TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_without_types()


def _plain_parameters_without_pydantic() -> None:
    """typer 0.29 coerces every parameter through a pydantic TypeAdapter: importing pydantic's model
    machinery and building the adapters costs about 40 ms at every start, more than the rest of
    validating a one-service spec. Our parameters are plain (text, paths, lists of them): those are
    coerced here as typer's adapters coerce them (a path through typer's own path checks); anything
    else, or a value of another type, still goes to typer's adapter."""
    import typer.core

    try:  # typer's own modules: where a later typer moved them, its adapters do all the work
        import typer._coercion
        import typer._param_types

        built = typer.core._TyperParameter.get_runtime_param
        base = typer._coercion.RuntimeParam
    except (ImportError, AttributeError):
        return
    plain_path = {Path, Path | None, list[Path], list[Path] | None}
    # each annotation, and the types its values come in from click (or from a default) to pass as they are
    plain: dict[Any, tuple[type, ...]] = dict.fromkeys({str, str | None, list[str], list[str] | None}, (str,))
    plain[bool] = (bool,)
    plain |= dict.fromkeys(plain_path, (str, Path))
    default_info = typer.models.OptionInfo()

    def untouched(info: typer.models.ParameterInfo) -> bool:
        # no parser, path flags or bounds: what typer's adapter would do is only the conversion
        return info.parser is None and info.min is None and info.max is None \
            and all(getattr(info, flag) == getattr(default_info, flag) for flag in (
                "exists", "file_okay", "dir_okay", "writable", "readable", "resolve_path", "allow_dash",
                "path_type"))

    class PlainParam(base):  # type: ignore[misc,valid-type]
        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            many = isinstance(value, tuple | list)
            items = list(value) if many else [value]
            if not all(isinstance(item, plain[self.annotation]) for item in items):
                return typer._coercion.build_runtime_param(param.type_descriptor)._coerce_value(value, param, ctx)
            if self.annotation in plain_path:
                items = [typer._param_types.coerce_cli_path(Path(item), self.parameter_info, path_type=Path,
                                                            param=param, ctx=ctx) for item in items]
            return items if many else items[0]

    def get_runtime_param(self: Any) -> Any:
        descriptor = self.type_descriptor
        simple = descriptor.annotation in plain and descriptor.file_annotation is None
        if self._runtime_param is None and simple and untouched(descriptor.parameter_info):
            self._runtime_param = PlainParam(parameter_info=descriptor.parameter_info,
                                             annotation=descriptor.annotation)
        return built(self)

    typer.core._TyperParameter.get_runtime_param = get_runtime_param  # type: ignore[method-assign]


_plain_parameters_without_pydantic()

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_BUG = 3

app = typer.Typer(
    name="khaosobs",
    help="Validate an observability spec and render it into Prometheus, Alertmanager, Grafana, Loki and OTel configs.",
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

SpecArg = Annotated[
    list[Path] | None,
    typer.Argument(help="Spec files or folders (merged). Default: specs/", show_default=False),
]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="text, json or github")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Treat warnings as errors")]
EnvOpt = Annotated[str | None, typer.Option("--env", "-e", help="Environment: the overlay specs/env/NAME.yaml "
                                            "merged over the spec (render: `all` for every one)")]


def _print_version(value: bool) -> None:
    if value:
        from khaosobs import __version__

        _out(f"khaosobs {__version__}\n")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _options(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit")] = False,
) -> None:
    """Validate an observability spec and render it into Prometheus, Alertmanager, Grafana, Loki and OTel configs."""


def _spec_paths(specs: list[Path] | None) -> list[Path]:
    return list(specs) if specs else [Path("specs")]


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _err(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def _report(validation: Validation, fmt: str, *, stream: str = "stdout") -> None:
    from khaosobs.diagnostics.reporters import reporter

    text = reporter(fmt)(validation.diagnostics.sorted(), validation.sources)
    (_out if stream == "stdout" else _err)(text)


def _check_format(fmt: str) -> None:
    from khaosobs.diagnostics.reporters import FORMATS

    if fmt not in FORMATS:
        _err(f"khaosobs: --format must be one of {', '.join(FORMATS)}, not {fmt!r}\n")
        raise typer.Exit(EXIT_USAGE)


def _check_templates(templates: Path | None) -> None:
    if templates is not None and not templates.is_dir():
        _err(f"khaosobs: --templates {templates} is not a folder\n")
        raise typer.Exit(EXIT_USAGE)


def _valid_spec(specs: list[Path] | None, fmt: str, strict: bool, refusal: str,
                env: str | None = None, on_model: OnModel | None = None) -> Validation:
    """Validate and report findings on stderr; exit 1 with `refusal` when the spec is invalid."""
    from khaosobs.spec.environments import validate_spec

    validation = validate_spec(_spec_paths(specs), env, on_model)
    if validation.diagnostics.items:
        _report(validation, fmt, stream="stderr")
    if validation.failed(strict=strict):
        _err(f"khaosobs: spec is invalid; {refusal}\n")
        raise typer.Exit(EXIT_INVALID)
    return validation


@app.command()
def validate(specs: SpecArg = None, fmt: FormatOpt = "text", strict: StrictOpt = False, env: EnvOpt = None) -> None:
    """Check a spec: structure, references, PromQL, naming, secrets. Every problem at once."""
    from khaosobs.spec.environments import ALL, environment_names, validate_spec

    _check_format(fmt)
    names = environment_names(_spec_paths(specs)) if env == ALL else [env]
    if not names:
        _err("khaosobs: --env all: the spec has no environments (specs/env/<name>.yaml)\n")
        raise typer.Exit(EXIT_USAGE)
    failed = False
    for name in names:
        validation = validate_spec(_spec_paths(specs), name)
        if validation.diagnostics.items or fmt == "json":
            _report(validation, fmt)
        if fmt == "text" and not validation.failed(strict=strict):
            assert validation.loaded is not None
            _out(f"{validation.loaded.display_name()}: valid\n")
        failed = failed or validation.failed(strict=strict)
    raise typer.Exit(EXIT_INVALID if failed else EXIT_OK)


@app.command()
def render(
    specs: SpecArg = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Output folder (with --env: its NAME subfolder)")]
    = Path("generated"),
    target: Annotated[list[str] | None, typer.Option("--target", "-t", help="Render only these targets")] = None,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 with a diff when stale")] = False,
    templates: Annotated[
        Path | None, typer.Option("--templates", help="Folder of templates overriding the built-in ones by name")
    ] = None,
    strict: StrictOpt = False,
    fmt: FormatOpt = "text",
    env: EnvOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace files at generated paths that khaosobs did not write")
    ] = False,
) -> None:
    """Validate, then write the generated files (atomically; stale files removed)."""
    from khaosobs.spec.environments import ALL, environment_names
    from khaosobs.targets import target_names

    _check_format(fmt)
    if output.exists() and not output.is_dir():
        _err(f"khaosobs: -o {output} is a file; name the output folder\n")
        raise typer.Exit(EXIT_USAGE)
    if target:
        unknown = [t for t in target if t not in target_names()]
        if unknown:
            _err(f"khaosobs: unknown target {', '.join(unknown)}; targets: {', '.join(target_names())}\n")
            raise typer.Exit(EXIT_USAGE)
    _check_templates(templates)
    if env != ALL:
        _render_one(specs, output / env if env else output, target, check, templates, strict, fmt, env, force)
        return
    names = environment_names(_spec_paths(specs))
    if not names:
        _err("khaosobs: --env all: the spec has no environments (specs/env/<name>.yaml)\n")
        raise typer.Exit(EXIT_USAGE)
    failed = False
    for name in names:
        try:
            _render_one(specs, output / name, target, check, templates, strict, fmt, name, force)
        except typer.Exit as exc:
            failed = failed or exc.exit_code != EXIT_OK
    raise typer.Exit(EXIT_INVALID if failed else EXIT_OK)


def _render_one(specs: list[Path] | None, output: Path, target: list[str] | None, check: bool,
                templates: Path | None, strict: bool, fmt: str, env: str | None, force: bool) -> None:
    from khaosobs.commands.render import TreeRender
    from khaosobs.output.writer import apply, diff

    with TreeRender(output, targets=target, templates=templates, check=check) as tree:
        # the render starts with the model (a large spec's dashboards are made while the checks run);
        # an invalid spec leaves the tree as it was
        validation = _valid_spec(specs, fmt, strict, "nothing was written", env, on_model=lambda spec, loaded:
                                 tree.start(spec, _source_header(specs, loaded.files, output, env)))
        assert validation.spec is not None and validation.loaded is not None
        result = tree.plan(validation.spec, _source_header(specs, validation.loaded.files, output, env))
        if result.unowned and not force and not check:
            _err(f"khaosobs: {len(result.unowned)} file(s) at generated paths were not written by khaosobs "
                 f"(not in {output}/khaosobs-manifest.json): {', '.join(result.unowned)}; move them away or "
                 "pass --force to replace them\n")
            raise typer.Exit(EXIT_INVALID)
        if check:
            if result.stale:
                _out(diff(result))
                _err(f"khaosobs: {output} is stale: {len(result.written)} to write, {len(result.removed)} to remove; "
                     "run `khaosobs render`\n")
                raise typer.Exit(EXIT_INVALID)
            _err(f"khaosobs: {output} is up to date ({len(result.rendered)} files)\n")
            raise typer.Exit(EXIT_OK)
        apply(result)
    from khaosobs.commands.summary import print_summary

    print_summary(result)


def _source_header(specs: list[Path] | None, files: list[str], output: Path, env: str | None) -> str:
    """The spec named in generated headers: its file (or the folders given), and the overlay of `env`."""
    from khaosobs.domain.provenance import source_name
    from khaosobs.spec.environments import overlay_file

    paths = _spec_paths(specs)
    overlay = overlay_file(paths, env) if env else None
    # an environment's tree is generated/<env>/: the project root is judged from generated/ itself
    root_output = output.parent if overlay is not None else output
    base = [f for f in files if overlay is None or Path(f).resolve() != overlay.resolve()]
    given = base[:1] if len(base) == 1 else [str(p) for p in paths]
    shown = source_name(given, root_output)
    return shown if overlay is None else f"{shown} + {source_name([str(overlay)], root_output)}"


@app.command("test")
def test_command(
    specs: SpecArg = None,
    templates: Annotated[Path | None, typer.Option("--templates", help="Folder of templates overriding "
                                                   "the built-in ones by name")] = None,
    strict: StrictOpt = False,
    fmt: FormatOpt = "text",
    env: EnvOpt = None,
) -> None:
    """Run the spec's alert tests with the real `promtool test rules`; exit 1 when one fails."""
    from khaosobs.commands.alert_tests import PromtoolMissing, format_report, run_alert_tests

    _check_format(fmt)
    _check_templates(templates)
    validation = _valid_spec(specs, fmt, strict, "no tests were run", env)
    assert validation.spec is not None and validation.loaded is not None
    source = validation.loaded.display_name()
    try:
        run = run_alert_tests(validation.spec, source, validation.loaded, templates=templates)
    except PromtoolMissing:
        _err("khaosobs: promtool is not on PATH; install Prometheus's promtool (Debian: apt-get install "
             "prometheus) to run alert tests\n")
        raise typer.Exit(EXIT_USAGE) from None
    _out(format_report(run, source))
    raise typer.Exit(EXIT_OK if run.ok else EXIT_INVALID)


@app.command()
def explain(
    code: Annotated[str | None, typer.Argument(help="A diagnostic code, e.g. route-receiver",
                                               show_default=False)] = None,
    every: Annotated[bool, typer.Option("--all", help="Every code (the text of docs/checks.md)")] = False,
) -> None:
    """What a diagnostic code means and how to fix it."""
    from khaosobs.diagnostics.codes import REGISTRY, checks_document
    from khaosobs.diagnostics.codes import explain as explain_code

    if every:
        _out(checks_document())
        return
    if code is None or code not in REGISTRY:
        from khaosobs.diagnostics import suggest

        hint = suggest(code, list(REGISTRY)) if code else None
        _err(f"khaosobs: {'no code given' if code is None else f'unknown code {code!r}'}"
             f"{f'; {hint}' if hint else ''}; `khaosobs explain --all` lists every code\n")
        raise typer.Exit(EXIT_USAGE)
    _out(explain_code(code))


@app.command()
def schema() -> None:
    """Print the spec's JSON Schema (for editors and check-jsonschema)."""
    from khaosobs.spec.json_schema import spec_schema_text

    _out(spec_schema_text())


@app.command()
def routes(
    specs: SpecArg = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
    env: EnvOpt = None,
) -> None:
    """Show where every alert goes: the receiver(s) Alertmanager's routing tree picks for its labels."""
    from khaosobs.domain.routing import effective_alerting, route_alerts

    if fmt not in ("table", "json"):
        _err(f"khaosobs: --format must be table or json, not {fmt!r}\n")
        raise typer.Exit(EXIT_USAGE)
    validation = _valid_spec(specs, "text", False, "fix it to see the routes", env)
    assert validation.spec is not None
    if effective_alerting(validation.spec) is None:
        _err("khaosobs: the spec has no `alerting` section (nor telemetry.metrics.alertmanager_webhook): "
             "alerts go nowhere\n")
    routed = route_alerts(validation.spec)
    if fmt == "json":
        from khaosobs.output.serialise import json_text

        _out(json_text([{"service": r.alert.service, "alert": r.alert.name, "kind": r.alert.kind,
                         "labels": r.labels, "receivers": r.receivers, "default_only": r.default_only}
                        for r in routed]) + "\n")
        return
    from khaosobs.commands.tables import Cell, print_table

    rows = []
    for r in routed:
        receivers = ", ".join(r.receivers)
        rows.append([r.alert.service, r.alert.name, r.labels.get("severity", ""),
                     Cell(f"{receivers} (default)", "yellow") if r.default_only else receivers])
    print_table(("service", "alert", "severity", "receivers"), rows)


@app.command("coverage")
def coverage_command(
    specs: SpecArg = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
) -> None:
    """Show every service against the spec's coverage policy; exit 1 when a requirement is unmet."""
    from khaosobs.commands.validate import validate_paths
    from khaosobs.domain.coverage import REQUIREMENT_NAMES, as_json, blocking, cell_text, coverage, required

    if fmt not in ("table", "json"):
        _err(f"khaosobs: --format must be table or json, not {fmt!r}\n")
        raise typer.Exit(EXIT_USAGE)
    validation = validate_paths(_spec_paths(specs))
    if validation.spec is None or blocking(validation.diagnostics.items):
        _report(validation, "text", stream="stderr")
        _err("khaosobs: spec is invalid; fix it to see its coverage\n")
        raise typer.Exit(EXIT_INVALID)
    spec = validation.spec
    rows = coverage(spec)
    if fmt == "json":
        from khaosobs.output.serialise import json_text

        _out(json_text(as_json(spec)) + "\n")
    else:
        from khaosobs.commands.tables import Cell, print_table

        wanted = required(spec)
        headers = ["service", *(f"{name} (required)" if name in wanted else name for name in REQUIREMENT_NAMES),
                   "policy"]
        print_table(headers, [[row.service, *(cell_text(row.cells[name]) for name in REQUIREMENT_NAMES),
                               Cell("unmet: " + ", ".join(row.unmet), "red") if row.unmet else "met"]
                              for row in rows])
        _out(f"policy requires: {', '.join(wanted) if wanted else 'nothing (no policy block)'}\n")
    raise typer.Exit(EXIT_INVALID if any(row.unmet for row in rows) else EXIT_OK)
@app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(help="Rule files, PrometheusRule objects, an Alertmanager config "
                                                "or its Secret, Grafana dashboards or their ConfigMaps")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Spec file (*.yaml) or folder to write")],
    project: Annotated[str, typer.Option("--project", help="The spec's project slug")] = "imported",
    report: Annotated[Path | None, typer.Option("--report", help="Also write the import report here")] = None,
) -> None:
    """Turn existing configs into a spec; print what could not be carried."""
    from khaosobs.diagnostics.reporters import reporter
    from khaosobs.domain.naming import SLUG_RE
    from khaosobs.importer import ImportInputError, import_files

    if not SLUG_RE.fullmatch(project):
        _err(f"khaosobs: --project must be a slug ([a-z][a-z0-9-]*), not {project!r}\n")
        raise typer.Exit(EXIT_USAGE)
    folder = output.suffix not in (".yaml", ".yml")
    if output.exists() and (not folder or not output.is_dir() or any(output.iterdir())):
        _err(f"khaosobs: {output} exists; import writes a new spec and never overwrites one\n")
        raise typer.Exit(EXIT_USAGE)
    try:
        result = import_files(files, project)
    except ImportInputError as exc:
        _err(reporter("text")(exc.diagnostics, {}))
        _err("khaosobs: an input could not be read; nothing was written\n")
        raise typer.Exit(EXIT_INVALID) from None
    from khaosobs.output.writer import atomic_write

    for name, text in result.files(folder).items():
        atomic_write(output / name if folder else output, text)
    text = result.report.text()
    if report is not None:
        atomic_write(report, text)
    _err(text)
    if result.remaining:  # reported where they are in the file written
        from khaosobs.commands.validate import validate_paths

        _report(validate_paths([output]), "text", stream="stderr")
        _err(f"khaosobs: {output} was written but does not validate yet; fix the findings above\n")
        raise typer.Exit(EXIT_INVALID)
    _out(f"{output}: written\n")


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="The project folder (created when missing)")] = Path("."),
    project: Annotated[str | None, typer.Option("--project", help="Project slug (default: the folder's name)")] = None,
) -> None:
    """Start a project: a spec for one service, a pre-commit config, a CI workflow, .gitignore lines."""
    from khaosobs.commands.init import existing, plan_scaffold, write_scaffold
    from khaosobs.domain.naming import SLUG_RE, slugify

    name = project if project is not None else slugify(folder.resolve().name)
    if not SLUG_RE.fullmatch(name):
        _err(f"khaosobs: {name!r} is not a project slug ([a-z][a-z0-9-]*); give one with --project\n")
        raise typer.Exit(EXIT_USAGE)
    scaffold = plan_scaffold(folder, name)
    taken = existing(folder, scaffold)
    if taken:
        _err(f"khaosobs: {', '.join(taken)} already exist in {folder}; init never overwrites, nothing was written\n")
        raise typer.Exit(EXIT_USAGE)
    write_scaffold(folder, scaffold)
    for written in [*scaffold.files, *([".gitignore"] if scaffold.gitignore else [])]:
        _out(f"{folder / written}\n")
    _out(f"next: cd {folder} && khaosobs validate && khaosobs render\n")


def main() -> None:
    """Entry point: run the app; an unexpected exception is a bug, reported briefly with exit 3."""
    import gc

    # A short-lived process that builds large acyclic data: the cycle collector only costs time
    # (a third of a 1,000-service validation). Alias bombs are bounded by the loader itself.
    gc.disable()
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        _err("khaosobs: interrupted\n")
        sys.exit(130)
    except Exception as exc:  # a bug: say so briefly, never dump locals
        import traceback

        frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f" at {Path(frame.filename).name}:{frame.lineno}" if frame else ""
        _err(f"khaosobs: internal error: {type(exc).__name__}: {exc}{where}\n"
             "This is a bug in khaosobs, not in your spec. Please report it.\n")
        sys.exit(EXIT_BUG)
