"""The ``backprop`` command line (being built)."""


def main() -> None:
    raise SystemExit("backprop: the command line is not built yet")
