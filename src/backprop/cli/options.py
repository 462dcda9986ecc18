"""Option types shared by the commands (layer lists and batch sizes, checked as they are read),
and a command class whose errors name its options."""

from __future__ import annotations

import re
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


class FileToWrite(click.ParamType):
    """The path of a file to write. A folder is refused, and so is a path that ends in a
    separator (``--out new/``), which pathlib would shorten to a file named like the folder:
    the library's rule (``saving.model_file.file_to_write``)."""

    name = "FILE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        from backprop.saving.model_file import file_to_write

        try:
            return file_to_write(value, example=None)
        except (IsADirectoryError, TypeError) as error:
            self.fail(str(error), param, ctx)


LAYERS = LayerSizes()
OPTIONAL_BATCH = BatchSize()
FILE_TO_WRITE = FileToWrite()


class NamesItsOptions(click.Command):
    """A command whose errors name its options: the library's checks name the setting they
    check (``clip_norm must be a positive finite number``), which on the command line is an
    option (``--clip-norm``). The leading name of an error's message becomes the option's."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ValueError as error:
            raise click.UsageError(self.in_option_words(str(error)), ctx) from None

    def in_option_words(self, message: str) -> str:
        name = re.match(r"[a-z][a-z0-9_]*(?=[ =])", message)
        options = {p.name: p.opts[0] for p in self.params if isinstance(p, click.Option)}
        if name is None or name[0] not in options:
            return message
        return options[name[0]] + message[name.end() :]
