"""Writing a file so that a reader, or a program stopped midway, never sees half of it.

The content goes to a temporary file beside the target (``.NAME.<random>.tmp``, a name the
run folder recognises as a leftover to clean), is flushed to disk, and then renamed over the
target in one step. On any failure the temporary file is removed and the target is as it was.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import IO


def write_atomically(path: Path, write: Callable[[IO[bytes]], object]) -> Path:
    """Call ``write`` with a binary file whose content then replaces ``path`` in one step."""
    descriptor, temporary = create_temporary(path)
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def create_temporary(path: Path) -> tuple[int, Path]:
    """A new, empty file beside ``path``, open for writing: its descriptor and its path.

    It is created with mode 0o666, as any program creates a file, so the user's umask (and
    the folder's default ACL, if any) sets its permissions as for every other file of a run
    folder; ``tempfile.mkstemp`` would make it 0o600, readable by its owner only.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temporary = temporary_name(path)
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:  # 64 random bits: someone else's temporary file, once in ages
            continue
    raise FileExistsError(f"cannot save to {path}: no free temporary name beside it")


def temporary_name(path: Path) -> Path:
    """A fresh name beside ``path`` for its content while it is written: ``.NAME.<random>.tmp``
    (64 random bits), hidden, and recognisable as a leftover if a writer is killed."""
    return path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
