"""backprop.sklearn: the estimators pass scikit-learn's checks and work in its tools."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_wine, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import backprop as bp
from backprop.sklearn import BackpropClassifier, BackpropRegressor

# Most fits here stop at a small max_iter on purpose; test_convergence_stops_or_warns checks
# the warning itself.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def quiet(**params):
    """Small settings that train in a moment."""
    return {"hidden_layer_sizes": (16,), "learning_rate_init": 0.01, "random_state": 0, **params}


@pytest.fixture
def blobs() -> tuple[np.ndarray, np.ndarray]:
    """300 samples, 5 features, 3 classes; standardised."""
    X, y = make_classification(
        n_samples=300, n_features=5, n_informative=4, n_redundant=0, n_classes=3, random_state=0
    )
    return StandardScaler().fit_transform(X), y


# -- scikit-learn's own checks ------------------------------------------------------------------


@parametrize_with_checks(
    [
        BackpropClassifier((10,), learning_rate_init=0.01, max_iter=50, random_state=0),
        BackpropRegressor((10,), learning_rate_init=0.01, max_iter=50, random_state=0),
        BackpropClassifier((10,), solver="lbfgs", max_iter=50, random_state=0),
        BackpropRegressor((10,), solver="lbfgs", max_iter=50, random_state=0),
    ]
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# -- in scikit-learn's tools --------------------------------------------------------------------


@pytest.mark.parametrize("load", [load_wine, load_breast_cancer], ids=["wine", "breast_cancer"])
def test_cross_validated_accuracy_matches_mlpclassifier(load):
    X, y = load(return_X_y=True)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    hidden = (100,)

    def accuracy(classifier):
        scores = cross_val_score(make_pipeline(StandardScaler(), classifier), X, y, cv=cv)
        return scores.mean(), scores.std()

    ours, _ = accuracy(BackpropClassifier(hidden, random_state=0))
    theirs, spread = accuracy(MLPClassifier(hidden, random_state=0))
    assert ours >= theirs - spread, (
        f"backprop {ours:.4f}, MLPClassifier {theirs:.4f} ± {spread:.4f}"
    )


def test_grid_search_in_parallel(blobs):
    X, y = blobs
    grid = GridSearchCV(
        BackpropClassifier(max_iter=60, random_state=0),
        {"learning_rate_init": [0.0001, 0.01], "hidden_layer_sizes": [(4,), (32,)]},
        cv=3,
        n_jobs=2,
    )
    grid.fit(X, y)
    assert grid.cv_results_["mean_test_score"].shape == (4,)
    assert grid.best_params_ == {"learning_rate_init": 0.01, "hidden_layer_sizes": (32,)}
    assert isinstance(grid.best_estimator_, BackpropClassifier)
    assert grid.best_estimator_.network_.sizes == [5, 32, 3]
    assert grid.score(X, y) > 0.8


def test_partial_fit_over_chunks_reaches_fit_accuracy(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    epochs = 30
    fitted = BackpropClassifier((64,), learning_rate_init=0.005, max_iter=epochs, random_state=0)
    fitted.fit(X_train, y_train)

    streamed = BackpropClassifier((64,), learning_rate_init=0.005, random_state=0)
    order = np.random.default_rng(0)
    for _ in range(epochs):
        for chunk in np.array_split(order.permutation(len(X_train)), 7):
            streamed.partial_fit(X_train[chunk], y_train[chunk], classes=np.arange(10))

    assert streamed.n_iter_ == 7 * epochs
    assert len(streamed.loss_curve_) == 7 * epochs
    fit_accuracy = fitted.score(X_test, y_test)
    assert fit_accuracy > 0.95
    assert streamed.score(X_test, y_test) >= fit_accuracy - 0.02


def test_joblib_parallel_trains_clones(blobs):
    X, y = blobs

    def train(seed):
        return BackpropClassifier(**quiet(max_iter=20, random_state=seed)).fit(X, y)

    models = joblib.Parallel(n_jobs=2, backend="threading")(
        joblib.delayed(train)(seed) for seed in (0, 0, 1)
    )
    p0, p1, p2 = (m.predict_proba(X) for m in models)
    np.testing.assert_array_equal(p0, p1)
    assert not np.array_equal(p0, p2)


# -- classification ------------------------------------------------------------------------------


def test_string_labels_multiclass(blobs):
    X, y = blobs
    names = np.array(["setosa", "versicolor", "virginica"], dtype=object)[y]
    clf = BackpropClassifier(**quiet(max_iter=100, tol=1e-3)).fit(X, names)
    assert list(clf.classes_) == ["setosa", "versicolor", "virginica"]
    assert clf.out_activation_ == "softmax" and clf.n_outputs_ == 3
    assert clf.network_.loss.name == "cross_entropy"
    predicted = clf.predict(X)
    assert set(predicted) <= set(clf.classes_)
    assert clf.score(X, names) > 0.8
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], predicted)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba))


def test_binary_uses_one_sigmoid_or_a_softmax_over_two(blobs):
    X, y = blobs
    labels = np.where(y == 0, "no", "yes")
    one = BackpropClassifier(**quiet(max_iter=50, tol=1e-3)).fit(X, labels)
    assert one.n_outputs_ == 1 and one.out_activation_ == "sigmoid"
    assert one.network_.loss.name == "binary_cross_entropy"
    two = BackpropClassifier(**quiet(max_iter=50, tol=1e-3), output="softmax").fit(X, labels)
    assert two.n_outputs_ == 2 and two.network_.loss.name == "cross_entropy"
    for clf in (one, two):
        assert clf.predict_proba(X).shape == (300, 2)
        assert clf.score(X, labels) > 0.85
    assert set(one.predict(X)) == {"no", "yes"}


def test_one_sigmoid_output_decides_at_the_package_threshold(blobs):
    """An output of exactly 0.5 predicts the second class, as everywhere in backprop."""
    X, y = blobs
    labels = np.where(y == 0, "no", "yes")
    clf = BackpropClassifier(**quiet(max_iter=2)).fit(X, labels)
    clf.network_.parameter_vector[:] = 0.0  # every net input 0: every output sigmoid(0) = 0.5
    assert (clf.predict(X) == "yes").all()
    assert clf._validation_score(np.ones((3, 1)), np.full((3, 1), 0.5), None) == 1.0


def test_per_layer_activations_losses_and_outputs(blobs):
    X, y = blobs
    clf = BackpropClassifier(
        (8, 6), ["tanh", "logistic"], output="sigmoid", loss="mse", max_iter=5, random_state=0
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    net = clf.network_
    assert net.sizes == [5, 8, 6, 3]
    assert [layer.activation.name for layer in net.layers] == ["tanh", "sigmoid", "sigmoid"]
    assert net.loss.name == "mse"
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)
    # No hidden layer: multinomial logistic regression.
    linear = BackpropClassifier(**quiet(hidden_layer_sizes=(), max_iter=100, tol=1e-3))
    assert linear.fit(X, y).network_.sizes == [5, 3]


def test_sample_weight_shifts_predictions_and_matches_repetition(blobs):
    X, y = blobs
    params = quiet(batch_size=None, max_iter=40, shuffle=False)
    weights = np.where(y == 2, 20.0, 1.0)
    plain = BackpropClassifier(**params).fit(X, y)
    weighted = BackpropClassifier(**params).fit(X, y, sample_weight=weights)
    # Full-batch training: an integer weight is the same as repeating the sample.
    counts = np.where(np.arange(len(y)) % 3 == 0, 2, 1)
    repeated = BackpropClassifier(**params).fit(X.repeat(counts, axis=0), y.repeat(counts))
    by_weight = BackpropClassifier(**params).fit(X, y, sample_weight=counts)
    assert (weighted.predict(X) == 2).sum() > (plain.predict(X) == 2).sum() + 20
    np.testing.assert_allclose(by_weight.predict_proba(X), repeated.predict_proba(X), rtol=1e-6)


def test_class_weight(blobs):
    X, y = blobs
    rare = np.flatnonzero(y == 1)[:15]
    keep = np.concatenate([np.flatnonzero(y != 1), rare])
    X, y = X[keep], y[keep]
    params = quiet(max_iter=60, tol=1e-3)
    plain = BackpropClassifier(**params).fit(X, y)
    balanced = BackpropClassifier(**params, class_weight="balanced").fit(X, y)
    as_dict = BackpropClassifier(**params, class_weight={1: 5.0}).fit(X, y)
    as_weights = BackpropClassifier(**params).fit(X, y, sample_weight=np.where(y == 1, 5, 1))
    recall = [(clf.predict(X[y == 1]) == 1).mean() for clf in (plain, balanced)]
    assert recall[1] > recall[0]
    np.testing.assert_array_equal(as_dict.predict_proba(X), as_weights.predict_proba(X))
    with pytest.raises(ValueError, match="class_weight='balanced' is not supported for partial"):
        clone(balanced).partial_fit(X, y, classes=[0, 1, 2])


def test_partial_fit_errors(blobs):
    X, y = blobs
    clf = BackpropClassifier(**quiet())
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert clf.n_outputs_ == 3
    with pytest.raises(ValueError, match=r"`y` has classes not in `self\.classes_`"):
        clf.partial_fit(X[:3], [0, 1, 7])
    with pytest.raises(ValueError, match="not the same as on the first call"):
        clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        BackpropClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])
    # One class is not an error (as in MLPClassifier): the network learns to answer it.
    one = BackpropClassifier(**quiet(max_iter=5)).fit(X, np.full(len(X), "only"))
    assert one.predict(X[:4]).tolist() == ["only"] * 4
    assert one.predict_proba(X[:4]).tolist() == [[1.0]] * 4


# -- regression ----------------------------------------------------------------------------------


def test_multi_output_regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    Y = np.column_stack([X[:, 0] - X[:, 1], np.tanh(X[:, 2]) * 2.0, X[:, 0] * X[:, 2]])
    params = quiet(hidden_layer_sizes=(32,), max_iter=300, batch_size=50)
    multi = BackpropRegressor(**params).fit(X, Y)
    assert multi.n_outputs_ == 3 and multi.out_activation_ == "identity"
    # scikit-learn's squared_error steps on each output's error a - y: half the sum's gradient
    assert multi.network_.loss.name == "half_squared_error"
    assert multi.predict(X).shape == (200, 3)
    assert multi.score(X, Y) > 0.9
    single = BackpropRegressor(**params).fit(X, Y[:, 0])
    assert single.predict(X).shape == (200,)
    assert single.score(X, Y[:, 0]) > 0.95


def test_regressor_partial_fit_and_sigmoid_output():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 2))
    y = 1 / (1 + np.exp(-(X[:, 0] + X[:, 1])))
    reg = BackpropRegressor(**quiet(output="logistic", loss="binary_cross_entropy"))
    for _ in range(150):
        reg.partial_fit(X, y)
    assert reg.out_activation_ == "sigmoid" and reg.n_iter_ == 150
    assert reg.score(X, y) > 0.9
    assert np.all((reg.predict(X) > 0) & (reg.predict(X) < 1))


# -- training control ----------------------------------------------------------------------------


class Snapshots(bp.Callback):
    """Copies of the network's parameters after every epoch."""

    def __init__(self) -> None:
        self.epochs: list[list[np.ndarray]] = []

    def on_epoch_end(self, epoch, logs):
        self.epochs.append([p.copy() for p in self.network.parameters])


