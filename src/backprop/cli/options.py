"""Option types shared by the commands: layer lists and batch sizes, checked as they are read."""

from __future__ import annotations

from typing import Any

import click


class LayerSizes(click.ParamType):
    """A comma-separated list of positive layer sizes such as ``64,32,16,10``."""

    name = "SIZES"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if isinstance(value, list):
            return value
        parts = str(value).split(",")
        try:
            sizes = [int(part) for part in parts]
        except ValueError:
            self.fail(
                f"{value!r} is not a list of layer sizes: expected positive integers "
                "separated by commas, such as 64,32,16,10",
                param,
                ctx,
            )
        if len(sizes) < 2 or min(sizes) < 1:
            self.fail(
                f"{value!r}: expected at least two positive sizes (input and output), "
                "such as 64,32,16,10",
                param,
                ctx,
            )
        return sizes


class BatchSize(click.ParamType):
    """A positive number of samples per step, or ``full`` for the whole training set (None, as
    ``fit`` takes it)."""

    name = "N|full"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if isinstance(value, int):
            return value
        if str(value).lower() == "full":
            return None
        try:
            size = int(value)
        except ValueError:
            size = 0
        if size < 1:
            self.fail(f"{value!r}: expected a positive integer or 'full'", param, ctx)
        return size


LAYERS = LayerSizes()
OPTIONAL_BATCH = BatchSize()
