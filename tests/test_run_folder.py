"""The run folder's layout has one home, run.RunFolder, which the run and the CLI ask."""

from __future__ import annotations

from pathlib import Path

import pytest

from backprop import run


def test_a_run_writes_exactly_the_files_its_folder_names(tmp_path: Path) -> None:
    result = run.train(run.RunConfig("xor", epochs=20), tmp_path / "xor", verbose=0)
    folder = run.RunFolder(result.directory)
    named = {folder.model, folder.checkpoint, folder.history, folder.report}
    named |= {p for p in result.plots if p.parent == folder.path}
    assert set(folder.path.iterdir()) == named
    assert all(plot == folder.plot(plot.stem) for plot in result.plots)


def test_new_folders_never_collide(tmp_path: Path) -> None:
    first = run.RunFolder.new("xor", parent=tmp_path)  # made, empty: the name is taken
    second = run.RunFolder.new("xor", parent=tmp_path)
    assert first.path.is_dir() and second.path.is_dir()
    assert second.path != first.path and not second.holds_files()
    assert second.path.name.startswith(first.path.name)


def test_resume_takes_the_folder_or_its_checkpoint(tmp_path: Path) -> None:
    run.train(run.RunConfig("xor", epochs=5), tmp_path, verbose=0)
    folder = run.RunFolder(tmp_path)
    assert run.RunFolder.of_checkpoint(tmp_path) == (folder, folder.checkpoint)
    assert run.RunFolder.of_checkpoint(folder.checkpoint) == (folder, folder.checkpoint)
    with pytest.raises(FileNotFoundError, match=r"no checkpoint\.npz there"):
        run.RunFolder.of_checkpoint(tmp_path / "elsewhere")