def test_early_stopping_records_validation_curves(blobs):
    X, y = blobs
    snapshots = Snapshots()
    clf = BackpropClassifier(
        **quiet(early_stopping=True, n_iter_no_change=5, max_iter=500, learning_rate_init=0.05),
        callbacks=[snapshots],
    )
    clf.fit(X, y)
    val_losses, val_scores = clf.validation_loss_curve_, clf.validation_scores_
    assert val_losses is not None and val_scores is not None
    assert clf.n_iter_ < 500
    assert len(clf.loss_curve_) == len(val_losses) == len(val_scores) == clf.n_iter_
    assert clf.best_loss_ is None
    assert clf.best_validation_score_ == max(val_scores)
    assert val_losses[-1] < val_losses[0]
    # Stopped n_iter_no_change + 1 epochs after the best, whose weights the network keeps.
    best = int(np.argmax(val_scores))
    assert best == clf.n_iter_ - 7
    for kept, at_best in zip(clf.network_.parameters, snapshots.epochs[best], strict=True):
        np.testing.assert_array_equal(kept, at_best)
    without = BackpropClassifier(**quiet(max_iter=20)).fit(X, y)
    assert without.validation_loss_curve_ is None and without.validation_scores_ is None
    assert without.best_loss_ == min(without.loss_curve_)


