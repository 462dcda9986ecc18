"""Ctrl-C during ``fit``, held until training is somewhere it can stop bit for bit.

Python raises KeyboardInterrupt wherever the program happens to be when Ctrl-C comes: between
an epoch's end and the snapshot of the next one's start, or after the History recorded an
epoch but before the early stopper heard of it. Rolling back from there leaves an epoch count
that does not belong to the weights, and a checkpoint saved from it does not resume bit for
bit. So ``fit`` holds the first Ctrl-C and acts on it only where nothing is half done: between
two steps (the epoch is rolled back to its start) or once every callback has heard of an epoch
(training stops there). A second Ctrl-C raises at once, as Python would; ``fit`` then saves
nothing more, and the checkpoints already written stay as they were: each of them is whole.

Only the main thread receives signals, and only Python's own handler is replaced: elsewhere, or
under a handler of the program's own, Ctrl-C is left as it was.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType


class HeldCtrlC:
    """A context in which the first Ctrl-C sets ``pressed`` instead of raising."""

    def __init__(self) -> None:
        #: Ctrl-C was pressed: stop at the next point where training can.
        self.pressed = False
        #: Ctrl-C was pressed twice: the KeyboardInterrupt in flight is not to be held.
        self.forced = False
        self._installed = False

    def __enter__(self) -> HeldCtrlC:
        in_main_thread = threading.current_thread() is threading.main_thread()
        if in_main_thread and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, self._press)
            self._installed = True
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            self._installed = False

    def _press(self, signum: int, frame: FrameType | None) -> None:
        if self.pressed:
            self.forced = True
            raise KeyboardInterrupt
        self.pressed = True
