"""khaosobs's benchmark: end-to-end times, a per-stage profile, peak memory and growth ratios.

    python3 -m benchmarks [--sizes 100,1000,3000] [--repeat 3] [--no-forge] [--forge-venv DIR]
    python3 -m benchmarks --quick     # a small run (sizes 50,150, once each): a minute, not ten

metrics-forge 1.0.0 is the comparison: when `metrics-forge` is not on PATH nor in the venv given
by --forge-venv (default: ~/.cache/khaosobs-bench/mf-venv), the benchmark makes that venv with
`python3 -m venv` and installs it there with pip (`metrics-forge==1.0.0`), never into this one.

Not a test: it measures and prints. The workload is `benchmarks/workload.py`. Every command is a
real process (cold start, as a user runs it); the per-stage profile runs in process. Ratios
compare tools measured in the same run on the same machine, so they hold across machines where
absolute figures do not.
"""

from __future__ import annotations

import argparse
import compileall
import functools
import itertools
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.stages import import_inputs
from benchmarks.workload import SHAPES, khaosobs_spec, metrics_forge_services, shaped_spec
from khaosobs.commands.render import ONE_PROCESS_ENV

ROOT = Path(__file__).resolve().parent.parent
FORGE = "metrics-forge==1.0.0"
DEFAULT_FORGE_VENV = Path.home() / ".cache" / "khaosobs-bench" / "mf-venv"


def metrics_forge(venv: Path) -> Path | None:
    """metrics-forge's executable: on PATH, in `venv`, or installed into `venv` now (its own venv,
    so its dependencies never meet khaosobs's)."""
    found = shutil.which("metrics-forge")
    if found:
        return Path(found)
    executable = venv / "bin" / "metrics-forge"
    if not executable.exists():
        print(f"         installing {FORGE} into {venv} ...", flush=True)
        made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, check=False)
        pip = venv / "bin" / "pip"
        if made.returncode or subprocess.run([str(pip), "install", "-q", FORGE], check=False).returncode:
            return None
    return executable


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