def test_convergence_stops_or_warns(blobs):
    X, y = blobs
    with pytest.warns(ConvergenceWarning, match=r"max_iter=3\)"):
        BackpropClassifier(**quiet(max_iter=3)).fit(X, y)
    # A tolerance no epoch can beat: the first epoch sets the best loss, and training stops
    # once n_iter_no_change more epochs have been no better (as in MLPClassifier).
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = BackpropClassifier(**quiet(tol=100.0, n_iter_no_change=4)).fit(X, y)
    assert clf.n_iter_ == 6
    mlp = MLPClassifier((16,), tol=100.0, n_iter_no_change=4, random_state=0).fit(X, y)
    assert mlp.n_iter_ == clf.n_iter_


def test_deterministic_with_random_state(blobs):
    X, y = blobs
    params = quiet(max_iter=30, early_stopping=True, validation_fraction=0.2)
    a, b = (BackpropClassifier(**params).fit(X, y) for _ in range(2))
    c = BackpropClassifier(**{**params, "random_state": 1}).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.loss_curve_ == b.loss_curve_ and a.validation_scores_ == b.validation_scores_
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))


def test_warm_start_continues(blobs):
    X, y = blobs
    clf = BackpropClassifier(**quiet(max_iter=10, warm_start=True))
    clf.fit(X, y)
    first = clf.loss_curve_[-1]
    network = clf.network_
    clf.set_params(learning_rate_init=0.001).fit(X, y)
    assert clf.network_ is network
    assert len(clf.loss_curve_) == 20 and clf.n_iter_ == 10
    assert clf.loss_curve_[10] < first
    assert clf._optimizer.lr == 0.001
    with pytest.raises(ValueError, match="warm_start=True"):
        clf.set_params(hidden_layer_sizes=(8,)).fit(X, y)


