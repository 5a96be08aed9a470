"""khaosobs's benchmark: end-to-end times, a per-stage profile, peak memory and growth ratios.

    python -m benchmarks [--sizes 100,1000,3000] [--repeat 3] [--no-forge]

Not a test: it measures and prints. The workload is `benchmarks/workload.py`. Every command is a
real process (cold start, as a user runs it); the per-stage profile runs in process. Ratios
compare tools measured in the same run on the same machine, so they hold across machines where
absolute figures do not.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.workload import khaosobs_spec, metrics_forge_services

ROOT = Path(__file__).resolve().parent.parent


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def timed_process(repeat: int, cmd: Sequence[str | Path], cwd: Path | None = None,
                  env: dict[str, str] | None = None) -> tuple[float, int, float]:
    """Best wall time of `cmd`, its exit code, and its peak resident memory in MiB."""
    best, code, peak = float("inf"), 0, 0.0
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, check=False)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        best, code = min(best, seconds), proc.returncode
        # ru_maxrss of children is the largest child so far: only a new maximum is this child's own
        peak = max(peak, after / 1024 if after > before else 0.0)
    return best, code, peak


def khaosobs_cmd(*args: str | Path) -> list[str | Path]:
    return [sys.executable, "-m", "khaosobs", *args]


def stage_profile(spec_path: Path, out: Path, repeat: int) -> list[tuple[str, float]]:
    """Each stage of validate + render, in process: load, model, every check, every target, write."""
    import gc

    gc.disable()  # as the CLI does
    from khaosobs.checks import all_checks
    from khaosobs.checks.context import CheckContext
    from khaosobs.spec.loader import load_paths
    from khaosobs.spec.model import Spec
    from khaosobs.targets import all_targets
    from khaosobs.output.templating import Renderer, make_environment
    from khaosobs.output.writer import apply, plan

    rows: list[tuple[str, float]] = []
    seconds, loaded = best_of(repeat, lambda: load_paths([spec_path]))
    rows.append(("load", seconds))
    seconds, spec = best_of(repeat, lambda: Spec.model_validate(loaded.data))
    rows.append(("model", seconds))
    for name, check in all_checks():
        seconds, _ = best_of(repeat, lambda c=check: list(c(CheckContext(spec, loaded))))
        rows.append((f"check {name}", seconds))
    renderer = Renderer(make_environment(), spec_path.name)
    files = []
    for target in all_targets():
        seconds, produced = best_of(repeat, lambda t=target: t.render(spec, renderer))
        files.extend(produced)
        rows.append((f"target {target.name} ({len(produced)} files)", seconds))

    def write() -> None:
        shutil.rmtree(out, ignore_errors=True)
        apply(plan(out, files))

    seconds, _ = best_of(repeat, write)
    rows.append((f"write ({len(files)} files)", seconds))
    seconds, _ = best_of(repeat, lambda: plan(out, files))
    rows.append(("compare with tree (--check)", seconds))
    gc.enable()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,3000", help="service counts, comma separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile-size", type=int, default=1000, help="service count of the stage profile")
    parser.add_argument("--no-forge", action="store_true", help="skip the metrics-forge comparison")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="khaosobs-bench-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}")
    try:
        return run(args, sizes, work, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, sizes: list[int], work: Path, env: dict[str, str]) -> int:
    repeat = args.repeat
    render_times: dict[int, float] = {}
    print("\n== end to end (cold processes, best of", repeat, ")")
    for n in sizes:
        folder = work / f"n{n}"
        folder.mkdir()
        spec = folder / "spec.yaml"
        spec.write_text(khaosobs_spec(n), encoding="utf-8")
        out = folder / "generated"
        seconds, code, peak = timed_process(repeat, khaosobs_cmd("render", spec.name, "-o", out), folder, env)
        if code:
            print(f"khaosobs render failed on {n} services (exit {code})", file=sys.stderr)
            return 1
        render_times[n] = seconds
        check_s, check_code, _ = timed_process(repeat, khaosobs_cmd("render", spec.name, "-o", out, "--check"),
                                               folder, env)
        validate_s, _, _ = timed_process(repeat, khaosobs_cmd("validate", spec.name), folder, env)
        print(f"  {n:>5} services: render {seconds:7.2f} s (peak {peak:6.1f} MiB)   "
              f"render --check {check_s:7.2f} s (exit {check_code}, {check_s / seconds:.2f}x render)   "
              f"validate {validate_s:7.2f} s")
        promtool = shutil.which("promtool")
        if promtool and n == args.profile_size:
            rules = sorted((out / "prometheus" / "rules").glob("*.yml"))
            pt, pcode, _ = timed_process(1, [promtool, "check", "rules", *rules])
            print(f"         promtool check rules on the same {len(rules)} files: {pt:7.2f} s (exit {pcode}); "
                  f"khaosobs render / promtool = {seconds / pt:.2f}")
        if not args.no_forge and n == args.profile_size:
            forge = shutil.which("metrics-forge")
            if forge is None:
                print("         metrics-forge: not installed (pip install metrics-forge==1.0.0)")
            else:
                services = folder / "services.yaml"
                services.write_text(metrics_forge_services(n), encoding="utf-8")
                ft, fcode, _ = timed_process(repeat, [forge, "generate", services, "-o", folder / "mf-rules.yaml",
                                                      "-d", folder / "mf-dashboards", "--format", "terminal"],
                                             folder)
                print(f"         metrics-forge 1.0.0 generate, same services: {ft:7.2f} s (exit {fcode}); "
                      f"khaosobs render / metrics-forge = {seconds / ft:.2f}")
    ordered = sorted(render_times)
    for small, large in zip(ordered, ordered[1:], strict=False):
        print(f"  growth {large}/{small}: {render_times[large] / render_times[small]:.2f} "
              f"(linear: {large / small:.2f})")

    print("\n== start-up")
    one = work / "one.yaml"
    one.write_text(khaosobs_spec(1), encoding="utf-8")
    validate_s, _, _ = timed_process(max(repeat, 5), khaosobs_cmd("validate", one), work, env)
    imports_s, _, _ = timed_process(max(repeat, 5), [sys.executable, "-c",
                                                     "import typer, pydantic, yaml, promql_parser"], work, env)
    print(f"  validate one service: {validate_s * 1000:7.1f} ms; import typer, pydantic, yaml, promql_parser: "
          f"{imports_s * 1000:7.1f} ms; ratio {validate_s / imports_s:.2f}")
    version_s, vcode, _ = timed_process(max(repeat, 5), khaosobs_cmd("--version"), work, env)
    promtool = shutil.which("promtool")
    if promtool:
        pv, _, _ = timed_process(max(repeat, 5), [promtool, "--version"])
        print(f"  khaosobs --version: {version_s * 1000:7.1f} ms (exit {vcode}); promtool --version: "
              f"{pv * 1000:7.1f} ms; ratio {version_s / pv:.2f}")

    n = args.profile_size
    print(f"\n== stages, in process, {n} services (best of {repeat})")
    spec = work / f"n{n}" / "spec.yaml"
    if not spec.exists():
        spec.parent.mkdir(exist_ok=True)
        spec.write_text(khaosobs_spec(n), encoding="utf-8")
    rows = stage_profile(spec, work / "profile-out", repeat)
    width = max(len(name) for name, _ in rows)
    for name, seconds in rows:
        print(f"  {name:<{width}}  {seconds * 1000:9.1f} ms")
    print(f"  {'sum of stages':<{width}}  {sum(s for _, s in rows[:-1]) * 1000:9.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
