"""The README's Python snippets run as written, each on its own, and print what they say."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).parents[1] / "README.md"
SNIPPETS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_the_readme_has_its_snippets() -> None:
    assert len(SNIPPETS) >= 3


@pytest.mark.parametrize("number", range(len(SNIPPETS)))
def test_snippet_runs_as_written(number: int, tmp_path: Path) -> None:
    snippet = SNIPPETS[number]
    result = subprocess.run(
        [sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    # A print whose comment shows an array or a number is the README's promise of that output.
    promised = re.findall(r"^print\(.*\)\s+# (\[[^\]]*\]|-?[\d.]+)$", snippet, flags=re.MULTILINE)
    for output in promised:
        assert output in result.stdout.splitlines(), (output, result.stdout)