def test_callbacks_see_validation_metrics_and_can_stop(blobs, capsys):
    X, y = blobs

    class Record(bp.Callback):
        def __init__(self):
            self.logs = []

        def on_epoch_end(self, epoch, logs):
            self.logs.append(dict(logs))

    record = Record()
    stop = bp.EarlyStopping(monitor="val_loss", patience=2)
    clf = BackpropClassifier(
        **quiet(early_stopping=True, n_iter_no_change=1000, max_iter=1000, verbose=1),
        callbacks=[record, stop],
    )
    clf.fit(X, y)
    assert clf.n_iter_ < 1000
    assert {"loss", "val_loss", "val_score"} <= set(record.logs[0])
    assert [logs["val_loss"] for logs in record.logs] == clf.validation_loss_curve_
    assert stop.network is clf.network_
    printed = capsys.readouterr()
    assert "Iteration 1, loss = " in printed.out


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"solver": "newton"}, "solver='newton' is not supported: expected one of adam"),
        ({"learning_rate": "cosine"}, "learning_rate='cosine' is not supported: expected one"),
        ({"activation": "softmax"}, "activation='softmax' is not supported: expected one of"),
        ({"activation": ["relu", "tanh"]}, "activation=.* has 2 entries"),
        ({"activation": ["softmax"]}, r"activation\[0\]='softmax'"),
        ({"hidden_layer_sizes": (4, 0)}, r"hidden_layer_sizes\[1\]=0"),
        ({"learning_rate_init": 0.0}, r"learning_rate_init must be a positive .* got 0\.0"),
        ({"batch_size": 0}, "batch_size must be 'auto', None or an integer >= 1, got 0"),
        ({"alpha": -1.0}, r"alpha must be a finite number >= 0, got -1\.0"),
        ({"loss": "hinge"}, "loss='hinge' is not supported: expected one of"),
        ({"output": "softplus"}, "output='softplus' is not supported: expected one of"),
        ({"loss": "cross_entropy", "output": "sigmoid"}, "loss='cross_entropy' needs"),
        ({"momentum": 1.5}, r"momentum must be a number in \[0, 1\], got 1\.5"),
        ({"validation_fraction": 1.0}, r"validation_fraction must be a number in \[0, 1\)"),
        ({"power_t": -0.5}, r"power_t must be a finite number >= 0, got -0\.5"),
        ({"class_weight": "auto"}, "class_weight must be a dict .*'balanced' or None, got 'auto'"),
        ({"init": "zeros"}, "init='zeros' is not supported: expected one of"),
        ({"dtype": "float16"}, "dtype='float16' is not supported: expected one of"),
    ],
)
def test_bad_hyperparameters_name_the_parameter(blobs, params, message):
    X, y = blobs
    clf = BackpropClassifier(**params)  # only stored
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"hidden_layer_sizes": "10"}, TypeError, "hidden_layer_sizes must be an integer or a"),
        ({"max_iter": 2.0}, TypeError, r"max_iter must be an integer >= 1, got 2\.0"),
        ({"shuffle": "yes"}, TypeError, "shuffle must be True or False, got 'yes'"),
        ({"random_state": -1}, ValueError, r"random_state must be an integer from 0 to 2\*\*32"),
        ({"verbose": -1}, ValueError, "verbose must be a bool or an integer >= 0, got -1"),
        ({"tol": -1.0}, ValueError, r"tol must be a finite number >= 0, got -1\.0"),
        ({"n_iter_no_change": 0}, ValueError, "n_iter_no_change must be an integer >= 1 or np.inf"),
        ({"beta_2": 1.0}, ValueError, r"beta_2 must be a number in \[0, 1\), got 1\.0"),
        ({"epsilon": 0.0}, ValueError, r"epsilon must be a positive finite number, got 0\.0"),
        ({"max_fun": 0}, ValueError, r"max_fun must be an integer >= 1, got 0"),
        ({"callbacks": bp.Callback()}, TypeError, "callbacks must be a list of backprop.Callback"),
    ],
)
@pytest.mark.parametrize("Estimator", [BackpropClassifier, BackpropRegressor])
def test_every_parameter_is_checked_when_training_starts(blobs, Estimator, params, error, message):
    X, y = blobs
    estimator = Estimator(**params)  # only stored
    with pytest.raises(error, match=message):
        estimator.fit(X, y)
    with pytest.raises(error, match=message):
        estimator.partial_fit(X, y, *([np.unique(y)] if Estimator is BackpropClassifier else []))


