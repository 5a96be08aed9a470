"""Benchmark: time each stage of khaosobs on a synthetic spec and print the figures.

    python -m tests.support.benchmark [--services 1000] [--repeat 3]

Not a test: it measures and prints. Figures are the best of --repeat runs (wall clock, one
process, warm imports). It also times `promtool check rules` on the same rules for scale.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.synthetic import synthetic_spec


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    import gc

    gc.disable()  # as the CLI does (khaosobs.cli.main): figures comparable with a real run

    from khaosobs.checks import run_checks
    from khaosobs.checks.context import CheckContext
    from khaosobs.commands.render import render_outputs
    from khaosobs.output.templating import Renderer, make_environment
    from khaosobs.output.writer import apply, plan
    from khaosobs.spec.loader import load_paths
    from khaosobs.spec.model import Spec
    from khaosobs.targets import all_targets

    work = Path(tempfile.mkdtemp(prefix="khaosobs-bench-"))
    try:
        spec_path = work / "spec.yaml"
        spec_path.write_text(synthetic_spec(args.services), encoding="utf-8")
        size = spec_path.stat().st_size
        print(f"spec: {args.services} services, {size / 1e6:.2f} MB, best of {args.repeat}")
        rows: list[tuple[str, float]] = []

        seconds, loaded = best_of(args.repeat, lambda: load_paths([spec_path]))
        rows.append(("load (YAML; positions composed only for a finding)", seconds))
        seconds, spec = best_of(args.repeat, lambda: Spec.model_validate(loaded.data))
        rows.append(("model (pydantic)", seconds))
        seconds, diagnostics = best_of(args.repeat, lambda: run_checks(CheckContext(spec, loaded)))
        rows.append(("checks", seconds))
        errors = [d for d in diagnostics if d.severity.value == "error"]
        if errors:
            print(f"synthetic spec is invalid: {errors[0]}", file=sys.stderr)
            return 1
        renderer = Renderer(make_environment(), "spec.yaml")
        files_by_target: dict[str, int] = {}
        for target in all_targets():
            seconds, files = best_of(args.repeat, lambda t=target: list(t.render(spec, renderer)))
            files_by_target[target.name] = len(files)
            rows.append((f"render {target.name} ({len(files)} files, parsed back)", seconds))
        seconds, files = best_of(args.repeat, lambda: render_outputs(spec, "spec.yaml"))
        rows.append(("render all targets", seconds))
        out = work / "out"

        def write() -> None:
            shutil.rmtree(out, ignore_errors=True)
            apply(plan(out, files))

        seconds, _ = best_of(args.repeat, write)
        rows.append((f"write {len(files)} files (fresh tree)", seconds))
        seconds, _ = best_of(args.repeat, lambda: plan(out, files, check=True))
        rows.append(("check (compare with tree)", seconds))

        width = max(len(name) for name, _ in rows)
        for name, seconds in rows:
            print(f"  {name:<{width}}  {seconds * 1000:9.1f} ms")
        total = sum(s for n, s in rows[:3]) + next(s for n, s in rows if n == "render all targets")
        print(f"  {'validate + render (in process)':<{width}}  {total * 1000:9.1f} ms")

        for label, cmd in (
            ("khaosobs validate (CLI, cold process)", [sys.executable, "-m", "khaosobs", "validate", str(spec_path)]),
            ("khaosobs render (CLI, cold process)",
             [sys.executable, "-m", "khaosobs", "render", str(spec_path), "-o", str(work / "cli-out")]),
        ):
            seconds, proc = best_of(args.repeat, lambda c=cmd: subprocess.run(c, capture_output=True, check=False))
            status = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
            print(f"  {label:<{width}}  {seconds * 1000:9.1f} ms ({status})")
        promtool = shutil.which("promtool")
        if promtool:
            rules = sorted(str(p) for p in (out / "prometheus" / "rules").glob("*.yml"))
            seconds, proc = best_of(1, lambda: subprocess.run([promtool, "check", "rules", *rules],
                                                              capture_output=True, check=False))
            print(f"  {'for scale: promtool check rules (same rules)':<{width}}  {seconds * 1000:9.1f} ms "
                  f"(exit {proc.returncode})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