# Runs a command and reports its wall time, exit code and the largest resident memory of it and its
# descendants: a fresh process's RUSAGE_CHILDREN holds only this command's processes.
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
seconds = time.perf_counter() - start
print(json.dumps([seconds, code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024]))
"""


def timed_process(repeat: int, cmd: Sequence[str | Path], cwd: Path | None = None,
                  env: dict[str, str] | None = None,
                  setup: Callable[[], Any] | None = None) -> tuple[float, int, float]:
    """Best wall time of `cmd`, its exit code, and its peak resident memory in MiB (that of its
    largest process); `setup` runs (untimed) before each run."""
    import json

    best, code, peak = float("inf"), 0, 0.0
    for _ in range(repeat):
        if setup is not None:
            setup()
        measured = subprocess.run([sys.executable, "-c", _MEASURE, *[str(c) for c in cmd]], cwd=cwd, env=env,
                                  capture_output=True, text=True, check=True)
        seconds, code, rss = json.loads(measured.stdout)
        best, peak = min(best, seconds), max(peak, rss)
    return best, code, peak


def set_aside(folder: Path) -> None:
    """Empty `folder`'s place for the next render by renaming it aside (removed with the whole work
    folder at the end): removing 80 MB of files just before a render made the kernel's deferred
    freeing land in the render, seconds of system time on this VM."""
    if folder.exists():
        folder.rename(folder.with_name(f".{folder.name}-{time.monotonic_ns()}"))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def khaosobs_cmd(*args: str | Path) -> list[str | Path]:
    return [sys.executable, "-m", "khaosobs", *args]


def stage_profile(spec_path: Path, out: Path, repeat: int) -> list[tuple[str, float]]:
    """Each stage of validate + render, in process (benchmarks/stages.py), best of `repeat` runs
    of the whole pipeline (later runs find module-level caches, e.g. parsed PromQL, warm)."""
    import gc

    from benchmarks.stages import stages

    gc.disable()  # as the CLI does
    best: dict[str, float] = {}
    for _ in range(repeat):
        for name, run_stage in stages(spec_path, out):
            start = time.perf_counter()
            run_stage()
            best[name] = min(best.get(name, float("inf")), time.perf_counter() - start)
    gc.enable()
    return list(best.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,3000", help="service counts, comma separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile-size", type=int, default=1000, help="service count of the stage profile")
    parser.add_argument("--no-forge", action="store_true", help="skip the metrics-forge comparison")
    parser.add_argument("--forge-venv", type=Path, default=DEFAULT_FORGE_VENV,
                        help="the venv metrics-forge 1.0.0 is installed into when it is not on PATH")
    parser.add_argument("--shape-size", type=int, default=1000,
                        help="routes, alerts, panels, SLOs and inhibit rules of the other axes' smaller spec")
    parser.add_argument("--quick", action="store_true",
                        help="a small run: sizes 50,150, once each, profile at 150")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeat, args.profile_size, args.shape_size = "50,150", 1, 150, 50
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="khaosobs-bench-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # `pip install .` compiles the package's bytecode; an editable install under PYTHONDONTWRITEBYTECODE
    # (set on the machine this was built on) would compile every module at every start instead
    compileall.compile_dir(ROOT / "khaosobs", quiet=1)
    print(f"machine: {cpu_model()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {platform.platform()}")
    try:
        return run(args, sizes, work, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, sizes: list[int], work: Path, env: dict[str, str]) -> int:
    repeat = args.repeat
    render_times: dict[int, float] = {}
    print("\n== end to end (cold processes, best of", repeat, ")")
    print("   peak: the largest process's maximum resident memory (from 16 services on, render forks a child")
    print("   for the dashboards; it shares the model's pages with its parent)")
    for n in sizes:
        folder = work / f"n{n}"
        folder.mkdir()
        spec = folder / "spec.yaml"
        spec.write_text(khaosobs_spec(n), encoding="utf-8")
        out = folder / "generated"
        # a full render every time: into an empty folder (a re-render of an up-to-date tree writes nothing)
        seconds, code, peak = timed_process(repeat, khaosobs_cmd("render", spec.name, "-o", out), folder, env,
                                            setup=functools.partial(set_aside, out))
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
        if n == args.profile_size:
            one_s, one_code, one_peak = timed_process(
                repeat, khaosobs_cmd("render", spec.name, "-o", out), folder, {**env, ONE_PROCESS_ENV: "1"},
                setup=functools.partial(set_aside, out))
            print(f"         render in one process ({ONE_PROCESS_ENV}=1): {one_s:7.2f} s (exit {one_code}, "
                  f"peak {one_peak:6.1f} MiB)")
            deploy = folder / "deploy.yaml"
            deploy.write_text(khaosobs_spec(n, deploy=True), encoding="utf-8")
            deploy_out = folder / "deploy-generated"
            every_s, every_code, every_peak = timed_process(
                repeat, khaosobs_cmd("render", deploy.name, "-o", deploy_out), folder, env,
                setup=functools.partial(set_aside, deploy_out))
            print(f"         render with kubernetes: and ruler: (every target): {every_s:7.2f} s "
                  f"(exit {every_code}, peak {every_peak:6.1f} MiB)")
        promtool = shutil.which("promtool")
        if promtool and n == args.profile_size:
            rules = sorted((out / "prometheus" / "rules").glob("*.yml"))
            pt, pcode, _ = timed_process(1, [promtool, "check", "rules", *rules])
            print(f"         promtool check rules on the same {len(rules)} files: {pt:7.2f} s (exit {pcode}); "
                  f"khaosobs render / promtool = {seconds / pt:.2f}")
        if n == args.profile_size:
            inputs = import_inputs(out)
            it, icode, ipeak = timed_process(repeat, khaosobs_cmd("import", *inputs, "-o", folder / "imported"),
                                             folder, env, setup=functools.partial(set_aside, folder / "imported"))
            print(f"         khaosobs import of that render ({len(inputs)} files: the rules, the Alertmanager "
                  f"config, the dashboards): {it:7.2f} s (exit {icode}, peak {ipeak:6.1f} MiB)")
        if not args.no_forge and n == args.profile_size:
            forge = metrics_forge(args.forge_venv)
            if forge is None:
                print(f"         metrics-forge: could not install {FORGE} into {args.forge_venv}")
            else:
                services = folder / "services.yaml"
                services.write_text(metrics_forge_services(n), encoding="utf-8")
                ft, fcode, _ = timed_process(repeat, [forge, "generate", services, "-o", folder / "mf-rules.yaml",
                                                      "-d", folder / "mf-dashboards", "--format", "terminal"],
                                             folder)
                print(f"         metrics-forge 1.0.0 generate, same services: {ft:7.2f} s (exit {fcode}); "
                      f"khaosobs render / metrics-forge = {seconds / ft:.2f}")
    ordered = sorted(render_times)
    for small, large in itertools.pairwise(ordered):
        print(f"  growth {large}/{small}: {render_times[large] / render_times[small]:.2f} "
              f"(linear: {large / small:.2f})")

    print(f"\n== growth along the other axes: one service with {args.shape_size} and "
          f"{3 * args.shape_size} of each (render, best of {repeat})")
    for shape in SHAPES:
        times = []
        for n in (args.shape_size, 3 * args.shape_size):
            folder = work / f"{shape}-{n}"
            folder.mkdir()
            (folder / "spec.yaml").write_text(shaped_spec(shape, n), encoding="utf-8")
            out = folder / "generated"
            seconds, code, _ = timed_process(repeat, khaosobs_cmd("render", "spec.yaml", "-o", out), folder, env,
                                             setup=functools.partial(set_aside, out))
            if code:
                print(f"khaosobs render failed on {n} {shape} (exit {code})", file=sys.stderr)
                return 1
            times.append(seconds)
        print(f"  {shape:<12} {times[0]:6.2f} s -> {times[1]:6.2f} s: growth {times[1] / times[0]:.2f} (linear: 3.00)")

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
    # what no Python program starts below on this machine: the interpreter and its site hooks (.pth
    # files of the installed packages, or of the machine), for reading the two ratios above
    bare_s, _, _ = timed_process(max(repeat, 5), [sys.executable, "-c", "pass"], work, env)
    print(f"  python3 -c pass (the interpreter and this machine's site hooks): {bare_s * 1000:7.1f} ms")

    n = args.profile_size
    print(f"\n== stages, in process, {n} services with kubernetes: and ruler: (every target; best of {repeat})")
    spec = work / f"n{n}" / "deploy.yaml"
    if not spec.exists():
        spec.parent.mkdir(exist_ok=True)
        spec.write_text(khaosobs_spec(n, deploy=True), encoding="utf-8")
    rows = stage_profile(spec, work / "profile-out", repeat)
    width = max(len(name) for name, _ in rows)
    for name, seconds in rows:
        print(f"  {name:<{width}}  {seconds * 1000:9.1f} ms")
    print(f"  {'sum of stages (but --check)':<{width}}  {sum(s for _, s in rows[:-1]) * 1000:9.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