def test_feature_names_are_recorded_checked_and_saved(blobs, tmp_path: Path):
    pd = pytest.importorskip(
        "pandas", reason="pandas comes with the test extras: pip install -e '.[test]'"
    )
    X, y = blobs
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    clf = BackpropClassifier(**quiet(max_iter=5))
    clf.fit(frame, y)
    assert list(clf.feature_names_in_) == [f"f{i}" for i in range(5)]
    assert clf.n_features_in_ == 5
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(frame[["f1", "f0", "f2", "f3", "f4"]])
    clf.save(tmp_path / "clf.npz")
    loaded = BackpropClassifier.load(tmp_path / "clf.npz")
    assert loaded.feature_names_in_.dtype == object
    np.testing.assert_array_equal(loaded.feature_names_in_, clf.feature_names_in_)
    np.testing.assert_array_equal(loaded.predict(frame), clf.predict(frame))


# -- saving --------------------------------------------------------------------------------------


def test_save_and_load_classifier(blobs, tmp_path: Path):
    X, y = blobs
    labels = np.array(["a", "b", "c"], dtype=object)[y]
    clf = BackpropClassifier(
        **quiet(max_iter=20, early_stopping=True),
        activation=["tanh"],
        class_weight={"a": 2.0},
        n_iter_no_change=np.inf,
    )
    clf.fit(X, labels)
    path = clf.save(tmp_path / "clf.npz")
    loaded = BackpropClassifier.load(path)

    assert loaded.get_params() == clf.get_params()
    assert loaded.hidden_layer_sizes == (16,) and loaded.class_weight == {"a": 2.0}
    assert loaded.classes_.dtype == clf.classes_.dtype and list(loaded.classes_) == ["a", "b", "c"]
    for name in ("n_iter_", "loss_curve_", "validation_scores_", "validation_loss_curve_"):
        assert getattr(loaded, name) == getattr(clf, name)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    assert bp.load(path).sizes == clf.network_.sizes  # a plain backprop model file

    # The optimizer's moments and the shuffling generator were saved: training goes on alike.
    clf.set_params(early_stopping=False)
    loaded.set_params(early_stopping=False)
    clf.partial_fit(X, labels)
    loaded.partial_fit(X, labels)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))

    with pytest.raises(bp.ModelFileError, match=r"load it with BackpropClassifier\.load"):
        BackpropRegressor.load(path)


