"""Steps recorded once and replayed (``backprop.training.graphs``), proven on the CPU.

On a GPU, ``fit`` records a chunk's steps as a CUDA graph and replays it. CI has no GPU, so
these tests give the same code a recorder with a CUDA graph's semantics on PyTorch's CPU
tensors (``graph_emulator.py``: the operations of one run replayed, no Python, no read-back)
and check what the recording must get right: the same weights as NumPy's eager loop (within
1e-10 in float64, for every optimizer, with schedules, penalties, clipping, sample weights, a
shorter last chunk and batch), the epoch's loss and accuracy, a recording per fit and not per
epoch, Ctrl-C between chunks, and the cases that stay eager. ``tests/test_gpu.py`` trains the
same way on a real CUDA graph where there is a GPU.
"""

from __future__ import annotations

import signal

import numpy as np
import pytest

import backprop as bp
from backprop.engine.backend import to_numpy

torch = pytest.importorskip("torch", reason="PyTorch is not installed: no tensors to record")

import graph_emulator  # noqa: E402  (tests/ is on the path: it needs torch)
from cases import OUTPUTS  # noqa: E402

from backprop.engine import backend as engine_backend  # noqa: E402
from backprop.training import batches, graphs  # noqa: E402


@pytest.fixture
def recordings(monkeypatch):
    """Record steps on PyTorch's CPU tensors with the emulator, in chunks of 3 batches of 8
    rows (so that 50 rows make two full chunks and a shorter one ending in a batch of 2);
    the list of the replays each fit recorded."""
    made: list = []

    def record(work, warm_up):
        warm_up()
        cached = _cached()
        replay = graph_emulator.record(work, lambda: None)
        # A cache filled while recording would hold an array a real recording never wrote.
        assert _cached() == cached, "the warm-up left something to cache to the recording"
        made.append(replay)
        return replay

    def recorder_for(backend):
        return record if backend.name == "torch" else None

    monkeypatch.setattr(graphs, "recorder_for", recorder_for)
    monkeypatch.setattr(batches, "CHUNK_BYTES", 3 * 8 * 8 * (4 + 3 + 1 + 1))
    return made


def _cached() -> tuple[int, int]:
    """How many arrays the engine's device caches hold (ones, and positive_part's zero)."""
    ones = engine_backend._device_ones(engine_backend.Backend("torch", "cpu"))
    return ones.cache_info().currsize, engine_backend._zero.cache_info().currsize


