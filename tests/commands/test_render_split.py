"""The two-process render of a large spec (commands/render.py, output/forked.py) and the streaming,
staged write (output/writer.py): the same bytes and the same diff as one process, nothing written
when the spec is invalid or a render fails, no process left behind."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.workload import khaosobs_spec
from khaosobs.commands import render as render_command
from khaosobs.commands.render import SHARED_TARGETS, SPLIT_FROM_SERVICES, TreeRender
from khaosobs.commands.validate import validate_paths
from khaosobs.output.forked import Worker, WorkerFailed, WorkQueue
from khaosobs.output.templating import RenderBug, Renderer, make_environment
from khaosobs.output.writer import STAGING_PREFIX, apply, diff
from khaosobs.targets import ServicesAt, all_targets
from khaosobs.targets import prometheus as prometheus_target
from khaosobs.targets import prometheus_tests as prometheus_tests_target
from tests.conftest import run_khaosobs


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def no_child_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


@pytest.fixture(scope="module")
def large_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = tmp_path_factory.mktemp("large") / "spec.yaml"
    spec.write_text(khaosobs_spec(SPLIT_FROM_SERVICES + 4), encoding="utf-8")
    return spec


def render_tree(spec_path: Path, out: Path, *, split: bool, check: bool = False) -> tuple[str, bool]:
    """(the --check diff, stale) of a render into `out` in one process or two; applied unless `check`."""
    with TreeRender(out, check=check, split=split) as render:
        validation = validate_paths([spec_path], on_model=lambda spec, _: render.start(spec, "spec.yaml"))
        assert validation.spec is not None and validation.ok
        result = render.plan(validation.spec, "spec.yaml")
        if check:
            return diff(result), result.stale
        apply(result)
        return "", result.stale


def test_two_processes_write_the_bytes_one_process_writes(large_spec: Path, tmp_path: Path) -> None:
    render_tree(large_spec, tmp_path / "one", split=False)
    render_tree(large_spec, tmp_path / "two", split=True)
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert one == two
    assert any(path.startswith("grafana/") for path in two), "the child's share was written"
    assert any(path.startswith("prometheus/tests/") for path in two), "and the shared target's files"
    assert not [p for p in (tmp_path / "two").iterdir() if p.name.startswith(STAGING_PREFIX)]
    assert no_child_left()


@pytest.mark.parametrize("name", sorted(SHARED_TARGETS))
def test_a_shared_target_renders_each_service_in_exactly_one_share(large_spec: Path, name: str) -> None:
    spec = validate_paths([large_spec], run_checks=False).spec
    assert spec is not None
    target = next(t for t in all_targets() if t.name == name)
    assert target.render_share is not None
    renderer = Renderer(make_environment(), "spec.yaml")
    whole = {f.path: f.content for f in target.render(spec, renderer)}
    even = frozenset(range(0, len(spec.services), 2))
    odd = frozenset(range(len(spec.services))) - even
    first, second = ({f.path: f.content for f in target.render_share(spec, renderer, ServicesAt(indexes))}
                     for indexes in (even, odd))
    assert first and second and not first.keys() & second.keys()
    assert {**first, **second} == whole


def test_two_processes_take_each_piece_of_work_once(tmp_path: Path) -> None:
    for count in (0, 5, WorkQueue.MAX_RECORDS * 3 + 7):  # the last in chunks of four
        queue = WorkQueue(count)
        child = Worker(lambda queue=queue: list(queue.take()))
        mine = list(queue.take())
        theirs = child.result()
        assert sorted(mine + theirs) == list(range(count)) and queue.taken == mine
        assert list(queue.take()) == []  # drained
        queue.close()
    dead = WorkQueue(10)
    with pytest.raises(WorkerFailed):
        Worker(lambda: [next(dead.take()), os._exit(9)]).result()  # a taker that dies holds nothing
    assert len(list(dead.take())) == 9
    dead.close()
    assert no_child_left()


def test_a_child_that_fails_midway_through_a_shared_target_is_made_up_for(
        large_spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The child takes some services' tests and dies: the parent renders the services it did not
    take itself, and the tree is the one process's."""
    parent = os.getpid()
    rendered = prometheus_tests_target.render_share

    def dies_in_the_child(spec: Any, renderer: Any, share: Any) -> Iterator[Any]:
        for number, file in enumerate(rendered(spec, renderer, share)):
            if os.getpid() != parent and number == 2:
                os._exit(7)
            yield file

    monkeypatch.setattr(prometheus_tests_target, "render_share", dies_in_the_child)
    render_tree(large_spec, tmp_path / "two", split=True)
    render_tree(large_spec, tmp_path / "one", split=False)
    assert tree(tmp_path / "two") == tree(tmp_path / "one")
    assert no_child_left()