def test_save_and_load_regressor(tmp_path: Path):
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(50, 3)), rng.normal(size=(50, 2))
    reg = BackpropRegressor(**quiet(max_iter=5), callbacks=[bp.Callback()])
    reg.fit(X, Y)
    with pytest.warns(UserWarning, match="leaves out callbacks"):
        reg.save(tmp_path / "reg.npz")
    loaded = BackpropRegressor.load(tmp_path / "reg.npz")
    assert loaded.callbacks is None and loaded.n_outputs_ == 2
    assert not hasattr(loaded, "feature_names_in_")
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))

    bp.save(reg.network_, tmp_path / "net.npz")
    with pytest.raises(bp.ModelFileError):
        BackpropRegressor.load(tmp_path / "net.npz")


def test_pickle_and_joblib_round_trip(blobs, tmp_path: Path):
    X, y = blobs
    labels = np.array(["a", "b", "c"])[y]
    clf = BackpropClassifier(**quiet(max_iter=10)).fit(X, labels)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    joblib.dump(clf, tmp_path / "clf.joblib")
    restored = joblib.load(tmp_path / "clf.joblib")
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))
    restored.partial_fit(X, labels)
    clf.partial_fit(X, labels)
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_a_subclass_with_a_parameter_of_its_own_trains():
    """Parameters the estimators have no rule for are the subclass's to check."""

    class WithExtra(BackpropClassifier):
        def __init__(self, hidden_layer_sizes=(3,), extra=1, **kwargs):
            super().__init__(hidden_layer_sizes=hidden_layer_sizes, **kwargs)
            self.extra = extra

    X = np.random.default_rng(0).random((20, 2))
    y = np.arange(20) % 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert WithExtra(max_iter=2).fit(X, y).extra == 1


@pytest.mark.parametrize("sizes", [np.array([3]), range(3, 5)])
def test_layer_sizes_given_as_an_array_or_range_survive_save_and_load(tmp_path, sizes):
    X = np.random.default_rng(0).random((20, 2))
    y = np.arange(20) % 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = BackpropClassifier(sizes, max_iter=2, random_state=0).fit(X, y)
        clf.save(tmp_path / "c.npz")
        loaded = BackpropClassifier.load(tmp_path / "c.npz")
        assert list(loaded.hidden_layer_sizes) == list(sizes)
        loaded.partial_fit(X, y)  # continues the same network
