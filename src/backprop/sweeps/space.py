"""The search space of a sweep: the values each setting of ``backprop train`` may take.

A setting is swept over a list of values (``--lr 0.001,0.01,0.1``, ``--seed 0..4``,
``--layers 64,32,10 64,64,10``) or, in a random search only, over a continuous range
(``--lr 1e-4..1e-1:log``). A grid search trains every combination; a random search draws
``trials`` combinations. The seed is not searched over: every combination (a *candidate*)
trains once with each seed listed, so its score is a mean over seeds, with their spread.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from backprop.engine.activations import ACTIVATIONS
from backprop.engine.initializers import INITIALIZERS
from backprop.engine.losses import LOSSES
from backprop.training import schedule_spec
from backprop.training.optimizers import OPTIMIZERS


@dataclass(frozen=True)
class Range:
    """A continuous range of a real setting, sampled uniformly (or log-uniformly)."""

    low: float
    high: float
    log: bool = False

    def sample(self, rng: np.random.Generator) -> float:
        if self.log:
            return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return float(rng.uniform(self.low, self.high))

    def __str__(self) -> str:
        return f"{self.low!r}..{self.high!r}" + (":log" if self.log else "")


#: A setting's values: a list to choose from, or a continuous range.
Values = list[Any] | Range


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError
    return value


def _at_least(read: Callable[[str], Any], low: float, *, equal: bool) -> Callable[[str], Any]:
    """A reader of numbers (``read``: int or a finite float) above ``low``, or ``equal`` to it."""

    def parse(text: str) -> Any:
        value = read(text)
        if value < low or (value == low and not equal):
            raise ValueError
        return value

    return parse


_positive = _at_least(_number, 0, equal=False)
_non_negative = _at_least(_number, 0, equal=True)
_positive_int = _at_least(int, 1, equal=True)
_non_negative_int = _at_least(int, 0, equal=True)


def _layers(text: str) -> list[int]:
    sizes = [int(part) for part in text.split(",")]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError
    return sizes


def _batch_size(text: str) -> int | None:
    return None if text.lower() == "full" else _positive_int(text)


def _fraction(text: str) -> float:
    value = _number(text)
    if not 0 <= value < 1:
        raise ValueError
    return value


def _schedule(text: str) -> str:
    schedule_spec.parse(text)  # its own message names the forms a schedule takes
    return text


def _choice(names: Iterable[str]) -> Callable[[str], str]:
    allowed = list(names)

    def parse(text: str) -> str:
        if text not in allowed:
            raise ValueError
        return text

    parse.expected = ", ".join(allowed)  # type: ignore[attr-defined]
    return parse


@dataclass(frozen=True)
class Setting:
    """A setting a sweep can vary: how one of its values is read, and what a value is."""

    parse: Callable[[str], Any]
    expected: str
    #: Real settings may be swept over a continuous range; integer ones over ``a..b``.
    kind: str = "choice"  # "real", "integer", "list" (one value is a list: layers) or "choice"


#: The settings of ``backprop train`` a sweep can vary (the names of RunConfig's fields).
SETTINGS: dict[str, Setting] = {
    "layers": Setting(_layers, "layer sizes such as 64,32,10", "list"),
    "activation": Setting(
        _choice(n for n in ACTIVATIONS if n != "softmax"), "an activation", "choice"
    ),
    "output": Setting(_choice(ACTIVATIONS), "an output activation", "choice"),
    "loss": Setting(_choice(LOSSES), "a loss", "choice"),
    "init": Setting(_choice(INITIALIZERS), "an initialiser", "choice"),
    "optimizer": Setting(_choice(OPTIMIZERS), "an optimizer", "choice"),
    "lr": Setting(_positive, "a positive learning rate such as 0.01", "real"),
    "l2": Setting(_non_negative, "a weight decay of 0 or more, such as 0.0001", "real"),
    "epochs": Setting(_positive_int, "a positive number of epochs", "integer"),
    "batch_size": Setting(_batch_size, "a positive batch size or 'full'", "integer"),
    "patience": Setting(_positive_int, "a positive number of epochs", "integer"),
    "dropout": Setting(_fraction, "a dropout rate from 0 to below 1", "real"),
    "l1": Setting(_non_negative, "an L1 penalty of 0 or more, such as 0.0001", "real"),
    "clip_norm": Setting(_positive, "a positive gradient norm such as 1.0", "real"),
    "schedule": Setting(_schedule, "a schedule such as cosine or step:10:0.5", "choice"),
    "seed": Setting(_non_negative_int, "a seed: an integer of 0 or more", "integer"),
}

_RANGE = re.compile(r"(?P<low>[^.]+(?:\.\d*)?(?:e[-+]?\d+)?)\.\.(?P<high>[^:]+)(?::(?P<log>log))?")


def parse_values(name: str, text: str) -> Values:
    """The values one command-line word gives ``name``: ``a,b,c``, ``low..high`` (integers:
    every one from low to high; reals: a range, ``:log`` for log-uniform) or one value."""
    setting = _setting(name)
    text = text.strip()
    if setting.kind == "list":
        return [_parse(name, setting, text)]
    if ".." in text and setting.kind in ("integer", "real"):
        match = _RANGE.fullmatch(text)
        if match is None:
            raise ValueError(f"{name}={text!r}: expected a range low..high, such as 1..5")
        low, high = (_parse(name, setting, match[k]) for k in ("low", "high"))
        if low is None or high is None or not low < high:
            raise ValueError(f"{name}={text!r}: a range needs low < high")
        if setting.kind == "integer":
            if match["log"]:
                raise ValueError(f"{name}={text!r}: ':log' is for real settings such as lr")
            return list(range(low, high + 1))
        if match["log"] and low <= 0:
            raise ValueError(f"{name}={text!r}: a log range needs low > 0")
        return Range(low, high, bool(match["log"]))
    values = [_parse(name, setting, part) for part in text.split(",")]
    return values


def check_values(name: str, values: Any) -> Values:
    """Values given in Python or a sweep file: a list, a Range, one value, or a string as
    the command line takes it (``"0..4"``, ``"1e-4..1e-1:log"``)."""
    setting = _setting(name)
    if isinstance(values, Range):
        if setting.kind != "real":
            raise ValueError(f"{name}: only real settings (lr, l2) take a continuous range")
        return parse_values(name, str(values))  # its ends checked as the command line's are
    if isinstance(values, str):
        return parse_values(name, values)
    if isinstance(values, Mapping):
        unknown = set(values) - {"low", "high", "log"}
        if unknown or not {"low", "high"} <= set(values):
            raise ValueError(f"{name}={dict(values)}: a range is {{low = L, high = H, log = true}}")
        return check_values(
            name, f"{values['low']}..{values['high']}" + (":log" if values.get("log") else "")
        )
    one_value = not isinstance(values, list | tuple) or (
        setting.kind == "list" and all(isinstance(v, int) for v in values)
    )
    items = [values] if one_value else list(values)
    if not items:
        raise ValueError(f"{name}: an empty list of values: expected at least one")
    return [_parse(name, setting, "full" if v is None else _text(v)) for v in items]


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    return str(value)


def _setting(name: str) -> Setting:
    if name not in SETTINGS:
        raise ValueError(
            f"{name!r} is not a setting a sweep can vary: expected one of {', '.join(SETTINGS)}"
        )
    return SETTINGS[name]


def _parse(name: str, setting: Setting, text: str) -> Any:
    try:
        return setting.parse(text.strip())
    except ValueError as error:
        if setting.parse is _schedule:
            raise ValueError(str(error)) from None
        expected = getattr(setting.parse, "expected", setting.expected)
        raise ValueError(f"{name}={text!r}: expected {expected}") from None


@dataclass
class Space:
    """The values of each swept setting, and how candidates are drawn from them."""

    values: dict[str, Values]

    def __post_init__(self) -> None:
        self.values = {name: check_values(name, v) for name, v in self.values.items()}
        for name, values in self.values.items():
            if isinstance(values, list):
                twice = sorted({repr(v) for v in values if values.count(v) > 1})
                if twice:  # the same candidate (or seed) trained again, counted as another
                    raise ValueError(f"{name} lists {', '.join(twice)} more than once")

    @property
    def seeds(self) -> list[int]:
        """The seeds each candidate trains with (0 when none are given)."""
        seeds = self.values.get("seed", [0])
        assert isinstance(seeds, list)
        return seeds

    def searched(self) -> dict[str, Values]:
        """The settings that tell candidates apart: all but the seed."""
        return {k: v for k, v in self.values.items() if k != "seed"}

    def varied(self) -> list[str]:
        """The searched settings given more than one value: the columns of the tables."""
        return [k for k, v in self.searched().items() if isinstance(v, Range) or len(v) > 1]

    def grid(self) -> list[dict[str, Any]]:
        """Every combination of the listed values."""
        searched = self.searched()
        ranges = [name for name, v in searched.items() if isinstance(v, Range)]
        if ranges:
            raise ValueError(
                f"{', '.join(ranges)} {'is a' if len(ranges) == 1 else 'are'} continuous "
                "range: a grid search needs lists of values; give a number of trials for a "
                "random search instead (trials=N; --trials N on the command line)"
            )
        names = list(searched)
        lists = [searched[n] for n in names]
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*lists)]  # type: ignore[arg-type]

    def random(self, trials: int, seed: int = 0) -> list[dict[str, Any]]:
        """``trials`` candidates, each setting drawn independently (seeded). Without a
        continuous range they are drawn from the grid without replacement, as scikit-learn's
        ParameterSampler does: no candidate twice, and the whole grid when it is smaller."""
        if not isinstance(trials, int) or isinstance(trials, bool) or trials < 1:
            raise ValueError(f"trials={trials!r}: expected a positive number of candidates")
        rng = np.random.default_rng(seed)
        searched = self.searched()
        lists = [v for v in searched.values() if not isinstance(v, Range)]
        size = math.prod(len(v) for v in lists)
        if len(lists) == len(searched) and size < 2**62:
            if trials >= size:
                return self.grid()
            # The grid's combinations by number, without building it: digits in mixed radix.
            drawn = [int(i) for i in rng.choice(size, trials, replace=False)]
            return [self._combination(number) for number in drawn]
        candidates = []
        for _ in range(trials):
            candidate = {}
            for name, values in self.searched().items():
                if isinstance(values, Range):
                    candidate[name] = values.sample(rng)
                else:
                    candidate[name] = values[int(rng.integers(len(values)))]
            candidates.append(candidate)
        return candidates

    def _combination(self, number: int) -> dict[str, Any]:
        """The grid's combination ``number`` (as ``grid()`` orders them: the last setting's
        values change fastest)."""
        candidate: dict[str, Any] = {}
        for name, values in reversed(self.searched().items()):
            assert isinstance(values, list)
            number, digit = divmod(number, len(values))
            candidate[name] = values[digit]
        return {name: candidate[name] for name in self.searched()}

    def to_json(self) -> dict[str, Any]:
        """The space as sweep.json keeps it (and ``check_values`` reads it back)."""
        return {k: str(v) if isinstance(v, Range) else v for k, v in self.values.items()}
