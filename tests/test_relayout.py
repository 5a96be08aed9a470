"""scripts/relayout.py: the layout move as a script, run after the other branches are merged.
Its rewriter must turn the old module paths of files it has never seen into the new ones, and a
second run must change nothing."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from tests.conftest import ROOT


def relayout() -> ModuleType:
    spec = importlib.util.spec_from_file_location("relayout", ROOT / "scripts" / "relayout.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["relayout"] = module
    spec.loader.exec_module(module)
    return module


LATE_BRANCH = """\
from khaosobs.spec.loader import Path_
from khaosobs.domain import naming
from khaosobs.spec import model
from khaosobs import cli
from khaosobs.commands import validate as pl
import khaosobs.domain.routing as routing_module
from khaosobs.domain.promql_analysis import analyse
from tests.support.synthetic import synthetic_spec
x = "khaosobs.checks.promql is not khaosobs.domain.promql"
"""


def test_imports_of_old_paths_are_rewritten() -> None:
    module = relayout()
    rewritten = module.rewrite_python(LATE_BRANCH, module.module_moves())
    assert rewritten.splitlines() == [
        "from khaosobs.spec.loader import Path_",
        "from khaosobs.domain import naming",
        "from khaosobs.spec import model",
        "from khaosobs import cli",
        "from khaosobs.commands import validate as pl",
        "import khaosobs.domain.routing as routing_module",
        "from khaosobs.domain.promql_analysis import analyse",
        "from tests.support.synthetic import synthetic_spec",
        'x = "khaosobs.checks.promql is not khaosobs.domain.promql"',
    ]
    assert module.rewrite_python(rewritten, module.module_moves()) == rewritten  # idempotent


def test_paths_in_prose_are_rewritten_once() -> None:
    module = relayout()
    text = "see `khaosobs/spec/loader.py`, `khaosobs/checks/promql.py` and khaosobs/diagnostics/reporters/text.py\n"
    once = module.rewrite_paths(text, module.path_moves())
    assert once == ("see `khaosobs/spec/loader.py`, `khaosobs/checks/promql.py` and "
                    "khaosobs/diagnostics/reporters/text.py\n")
    assert module.rewrite_paths(once, module.path_moves()) == once


def test_every_move_is_either_to_do_or_done() -> None:
    module = relayout()
    unclear = [old for old, new in module.MOVES.items() if (ROOT / old).is_file() == (ROOT / new).is_file()]
    assert not unclear, f"relayout.py moves files that are missing, or both old and new exist: {unclear}"
    assert len(set(module.MOVES.values())) == len(module.MOVES)
