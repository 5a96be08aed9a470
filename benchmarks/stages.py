"""The pipeline cut into its stages, for the benchmark's profile and the scaling test: load, model,
every check (one shared context, as `validate` has), every target `render` runs by default, the
comparison with the tree (`--check`) and the write. One definition, so what is timed is what is
counted. As in `render`, a file is proven (parsed back) when it is written: the write's share, here
of every file, since it writes into an empty folder."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

Stage = tuple[str, Callable[[], Any]]


def stages(spec_path: Path, out: Path) -> Iterator[Stage]:
    """(name, run) in pipeline order; each `run` does its stage once, on what the ones before made.
    Run them in order: a stage reads the results of the stages before it."""
    from khaosobs.checks import all_checks
    from khaosobs.checks.context import CheckContext
    from khaosobs.commands.render import in_render_order, target_files
    from khaosobs.output.templating import Renderer, make_environment
    from khaosobs.output.writer import apply, plan
    from khaosobs.spec.loader import load_paths
    from khaosobs.spec.model import Spec
    from khaosobs.targets import all_targets

    state: dict[str, Any] = {"files": []}

    def load() -> None:
        state["loaded"] = load_paths([spec_path])

    def model() -> None:
        state["spec"] = Spec.model_validate(state["loaded"].data)
        state["ctx"] = CheckContext(state["spec"], state["loaded"])
        state["renderer"] = Renderer(make_environment(), spec_path.name)

    yield "load", load
    yield "model", model
    for name, check in all_checks():
        def run_check(c: Any = check) -> None:
            list(c(state["ctx"]))
        yield f"check {name}", run_check
    # as render does it: in its order, a target's files kept for the one that embeds them
    for target in in_render_order(all_targets()):
        def render(t: Any = target) -> None:
            chosen = [c for c in all_targets() if c.by_default(state["spec"])]
            if t in chosen:
                state["files"].extend(target_files(t, state["spec"], state["renderer"], chosen))
        yield f"target {target.name}", render

    # `out` is emptied here, untimed (between the stages): the write is a full render's, into an
    # empty folder, and --check then compares with the tree it wrote
    shutil.rmtree(out, ignore_errors=True)
    yield "write", lambda: apply(plan(out, state["files"], prove=state["renderer"].prove))
    yield "compare with tree (--check)", lambda: plan(out, state["files"], check=True)


def call_counts(spec_path: Path, out: Path) -> dict[str, int]:
    """The Python and builtin function calls of each stage, counted by cProfile: a measure of work
    that, unlike time, is the same on every machine and every run."""
    import cProfile
    import pstats

    counts: dict[str, int] = {}
    for name, run_stage in stages(spec_path, out):
        profile = cProfile.Profile()
        profile.runcall(run_stage)
        stats = pstats.Stats(profile)
        counts[name] = int(stats.total_calls)  # type: ignore[attr-defined]
    return counts


def import_inputs(tree: Path) -> list[Path]:
    """What `khaosobs import` is given of a rendered tree, as one adopting khaosobs would give it the
    configs it has: the rule files, the Alertmanager config and the dashboards."""
    return [*sorted((tree / "prometheus" / "rules").glob("*.yml")), tree / "alertmanager" / "alertmanager.yml",
            *sorted((tree / "grafana" / "dashboards").glob("*.json"))]


def import_call_counts(spec_path: Path, out: Path) -> dict[str, int]:
    """The calls of `khaosobs import` of the spec's rendered tree (rendered first, uncounted)."""
    import cProfile
    import pstats

    from benchmarks.workload import khaosobs_spec
    from khaosobs.commands.render import render_outputs
    from khaosobs.importer import import_files
    from khaosobs.output.writer import apply, plan
    from khaosobs.spec.loader import load_paths
    from khaosobs.spec.model import Spec

    def rendered(path: Path, tree: Path) -> list[Path]:
        spec = Spec.model_validate(load_paths([path]).data)
        apply(plan(tree, render_outputs(spec, path.name)))
        return import_inputs(tree)

    # a first import of one service, uncounted: the modules an import loads lazily are then loaded
    one = out.parent / "one-service.yaml"
    one.write_text(khaosobs_spec(1), encoding="utf-8")
    import_files(rendered(one, out.parent / "one-service"))
    inputs = rendered(spec_path, out)
    profile = cProfile.Profile()
    profile.runcall(import_files, inputs)
    return {"import": int(pstats.Stats(profile).total_calls)}  # type: ignore[attr-defined]


if __name__ == "__main__":
    # python3 -m benchmarks.stages SERVICES WORKDIR, SHAPE:N WORKDIR (benchmarks.workload.shaped_spec) or
    # import:SERVICES WORKDIR (the import of the render of that many services): the counts, as JSON
    import json
    import sys

    from benchmarks.workload import khaosobs_spec, shaped_spec

    size, work = sys.argv[1], Path(sys.argv[2])
    shape, _, n = size.rpartition(":")
    spec = work / "spec.yaml"
    if shape == "import":
        spec.write_text(khaosobs_spec(int(n)), encoding="utf-8")
        counts = import_call_counts(spec, work / "generated")
    else:
        spec.write_text(shaped_spec(shape, int(n)) if shape else khaosobs_spec(int(n), deploy=True), encoding="utf-8")
        counts = call_counts(spec, work / "generated")
    sys.stdout.write(json.dumps(counts) + "\n")