def test_a_target_another_embeds_is_never_shared(large_spec: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The ruler regroups the Prometheus rule files it reads from the same process: were Prometheus
    shared (given a `render_share` here), the parent's ruler would see half the rules. So it is
    rendered whole while the ruler is rendered too, and shared otherwise."""
    spec = validate_paths([large_spec], run_checks=False).spec
    assert spec is not None
    monkeypatch.setattr(render_command, "SHARED_TARGETS", frozenset({"prometheus", "prometheus_tests"}))
    monkeypatch.setattr(prometheus_target, "render_share", lambda spec, renderer, share: [], raising=False)
    with TreeRender(tmp_path / "out", targets=["prometheus", "ruler", "prometheus_tests"], split=True,
                    check=False) as render:
        render.start(spec, "spec.yaml")
        assert [t.name for t in render._shared] == ["prometheus_tests"]
    with TreeRender(tmp_path / "out", targets=["prometheus", "prometheus_tests"], split=True) as render:
        render.start(spec, "spec.yaml")
        assert sorted(t.name for t in render._shared) == ["prometheus", "prometheus_tests"]
    assert no_child_left()


def test_check_gives_the_same_diff_in_two_processes(large_spec: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render_tree(large_spec, out, split=False)
    for path in sorted(out.rglob("*.json"))[:2]:  # two changed dashboards (the child's share)
        path.write_text(path.read_text(encoding="utf-8").replace('"title"', '"Title"', 1), encoding="utf-8")
    victim = next(iter(sorted(out.rglob("*.yml"))))
    victim.write_text(victim.read_text(encoding="utf-8") + "# hand edit\n", encoding="utf-8")
    # and a file of two shared targets (either process may render them)
    for folder in ("instrumentation", "loki"):
        edited = sorted((out / folder).rglob("*.*"))[0]
        edited.write_text(edited.read_text(encoding="utf-8") + "# hand edit\n", encoding="utf-8")
    before = tree(out)
    one, stale_one = render_tree(large_spec, out, split=False, check=True)
    two, stale_two = render_tree(large_spec, out, split=True, check=True)
    assert stale_one and stale_two
    assert one == two and one.count("--- a/") == 5
    assert tree(out) == before, "--check writes nothing"


def test_an_invalid_large_spec_writes_nothing_though_the_child_started(large_spec: Path, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    text = large_spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("severity: critical", "severity: apocalyptic", 1), encoding="utf-8")
    out = tmp_path / "new" / "generated"
    result = run_khaosobs("render", spec, "-o", out)
    assert result.returncode == 1 and "nothing was written" in result.stderr
    assert not (tmp_path / "new").exists(), "not even the folders the staging needed"
    assert no_child_left()

    existing = tmp_path / "existing"
    assert run_khaosobs("render", large_spec, "-o", existing).returncode == 0
    before = tree(existing)
    assert run_khaosobs("render", spec, "-o", existing).returncode == 1
    assert tree(existing) == before and sorted(p.name for p in existing.iterdir()) == sorted(
        {path.split("/")[0] for path in before})


def test_a_refusal_of_unowned_files_leaves_the_tree_as_it_was(large_spec: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render_tree(large_spec, tmp_path / "reference", split=False)
    dashboard = next(p for p in sorted(tree(tmp_path / "reference")) if p.startswith("grafana/"))
    (out / dashboard).parent.mkdir(parents=True)
    (out / dashboard).write_text("hand written\n", encoding="utf-8")
    result = run_khaosobs("render", large_spec, "-o", out)
    assert result.returncode == 1 and dashboard in result.stderr
    assert tree(out) == {dashboard: b"hand written\n"}
    assert no_child_left()


def test_a_broken_template_fails_as_in_one_process(large_spec: Path, tmp_path: Path) -> None:
    overrides = tmp_path / "templates"
    overrides.mkdir()
    # Grafana's provisioning (the child's share) breaks: the parent redoes the share and fails with the
    # error one process gives
    (overrides / "grafana").mkdir()
    (overrides / "grafana" / "dashboards.yml.j2").write_text("key: [unclosed\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_khaosobs("render", large_spec, "-o", out, "--templates", overrides, process=True)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr and "does not parse as yaml" in result.stderr
    assert not out.exists()


def test_a_worker_answers_or_fails_and_leaves_no_process() -> None:
    assert Worker(lambda: {"answer": [1, 2]}).result() == {"answer": [1, 2]}

    def broken() -> None:
        raise RuntimeError("it broke")

    with pytest.raises(WorkerFailed, match="RuntimeError: it broke"):
        Worker(broken).result()

    def dies() -> None:
        os._exit(9)

    with pytest.raises(WorkerFailed, match="without an answer"):
        Worker(dies).result()
    slow = Worker(lambda: __import__("time").sleep(60))
    slow.stop()
    assert no_child_left()


def test_a_staging_leftover_of_a_killed_run_is_not_a_generated_file(large_spec: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render_tree(large_spec, out, split=False)
    leftover = out / f"{STAGING_PREFIX}{os.getpid()}"
    (leftover / "grafana").mkdir(parents=True)
    (leftover / "grafana" / "x.json").write_text("{}\n", encoding="utf-8")
    render_tree(large_spec, out, split=True)  # our pid's leftover is cleared; the tree stays right
    assert not leftover.exists()
    shutil.rmtree(tmp_path / "reference", ignore_errors=True)
    render_tree(large_spec, tmp_path / "reference", split=False)
    assert tree(out) == tree(tmp_path / "reference")


def test_one_process_when_asked(large_spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from khaosobs.commands.render import ONE_PROCESS_ENV

    validation = validate_paths([large_spec])
    assert validation.spec is not None
    for value, forks in (("1", False), ("0", True)):
        monkeypatch.setenv(ONE_PROCESS_ENV, value)
        with TreeRender(tmp_path / value, check=True) as render:
            render.start(validation.spec, "spec.yaml")
            assert (render.worker is not None) is forks
    assert no_child_left()


def test_a_file_is_proven_when_it_is_written_or_diffed_not_when_the_tree_has_it(tmp_path: Path) -> None:
    from khaosobs.output import OutputFile
    from khaosobs.output.templating import parse_back
    from khaosobs.output.writer import plan

    proven: list[str] = []

    def prove(file: OutputFile) -> None:
        proven.append(file.path)
        parse_back(file.content, file.path, file.kind)

    files = [OutputFile("a.yml", "a: 1\n", "t", "yaml"), OutputFile("b.json", "{}\n", "t", "json")]
    out = tmp_path / "out"
    apply(plan(out, files, prove=prove))
    assert proven == ["a.yml", "b.json"]
    proven.clear()
    changed = [files[0], OutputFile("b.json", '{"x": 1}\n', "t", "json")]
    result = plan(out, changed, check=True, prove=prove)
    assert proven == ["b.json"] and result.written == ["b.json"]
    broken = [OutputFile("a.yml", "a: 1\n", "t", "yaml"), OutputFile("b.json", "{\n", "t", "json")]
    with pytest.raises(RenderBug, match=r"b\.json does not parse as json"):
        plan(out, broken, check=True, prove=prove)
    with pytest.raises(RenderBug):
        plan(out, broken, prove=prove)
    assert tree(out)["b.json"] == b"{}\n" and not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]
