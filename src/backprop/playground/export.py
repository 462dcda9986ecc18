"""What a page takes away: the model file, and a Python script that rebuilds and trains it.

The model file is a run's model (:class:`backprop.run.Model`): the network with its data's
description, so that ``bp.load`` reads the network and ``backprop evaluate model.npz moons``
scores it. When the inputs are the two drawn columns themselves (features x1 and x2) the file
carries the scaler and their names, and reads raw data; with other features (x1², sin x1, ...)
its inputs are those features of the standardised point, named so.

The script calls the same functions the server does, so running it trains the same network
from the same initial weights to the same weights, bit for bit (unless weights were edited by
hand, single steps taken or the settings changed midway on the page: the script says so).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from backprop.run.model import Model

if TYPE_CHECKING:
    from backprop.playground.session import Session

#: The features that are the drawn columns themselves: a model of these reads raw data.
RAW = ("x1", "x2")


def model(session: Session) -> Model:
    """The session's network as a run's model, with what it needs to read its data."""
    plane, config = session.plane, session.config
    raw = config.features == RAW
    info = {
        "source": "backprop playground",
        "config": config.to_json(),
        "epochs": session.epoch,
    }
    if not raw:
        scaler = plane.scaler.to_arrays()
        info["inputs"] = (
            f"features {', '.join(config.features)} of (x1, x2) = ({', '.join(plane.axes)}) "
            "standardised by mean and scale"
        )
        info["scaler"] = {k: v.tolist() for k, v in scaler.items()}
    return Model(
        network=session.net,
        task=plane.task,
        classes=plane.classes,
        feature_names=list(plane.axes) if raw else list(config.features),
        scaler=plane.scaler if raw else None,
        info=info,
    )


def model_file(session: Session) -> bytes:
    """The bytes of the model file (``bp.load`` reads it)."""
    return model(session).to_bytes()


def script(session: Session) -> str:
    """A Python script that rebuilds the session's data and network and trains it as long."""
    from backprop.playground.session import network_arguments

    config, plane = session.config, session.plane
    arguments = network_arguments(config, plane)
    if config.dataset == "csv":
        columns = list(config.columns or ())
        data = (
            f"plane = csv_plane({'upload.csv'!r}, columns={columns!r}, "
            f"test_ratio={config.test_ratio!r}, seed={config.data_seed!r})  # your CSV file"
        )
    else:
        data = (
            f"plane = generated_plane({config.dataset!r}, noise={config.noise!r}, "
            f"test_ratio={config.test_ratio!r}, seed={config.data_seed!r})"
        )
    caveat = ""
    if session.edited or session.steps or session.retuned:
        caveat = (
            "\n# On the page, weights were also set by hand, single steps were taken or the\n"
            "# training settings changed midway: this script trains from the same initial\n"
            "# weights for the same epochs with the last settings, without the rest.\n"
        )
    lines = [
        '"""The backprop playground\'s network, rebuilt and trained with the library.',
        "",
        f"Settings: {json.dumps(config.to_json())}",
        '"""',
        "",
        "import backprop as bp",
        "from backprop.playground.datasets import csv_plane, generated_plane, targets",
        "",
        "# The data: the points, split into training and test parts, x1 and x2 standardised.",
        data,
        f"features = {list(config.features)!r}",
        "X_train = plane.inputs(features, plane.P_train)",
        "X_test = plane.inputs(features, plane.P_test)",
        "",
        "# The network, with the page's initial weights (the same seed).",
        "net = bp.Network(",
        f"    {arguments['sizes']!r},",
        f"    activation={arguments['activation']!r},",
        f"    output={arguments['output']!r},",
        f"    loss={arguments['loss']!r},",
        f"    init={arguments['init']!r},",
        f"    seed={arguments['seed']!r},",
        ")",
        "Y_train = targets(plane, plane.y_train, net.sizes[-1])",
        "Y_test = targets(plane, plane.y_test, net.sizes[-1])",
        caveat,
        f"epochs = {session.epoch!r}  # as many as the page trained",
        "if epochs:  # (none yet: the page shows the initial weights)"
        if not session.epoch
        else "if epochs:",
        "    history = net.fit(",
        "        X_train,",
        "        Y_train,",
        "        epochs=epochs,",
        f"        lr={config.lr!r},",
        f"        batch_size={config.batch_size!r},",
        f"        optimizer={config.optimizer!r},",
        f"        weight_decay={config.l2!r},",
        "        validation_data=(X_test, Y_test),",
        "    )",
        'print("training:", net.evaluate(X_train, Y_train))',
        'print("test:", net.evaluate(X_test, Y_test))',
        'net.save("playground_model.npz")',
        "",
    ]
    return "\n".join(lines)
