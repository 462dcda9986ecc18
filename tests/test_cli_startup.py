"""The console script as a user starts it: it answers at once, and a mistake costs one line.

``backprop --help`` must not wait for scikit-learn, Matplotlib, SciPy or rich (together about
two seconds): importing the command line imports none of them, and each command imports what
it needs when it runs. These tests check the imports, not the clock.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BACKPROP = Path(sys.executable).with_name("backprop")


def imported(statement: str, libraries: tuple[str, ...]) -> list[str]:
    """The modules of ``libraries`` a fresh interpreter holds after running ``statement``."""
    code = (
        f"import json, sys; {statement}; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {libraries!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_importing_the_cli_imports_no_heavy_library() -> None:
    heavy = ("sklearn", "matplotlib", "scipy", "rich")
    assert imported("import backprop.cli", heavy) == []


def test_console_script_help_lists_the_commands() -> None:
    result = subprocess.run([str(BACKPROP), "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for command in ("train", "evaluate", "predict", "explain", "plot", "datasets"):
        assert f"  {command} " in result.stdout, result.stdout


def test_console_script_mistake_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(BACKPROP), "train", "nosuch"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("backprop: error: ")
    assert "unknown dataset 'nosuch'" in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "runs").exists()
