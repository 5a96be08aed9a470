"""The staged write (output/writer.py): a path leaving the output folder is refused whether the folder
is new (staged in place, nothing on disk to compare with) or holds a tree; a first render into a new
folder and a render over a tree agree on what they write and keep."""

from __future__ import annotations

from pathlib import Path

import pytest

from khaosobs.output import OutputFile
from khaosobs.output.writer import MANIFEST, UnsafePath, apply, plan


def files(*paths: str) -> list[OutputFile]:
    return [OutputFile(path, f"value: {i}\n", "prometheus", "yaml", "rules.yml.j2") for i, path in enumerate(paths)]


@pytest.mark.parametrize("existing", [False, True])
@pytest.mark.parametrize("unsafe", ["../escaped.yml", "/abs.yml", "rules/../../escaped.yml", ""])
def test_a_path_outside_the_folder_is_refused(tmp_path: Path, existing: bool, unsafe: str) -> None:
    out = tmp_path / "project" / "generated"
    if existing:
        out.mkdir(parents=True)
    with pytest.raises(UnsafePath):
        plan(out, files("rules/a.yml", unsafe))
    assert not (tmp_path / "project" / "escaped.yml").exists()
    assert not (tmp_path / "escaped.yml").exists()


def test_a_new_folder_and_a_tree_agree(tmp_path: Path) -> None:
    new = plan(tmp_path / "new", files("rules/a.yml", "rules/b.yml"))
    assert new.staging is not None and new.staging.in_place
    assert (new.written, new.unchanged, new.unowned) == (["rules/a.yml", "rules/b.yml"], [], [])
    apply(new)
    assert (tmp_path / "new" / "rules" / "a.yml").read_text() == "value: 0\n"

    again = plan(tmp_path / "new", files("rules/a.yml", "rules/b.yml"))
    assert (again.written, again.unchanged) == ([], ["rules/a.yml", "rules/b.yml"])
    assert again.staging is not None and not again.staging.in_place
    again.staging.discard()

    # a folder that exists but holds a file we never wrote: found on disk, so not ours to replace
    (tmp_path / "old" / "rules").mkdir(parents=True)
    (tmp_path / "old" / "rules" / "a.yml").write_text("hand-written\n")
    over = plan(tmp_path / "old", files("rules/a.yml"))
    assert (over.written, over.unowned) == (["rules/a.yml"], ["rules/a.yml"])
    assert over.staging is not None
    over.staging.discard()
    assert (tmp_path / "old" / "rules" / "a.yml").read_text() == "hand-written\n"
    assert not (tmp_path / "old" / MANIFEST).exists()