def data(loss: str, n: int = 50, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    if loss == "cross_entropy":
        return X, rng.integers(0, 3, n)
    if loss == "binary_cross_entropy":
        return X, rng.integers(0, 2, (n, 3)).astype(float)
    return X, rng.random((n, 3))


def trained(backend: str, loss: str = "cross_entropy", epochs: int = 4, **fit):
    """A [4, 6, 3] network trained in batches of 8 on 50 rows; the network and its history."""
    X, Y = data(loss)
    net = bp.Network([4, 6, 3], activation="tanh", loss=loss, seed=5, backend=backend)
    fit = {"batch_size": 8, "optimizer": "adam", "lr": 0.01, **fit}
    if fit["optimizer"] == "nesterov":  # an instance of its own for each fit
        fit.update(optimizer=bp.Momentum(0.05, nesterov=True), lr=None)
    history = net.fit(X, Y, epochs=epochs, **fit)
    return net, history


def assert_close(actual, expected, rtol: float) -> None:
    actual, expected = to_numpy(actual), to_numpy(expected)
    scale = max(float(np.max(np.abs(expected))), 1e-300)
    assert float(np.max(np.abs(actual - expected))) <= rtol * scale


FITS = {
    "sgd": {"optimizer": "sgd", "lr": 0.1},
    "momentum": {"optimizer": "momentum", "lr": 0.05},
    "nesterov": {"optimizer": "nesterov"},
    "adam": {"optimizer": "adam", "lr": 0.01},
    "adam, unshuffled": {"shuffle": False},
    "adam, step decay": {"callbacks": [bp.StepDecay(every=1, factor=0.5)]},
    "sgd, cosine decay": {"optimizer": "sgd", "lr": 0.2, "callbacks": [bp.CosineDecay(4)]},
    "penalties and clipping": {"weight_decay": 1e-2, "l1": 1e-3, "clip_norm": 0.05},
    "sample weights": {"sample_weight": np.linspace(0.5, 2.0, 50)},
    "full batch": {"batch_size": None, "optimizer": "sgd", "lr": 0.5},
    "one chunk, no rest": {"batch_size": 25},
}


@pytest.mark.parametrize("fit", FITS.values(), ids=FITS.keys())
@pytest.mark.parametrize("loss", ["cross_entropy", "binary_cross_entropy", "mse"])
def test_replayed_steps_give_numpys_weights_and_history(recordings, fit, loss):
    numpy_net, numpy_history = trained("numpy", loss, **fit)
    net, history = trained("torch", loss, **fit)
    assert recordings, "the fit on tensors recorded nothing: it trained eagerly"
    assert len(recordings) <= 2  # once per chunk length, not once per epoch
    assert_close(net.parameter_vector, numpy_net.parameter_vector, 1e-10)
    assert_close(history.history["loss"], numpy_history.history["loss"], 1e-12)
    if loss != "mse":
        assert history.history["accuracy"] == numpy_history.history["accuracy"]
    # The host's count of Adam's steps went on with the device's.
    if isinstance(numpy_net.optimizer, bp.Adam):
        assert net.optimizer._t == numpy_net.optimizer._t


def test_each_fit_records_a_chunk_once_and_replays_it_for_every_chunk(recordings):
    replays = []

    def counting(work, warm_up):
        replay = graph_emulator.record(work, warm_up)

        def counted():
            replays.append(replay)
            replay()

        return counted

    graphs.recorder_for = lambda backend: counting  # undone by the fixture's monkeypatch
    trained("torch", epochs=3)
    # 50 rows in chunks of 24: two full chunks and one of 2 rows, per epoch.
    assert len(replays) == 3 * 3
    assert len({id(r) for r in replays}) == 2


READ_BACKS = {
    "float": lambda t: float(t.sum()),
    "a boolean mask": lambda t: t[t > 0],
    "a boolean mask, set from a tensor": lambda t: t.__setitem__(t > 0, t[:1] * 2),
    "masked_select": lambda t: torch.masked_select(t, t > 0),
    "unique": lambda t: torch.unique(t),
}


@pytest.mark.parametrize("read_back", READ_BACKS.values(), ids=READ_BACKS.keys())
def test_a_recording_may_not_read_a_value_back_to_the_host(read_back):
    """The emulator refuses what CUDA refuses while recording (so the tests above prove the
    steps need no read-back): this test fails if it stops refusing."""
    t = torch.ones(3)
    with pytest.raises(graph_emulator.HostReadBack):
        graph_emulator.record(lambda: read_back(t), lambda: None)


def test_a_recording_may_not_copy_host_data_to_the_device():
    t = torch.ones(3)
    for work in (lambda: t + torch.asarray(1.0), lambda: t + torch.as_tensor(np.ones(3))):
        with pytest.raises(graph_emulator.FromHost):
            graph_emulator.record(work, lambda: None)


def test_a_recording_keeps_python_numbers_as_they_were_recorded():
    """A replay runs no Python: a number read from Python at recording time stays, which is
    why the learning rate and Adam's count are device arrays while steps are recorded."""
    p = torch.zeros(2)
    box = {"lr": 1.0}
    replay = graph_emulator.record(lambda: p.add_(box["lr"]), lambda: None)
    assert p.tolist() == [0.0, 0.0]  # recording computed nothing
    box["lr"] = 5.0
    replay()
    replay()
    assert p.tolist() == [2.0, 2.0]


def test_a_fit_too_short_to_repay_its_recordings_trains_eagerly(recordings):
    trained("torch", epochs=1)  # 3 chunks: fewer replays than graphs.MIN_REPLAYS
    assert not recordings
    trained("torch", epochs=2)
    assert recordings


def test_what_needs_the_host_or_every_step_trains_eagerly(recordings):
    trained("torch", dropout=0.2)
    assert not recordings  # dropout's masks are drawn by NumPy per step

    class EveryStep(bp.Callback):
        def on_batch_end(self, seen, n_samples, loss=float("nan")):
            pass

    trained("torch", callbacks=[EveryStep()])
    assert not recordings


def test_the_environment_variable_turns_recording_off(recordings, monkeypatch):
    monkeypatch.setenv(graphs.ENVIRONMENT, "0")
    trained("torch")
    assert not recordings


def test_numpy_and_cpu_tensors_are_not_recorded_without_a_gpu():
    backend = bp.Network([2, 1], backend="torch").backend
    assert graphs.recorder_for(backend) is None  # CPU tensors: eager
    assert graphs.recorder_for(bp.Network([2, 1]).backend) is None


def test_a_progress_bar_hears_of_each_chunk(recordings):
    heard = []

    class Bar(bp.Callback):
        every_batch = False

        def on_batch_end(self, seen, n_samples, loss=float("nan")):
            heard.append((seen, loss))

    _, history = trained("torch", epochs=2, callbacks=[Bar()])
    assert recordings
    assert [seen for seen, _ in heard] == [24, 48, 50] * 2
    assert heard[2][1] == pytest.approx(history.history["loss"][0], rel=1e-12)


def test_ctrl_c_between_replayed_chunks_goes_back_to_the_start_of_the_epoch(recordings):
    class CtrlC(bp.Callback):
        every_batch = False

        def on_epoch_begin(self, epoch):
            self.epoch = epoch

        def on_batch_end(self, seen, n_samples, loss=float("nan")):
            if self.epoch == 2 and seen == 24:  # in the middle of the third epoch
                signal.raise_signal(signal.SIGINT)

    net, history = trained("torch", epochs=4, callbacks=[CtrlC()])
    assert history.interrupted and len(history.epoch) == 2
    two_epochs, _ = trained("numpy", epochs=2)
    assert_close(net.parameter_vector, two_epochs.parameter_vector, 1e-10)
    assert net.optimizer._t == two_epochs.optimizer._t


class _ReadBacks(graph_emulator.TorchDispatchMode):
    """Counts the operations that read a tensor's value back to the host."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[override]
        self.count += func in graph_emulator.READ_BACKS
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("replayed", [False, True], ids=["eager", "replayed"])
def test_the_host_reads_numbers_back_once_per_epoch_not_per_step(recordings, monkeypatch, replayed):
    """Issue 12: on a device the epoch's loss and accuracy stay there, read back once per
    epoch. The read-backs of a fit of 3 epochs are as many with 2 steps an epoch as with 25
    (shuffled, Adam, clipping and penalties on)."""
    if not replayed:
        monkeypatch.setenv(graphs.ENVIRONMENT, "0")
    counts = []
    for batch_size in (25, 2):
        with _ReadBacks() as reads:
            trained(
                "torch", epochs=3, batch_size=batch_size, clip_norm=0.1, l1=1e-3, weight_decay=1e-3
            )
        counts.append(reads.count)
    assert counts[0] == counts[1]
    assert bool(recordings) == replayed


@pytest.mark.parametrize(("output", "loss"), OUTPUTS)
@pytest.mark.parametrize("hidden", sorted(set(bp.ACTIVATIONS) - {"softmax"}))
def test_every_activation_and_loss_records_without_the_host(recordings, hidden, output, loss):
    """Nothing in a step reads a value back or copies a Python number to the device (which
    a GPU waits for and a CUDA graph cannot record): array-api-compat's ``maximum`` with a
    number and its ``sign`` did both, and ReLU, the cross-entropy of sigmoids and L1 used
    them. Adam, penalties, clipping and sample weights on; NumPy's weights within 1e-10."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 4))
    Y = {
        "cross_entropy": rng.integers(0, 3, 40),
        "binary_cross_entropy": rng.integers(0, 2, (40, 3)).astype(float),
        "poisson": rng.poisson(1.5, (40, 3)).astype(float),
    }.get(loss, rng.random((40, 3)))
    weights = []
    for backend in ("numpy", "torch"):
        net = bp.Network(
            [4, 5, 3], activation=hidden, output=output, loss=loss, seed=1, backend=backend
        )
        net.fit(
            X, Y, epochs=2, batch_size=8, optimizer="adam", lr=0.01, clip_norm=1.0, l1=1e-3,
            weight_decay=1e-3, sample_weight=np.linspace(0.5, 2, 40),
        )  # fmt: skip
        weights.append(net.parameter_vector)
    assert recordings
    assert_close(weights[1], weights[0], 1e-10)


def test_buffers_replaced_between_epochs_are_recorded_again(recordings):
    """A recording writes the arrays it was made with: a callback that gives the optimizer
    new buffers (``set_state`` copies them) must not leave the replays writing the old ones."""

    class Reload(bp.Callback):
        def on_epoch_end(self, epoch, logs):
            opt = self.network.optimizer
            opt.set_state(opt.get_state())

    numpy_net, _ = trained("numpy", callbacks=[Reload()])
    net, _ = trained("torch", callbacks=[Reload()])
    assert len(recordings) == 2 * 4  # a full chunk and the shorter one, each epoch
    assert_close(net.parameter_vector, numpy_net.parameter_vector, 1e-10)
