"""BackpropClassifier and BackpropRegressor as drop-ins for MLPClassifier and MLPRegressor:
the same solvers (and the same numbers where both start from the same weights), schedules,
fitted attributes, errors, multilabel targets, sparse input and scikit-learn 1.9's callbacks."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import scipy.sparse
from sklearn.datasets import load_diabetes, load_iris, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.neural_network._stochastic_optimizers import SGDOptimizer
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

import backprop as bp
from backprop.sklearn import BackpropClassifier, BackpropRegressor
from backprop.sklearn.monitor import set_learning_rate

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def iris() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def diabetes() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), (y - y.mean()) / y.std()


def start_from_sklearns_weights(ours, X, y, random_state):
    """Build ``ours`` (a warm-started estimator), then give it the initial weights that
    MLPClassifier/MLPRegressor(random_state=random_state) draw: Glorot uniform weights and
    biases, layer by layer, from one RandomState (sklearn's _init_coef, for relu and tanh)."""
    ours.set_params(warm_start=True, max_iter=1).fit(X, y)
    rng = np.random.RandomState(random_state)
    sizes = ours.network_.sizes
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        ours.coefs_[i] = rng.uniform(-bound, bound, (fan_in, fan_out))
        ours.intercepts_[i] = rng.uniform(-bound, bound, fan_out)
    return ours


# -- L-BFGS ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("binary", [False, True], ids=["multiclass", "binary"])
def test_lbfgs_classifier_reaches_sklearns_loss_from_the_same_weights(iris, binary):
    X, y = iris
    y = y == 1 if binary else y
    settings = {"hidden_layer_sizes": (10,), "activation": "tanh", "solver": "lbfgs"}
    theirs = MLPClassifier(**settings, max_iter=20, random_state=0).fit(X, y)
    ours = start_from_sklearns_weights(BackpropClassifier(**settings), X, y, 0)
    ours.set_params(max_iter=20).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 20
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
def test_lbfgs_regressor_reaches_sklearns_loss_from_the_same_weights(diabetes, weighted):
    X, y = diabetes
    weights = np.arange(len(y)) % 3 + 0.5 if weighted else None
    settings = {"hidden_layer_sizes": (10,), "solver": "lbfgs", "alpha": 1e-3}
    theirs = MLPRegressor(**settings, max_iter=50, random_state=0)
    theirs.fit(X, y, sample_weight=weights)
    ours = start_from_sklearns_weights(BackpropRegressor(**settings), X, y, 0)
    ours.set_params(max_iter=50).fit(X, y, sample_weight=weights)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-5, atol=1e-6)


def test_lbfgs_records_its_iterations_and_keeps_no_optimizer(iris, tmp_path):
    X, y = iris
    clf = BackpropClassifier((8,), solver="lbfgs", max_iter=30, random_state=0).fit(X, y)
    assert len(clf.loss_curve_) == clf.n_iter_ <= 30
    assert clf.loss_ == pytest.approx(clf.loss_curve_[-1])
    assert not hasattr(clf, "partial_fit")  # as MLPClassifier(solver="lbfgs")
    loaded = BackpropClassifier.load(clf.save(tmp_path / "lbfgs.npz"))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    loaded.set_params(warm_start=True, max_iter=5).fit(X, y)  # continues without an optimizer


# -- SGD: momentum, Nesterov and the schedules ---------------------------------------------------


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_steps_equal_sklearns_sgd_optimizer_as_the_learning_rate_changes(nesterov):
    """Our Momentum with set_learning_rate takes scikit-learn's SGDOptimizer's steps, also when
    the rate changes between them (invscaling, adaptive)."""
    rng = np.random.default_rng(0)
    start = rng.normal(size=6)
    theirs_params = [start.copy()]
    sgd = SGDOptimizer(theirs_params, 0.1, "invscaling", momentum=0.9, nesterov=nesterov)
    ours = start.copy()
    momentum = bp.Momentum(lr=0.1, momentum=0.9, nesterov=nesterov)
    for step in range(12):
        grad = rng.normal(size=6)
        sgd.update_params(theirs_params, [grad.copy()])
        momentum.step([ours], [grad.copy()])
        if step % 3 == 2:  # the rate changes after some steps
            sgd.iteration_ends(step * 10)
            set_learning_rate(momentum, sgd.learning_rate)
        np.testing.assert_allclose(ours, theirs_params[0], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    ("learning_rate", "batch_size", "nesterovs_momentum"),
    [("invscaling", 150, True), ("adaptive", 30, True), ("constant", 50, False)],
)
def test_sgd_trains_as_mlpclassifier_from_the_same_weights(
    iris, learning_rate, batch_size, nesterovs_momentum
):
    """Unshuffled, from the same weights, our "sgd" takes MLPClassifier's steps: momentum,
    Nesterov, the schedules (and when they divide the rate), the L2 penalty's scale."""
    X, y = iris
    settings = {
        "solver": "sgd", "learning_rate": learning_rate, "learning_rate_init": 0.2,
        "power_t": 0.25, "batch_size": batch_size, "nesterovs_momentum": nesterovs_momentum,
        "shuffle": False, "max_iter": 15, "alpha": 0.01, "tol": 1e-2, "n_iter_no_change": 2,
    }  # fmt: skip
    theirs = MLPClassifier((10,), "tanh", random_state=0, **settings).fit(X, y)
    # Built by one L-BFGS iteration (which leaves no optimizer state), then given sklearn's
    # initial weights and a fresh record of losses.
    ours = BackpropClassifier((10,), "tanh", solver="lbfgs")
    ours = start_from_sklearns_weights(ours, X, y, 0)
    ours.best_loss_, ours.loss_curve_ = np.inf, []
    ours.set_params(**settings).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours._optimizer.lr == pytest.approx(theirs._optimizer.learning_rate, rel=1e-12)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-12)
    # The curves agree but for the L2 term, which ours takes at the end of each epoch and
    # scikit-learn's before each step.
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-2)


def test_adam_trains_as_mlpclassifier_from_the_same_weights_up_to_epsilon(iris):
    """Our Adam is PyTorch's, which adds epsilon to the bias-corrected RMS; scikit-learn's adds
    it before the correction: the steps differ by that much, and no more."""
    X, y = iris
    settings = {
        "solver": "adam", "learning_rate_init": 0.01, "batch_size": 30, "shuffle": False,
        "max_iter": 30, "alpha": 0.01, "tol": 0.0, "n_iter_no_change": 100,
    }  # fmt: skip
    theirs = MLPClassifier((10,), "tanh", random_state=0, **settings).fit(X, y)
    ours = BackpropClassifier((10,), "tanh", solver="lbfgs")
    ours = start_from_sklearns_weights(ours, X, y, 0)
    ours.best_loss_, ours.loss_curve_ = np.inf, []
    ours.set_params(**settings).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-5)


def test_sgd_defaults_to_nesterov_momentum_and_momentum_0_to_plain_descent(iris):
    X, y = iris
    clf = BackpropClassifier((4,), solver="sgd", max_iter=2, random_state=0).fit(X, y)
    assert isinstance(clf._optimizer, bp.Momentum)
    assert (clf._optimizer.momentum, clf._optimizer.nesterov) == (0.9, True)
    plain = BackpropClassifier((4,), solver="sgd", momentum=0, max_iter=2, random_state=0)
    assert type(plain.fit(X, y)._optimizer) is bp.SGD
    # momentum=1, allowed by scikit-learn, trains too.
    BackpropClassifier((4,), solver="sgd", momentum=1.0, max_iter=2).fit(X, y)
    # "momentum", this package's older name for "sgd", is the same solver.
    old = BackpropClassifier((4,), solver="momentum", max_iter=2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(old.network_.parameter_vector, clf.network_.parameter_vector)


def test_invscaling_rate_after_each_epoch_is_its_formula(iris):
    X, y = iris
    rates = []

    class Record(bp.Callback):
        def on_epoch_end(self, epoch, logs):
            rates.append(clf._optimizer.lr)

    clf = BackpropClassifier(
        (4,), solver="sgd", learning_rate="invscaling", learning_rate_init=0.5, power_t=0.3,
        max_iter=4, batch_size=50, random_state=0, callbacks=[Record()],
    )  # fmt: skip
    clf.fit(X, y)
    expected = [0.5 / (150 * epoch + 1) ** 0.3 for epoch in range(1, 5)]
    assert rates == pytest.approx(expected, rel=1e-15)
    # adam ignores the schedule, as MLPClassifier's does
    adam = BackpropClassifier((4,), learning_rate="invscaling", max_iter=3, random_state=0)
    assert adam.fit(X, y)._optimizer.lr == 0.001


def test_adaptive_divides_the_rate_by_5_where_training_would_stop(iris):
    X, y = iris
    clf = BackpropClassifier(
        (4,), solver="sgd", learning_rate="adaptive", learning_rate_init=0.1, tol=10.0,
        n_iter_no_change=2, max_iter=9, random_state=0,
    )  # fmt: skip
    clf.fit(X, y)
    # tol=10 makes every epoch after the first one without progress: the rate is divided
    # after epochs 4 and 7 (more than 2 epochs without progress each time).
    assert clf.n_iter_ == 9
    assert clf._optimizer.lr == pytest.approx(0.1 / 25)


# -- parameters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [{"solver": "newton"}, {"momentum": 1.5}, {"max_iter": 2.0}, {"learning_rate": "step"}],
)
def test_bad_parameters_raise_sklearns_invalid_parameter_error(iris, params):
    """As MLPClassifier: an InvalidParameterError, which is a ValueError and a TypeError."""
    X, y = iris
    with pytest.raises(InvalidParameterError) as raised:
        BackpropClassifier(**params).fit(X, y)
    assert isinstance(raised.value, ValueError) and isinstance(raised.value, TypeError)
    assert next(iter(params)) in str(raised.value)


def test_every_mlp_parameter_is_accepted():
    """Every parameter of MLPClassifier and MLPRegressor is one of ours, with its default
    (but for MLPRegressor's loss, which ours takes as None: squared_error for a new network)."""
    for theirs, ours in [
        (MLPClassifier(), BackpropClassifier()),
        (MLPRegressor(), BackpropRegressor()),
    ]:
        for name, default in theirs.get_params().items():
            mine = ours.get_params()[name]
            if name == "loss":
                assert default == "squared_error" and mine is None
            elif name == "verbose":
                assert not default and not mine
            else:
                assert mine == default, name


# -- fitted attributes ---------------------------------------------------------------------------


def test_coefs_and_intercepts_are_the_networks_arrays(iris):
    X, y = iris
    clf = BackpropClassifier((5, 4), max_iter=3, random_state=0).fit(X, y)
    assert clf.n_layers_ == 4 and clf.n_outputs_ == 3 and clf.out_activation_ == "softmax"
    assert [W.shape for W in clf.coefs_] == [(4, 5), (5, 4), (4, 3)]
    assert [b.shape for b in clf.intercepts_] == [(5,), (4,), (3,)]
    before = clf.predict_proba(X[:2])
    clf.coefs_[0][0, 0] = 7.0  # writing into an array changes the network
    assert clf.network_.layers[0].weights[0, 0] == 7.0
    clf.intercepts_[2][0] += 1.0
    assert not np.array_equal(clf.predict_proba(X[:2]), before)
    clf.intercepts_[2] = np.zeros(3)  # so does assigning an entry (copied into the network)
    np.testing.assert_array_equal(clf.network_.layers[2].bias, 0.0)


def test_coefs_and_intercepts_can_be_assigned_whole(iris):
    X, y = iris
    source = BackpropClassifier((5,), max_iter=3, random_state=0).fit(X, y)
    target = BackpropClassifier((5,), max_iter=3, random_state=1).fit(X, y)
    target.coefs_, target.intercepts_ = source.coefs_, source.intercepts_  # copied, as MLP's
    np.testing.assert_array_equal(target.predict_proba(X), source.predict_proba(X))
    assert target.coefs_[0] is not source.coefs_[0]  # each keeps its own arrays
    with pytest.raises(ValueError, match=r"coefs_ holds one array per layer, 2 here, got 1"):
        target.coefs_ = source.coefs_[:1]
    with pytest.raises(ValueError, match=r"coefs_\[1\] has shape \(5, 3\).*shape \(3, 5\)"):
        target.coefs_[1] = np.zeros((3, 5))
    with pytest.raises(AttributeError, match="intercepts_ can be assigned once the estimator is"):
        BackpropClassifier().intercepts_ = source.intercepts_


@pytest.mark.parametrize("Estimator", [BackpropClassifier, BackpropRegressor])
def test_parameters_follow_the_input_dtype(iris, Estimator):
    X, y = iris
    est = Estimator((4,), max_iter=2, random_state=0)
    assert est.fit(X.astype(np.float32), y).network_.dtype == np.float32
    assert est.fit(X, y).network_.dtype == np.float64
    assert est.set_params(dtype="float32").fit(X, y).network_.dtype == np.float32


# -- regression losses ----------------------------------------------------------------------------


def test_poisson_regressor_has_an_exponential_output_and_learns_counts():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(300, 2))
    y = rng.poisson(np.exp(1.0 + X[:, 0] - 0.5 * X[:, 1]))
    reg = BackpropRegressor((), loss="poisson", solver="lbfgs", alpha=0.0, random_state=0)
    reg.fit(X, y)
    assert reg.out_activation_ == "exp" and reg.network_.loss.name == "poisson"
    np.testing.assert_allclose(reg.coefs_[0][:, 0], [1.0, -0.5], atol=0.15)
    assert (reg.predict(X) > 0).all()
    with pytest.raises(ValueError, match="counts"):
        BackpropRegressor(loss="poisson").fit(X, -y - 1)


def test_squared_error_loss_is_sklearns_for_several_targets(diabetes):
    X, y = diabetes
    Y = np.column_stack([y, y**2])
    reg = BackpropRegressor((6,), solver="lbfgs", max_iter=5, alpha=0.0, random_state=0)
    reg.fit(X, Y)
    # Trained on half the sum over the targets (MLPRegressor's deltas a - y), reported as
    # half the mean over them (MLPRegressor's loss_).
    assert reg.network_.loss.name == "half_squared_error"
    assert reg.loss_ == pytest.approx(0.5 * np.mean((reg.predict(X) - Y) ** 2), rel=1e-9)
    assert reg.loss_curve_[-1] == reg.loss_


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_several_targets_train_as_mlpregressor_from_the_same_weights(diabetes, solver):
    """MLPRegressor steps on each output's error a - y (not on the gradient of the mean over
    the targets that its loss_ reports): ours takes the same steps and reports the same loss_."""
    X, y = diabetes
    Y = np.column_stack([y, -y, 0.5 * y])
    settings = {
        "solver": solver, "learning_rate_init": 0.01, "shuffle": False, "max_iter": 10,
        "alpha": 0.01, "batch_size": 34, "momentum": 0.5, "n_iter_no_change": 100,
    }  # fmt: skip
    # (34 divides the 442 samples: on a shorter last batch scikit-learn divides alpha by that
    # batch's size, Network.fit by batch_size.)
    theirs = MLPRegressor(hidden_layer_sizes=(8,), activation="tanh", random_state=0, **settings)
    theirs.fit(X, Y)
    ours = start_from_sklearns_weights(BackpropRegressor((8,), "tanh", solver="lbfgs"), X, Y, 0)
    ours.best_loss_, ours.loss_curve_ = np.inf, []
    ours.set_params(**settings).fit(X, Y)
    # Adam's steps differ in where epsilon enters (see the classifier's test above).
    tolerance = 1e-12 if solver == "sgd" else 1e-4
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), atol=tolerance)
    # The L2 term is taken at the end of each epoch here, before each step there.
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-2)


# -- edge cases ------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_equal_sample_weights_still_scale_alpha_as_in_sklearn(iris, solver):
    """alpha is relative to the samples' summed weight: weights of 5 for every sample are
    alpha / 5 (as in MLPClassifier), though the network sees no weights at all."""
    X, y = iris
    settings = {"solver": solver, "max_iter": 5, "random_state": 0}
    weighted = BackpropClassifier((5,), alpha=1.0, **settings)
    weighted.fit(X, y, sample_weight=np.full(len(y), 5.0))
    fifth = BackpropClassifier((5,), alpha=0.2, **settings).fit(X, y)
    np.testing.assert_allclose(weighted.predict_proba(X), fifth.predict_proba(X), atol=1e-9)


def test_class_weights_of_zero_for_every_class_are_refused(iris):
    X, y = iris
    with pytest.raises(ValueError, match="zero for every sample"):
        BackpropClassifier(class_weight={0: 0.0, 1: 0.0, 2: 0.0}).fit(X, y)


def test_huge_inputs_get_a_value_error_that_points_at_the_data(iris):
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match=r"values as large as 3.09e\+300.*StandardScaler"):
            BackpropRegressor((4,)).fit(X * 1e300, y)
        # scaled data that diverges points at the learning rate instead
        with pytest.raises(ValueError, match=r"non-finite.*lower learning_rate_init"):
            BackpropRegressor((4,), solver="sgd", learning_rate_init=1e6).fit(X, y * 1e6)


def test_early_stopping_with_a_class_too_rare_to_stratify_raises():
    X = np.arange(20.0).reshape(10, 2)
    y = np.array(["a"] * 9 + ["b"])
    with pytest.raises(ValueError, match=r"least populated class.*\['b'\]"):
        BackpropClassifier(early_stopping=True).fit(X, y)


def test_early_stopping_splits_multiclass_data_as_mlp_classifier_does():
    """Found in a bug hunt: 20 samples of 3 classes with a 0.1 split failed in
    train_test_split (2 held out, fewer than the classes) where MLPClassifier, which
    stratifies binary targets only, fits."""
    rng = np.random.RandomState(0)
    X = 3 * rng.uniform(size=(20, 3))
    y = X[:, 0].astype(int)
    MLPClassifier(early_stopping=True, max_iter=30, random_state=0).fit(X, y)
    clf = BackpropClassifier(early_stopping=True, max_iter=30, random_state=0).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_


def test_early_stopping_when_the_held_out_weights_are_all_zero():
    """The held-out part weighed nothing: a ZeroDivisionError from np.average (a bug hunt).
    It is scored unweighted."""
    rng = np.random.RandomState(0)
    X = rng.randn(40, 2)
    y = (X[:, 0] > 0).astype(int)
    weights = np.r_[np.ones(10), np.zeros(30)]
    clf = BackpropClassifier(
        early_stopping=True, max_iter=5, random_state=1, validation_fraction=0.2
    ).fit(X, y, sample_weight=weights)
    assert len(clf.validation_scores_) == 5
    assert all(0 <= s <= 1 for s in clf.validation_scores_)


def test_early_stopping_needs_something_held_out():
    with pytest.raises(ValueError, match=r"validation_fraction=0.0 holds nothing out"):
        BackpropClassifier(early_stopping=True, validation_fraction=0.0).fit(
            np.arange(20.0).reshape(10, 2), np.arange(10) % 2
        )


def test_sparse_input_on_the_torch_backend():
    """The estimator's tags say sparse: backend='torch' refused it."""
    pytest.importorskip("torch", reason="PyTorch is not installed")
    X = scipy.sparse.random(30, 5, density=0.3, format="csr", random_state=0)
    y = np.arange(30) % 2
    dense = BackpropClassifier(backend="torch", max_iter=5, random_state=0).fit(X.toarray(), y)
    sparse = BackpropClassifier(backend="torch", max_iter=5, random_state=0).fit(X, y)
    np.testing.assert_array_equal(sparse.predict_proba(X), dense.predict_proba(X))


# -- multilabel ------------------------------------------------------------------------------------


def test_multilabel_targets_get_one_sigmoid_per_label(tmp_path):
    X, Y = make_multilabel_classification(n_samples=60, n_classes=4, random_state=0)
    clf = BackpropClassifier((20,), solver="lbfgs", max_iter=200, random_state=0).fit(X, Y)
    assert clf.out_activation_ == "sigmoid" and clf.network_.loss.name == "binary_cross_entropy"
    assert clf.classes_.tolist() == [0, 1, 2, 3] and clf.n_outputs_ == 4
    proba = clf.predict_proba(X)
    assert proba.shape == (60, 4)
    np.testing.assert_array_equal(clf.predict(X), (proba >= 0.5).astype(int))
    assert clf.score(X, Y) > 0.9
    loaded = BackpropClassifier.load(clf.save(tmp_path / "multilabel.npz"))
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    with pytest.raises(ValueError, match="multilabel"):
        clf.set_params(warm_start=True).fit(X, Y[:, 0])


# -- sparse input -------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [scipy.sparse.csr_matrix, scipy.sparse.csc_array])
@pytest.mark.parametrize("shuffle", [True, False])
def test_sparse_input_trains_exactly_as_dense(iris, make, shuffle):
    X, y = iris
    X = np.where(np.abs(X) < 0.5, 0.0, X)  # zeros for a sparse matrix to leave out
    params = {"hidden_layer_sizes": (6,), "max_iter": 3, "batch_size": 32, "shuffle": shuffle}
    dense = BackpropClassifier(**params, random_state=0).fit(X, y)
    sparse = BackpropClassifier(**params, random_state=0).fit(make(X), y)
    np.testing.assert_array_equal(sparse.network_.parameter_vector, dense.network_.parameter_vector)
    np.testing.assert_array_equal(sparse.predict_proba(make(X)), dense.predict_proba(X))
    sparse.partial_fit(make(X), y)
    dense.partial_fit(X, y)
    np.testing.assert_array_equal(sparse.network_.parameter_vector, dense.network_.parameter_vector)
    early = BackpropClassifier(**params, early_stopping=True, random_state=0)
    early.fit(make(X), y)  # the held-out part stays sparse too


def test_sparse_matrix_of_the_wrong_width_gets_one_clear_error(iris):
    X, y = iris
    clf = BackpropClassifier((4,), max_iter=2).fit(scipy.sparse.csr_matrix(X), y)
    with pytest.raises(ValueError, match="X has 3 features, but BackpropClassifier is expecting 4"):
        clf.predict(scipy.sparse.csr_matrix(X[:, :3]))
    net = bp.Network([4, 3, 3], output="softmax")
    with pytest.raises(ValueError, match=r"sparse matrix of shape \(150, 3\).*sizes\[0\]=4"):
        net.fit(scipy.sparse.csr_matrix(X[:, :3]), y)


def test_network_fit_takes_a_sparse_matrix(iris):
    X, y = iris
    nets = [bp.Network([4, 5, 3], "tanh", "softmax", seed=0) for _ in range(2)]
    nets[0].fit(X, y, epochs=2, batch_size=16)
    nets[1].fit(scipy.sparse.csr_matrix(X), y, epochs=2, batch_size=16)
    np.testing.assert_array_equal(nets[0].parameter_vector, nets[1].parameter_vector)


# -- scikit-learn 1.9's callbacks -----------------------------------------------------------------


def test_scoring_monitor_sees_one_subtask_per_epoch(iris):
    callback = pytest.importorskip("sklearn.callback", reason="scikit-learn >= 1.9")
    X, y = iris
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = BackpropClassifier((8,), max_iter=5, learning_rate_init=0.01, random_state=0)
    clf.set_callbacks(monitor).fit(X, y)
    rows = monitor.get_logs().data
    epochs = [row for row in rows if row["task_name"] == "epoch"]
    assert [row["task_id"] for row in epochs] == [0, 1, 2, 3, 4]
    # each epoch is scored with the network as it was after that epoch
    last = BackpropClassifier((8,), max_iter=5, learning_rate_init=0.01, random_state=0)
    assert epochs[-1]["accuracy"] == last.fit(X, y).score(X, y)


def test_scoring_monitor_and_progress_bar_in_a_grid_search(iris):
    callback = pytest.importorskip("sklearn.callback", reason="scikit-learn >= 1.9")
    X, y = iris
    monitor = callback.ScoringMonitor(scoring="accuracy")
    estimator = BackpropClassifier((8,), max_iter=3, random_state=0).set_callbacks(monitor)
    search = GridSearchCV(estimator, {"learning_rate_init": [0.01, 0.1]}, cv=2)
    search.set_callbacks(callback.ProgressBar())
    search.fit(X, y)
    rows = monitor.get_logs().data
    # 2 candidates x 2 folds, and the refit: 5 fits of 3 epochs each
    assert sum(row["task_name"] == "epoch" for row in rows) == 15
    assert sum(row["task_name"] == "fit" for row in rows) == 5


def test_lbfgs_reports_one_subtask_per_iteration(iris):
    callback = pytest.importorskip("sklearn.callback", reason="scikit-learn >= 1.9")
    X, y = iris
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = BackpropClassifier((8,), solver="lbfgs", max_iter=7, random_state=0)
    clf.set_callbacks(monitor).fit(X, y)
    rows = monitor.get_logs().data
    assert sum(row["task_name"] == "lbfgs-iteration" for row in rows) == clf.n_iter_ == 7


def test_a_schedule_goes_on_across_partial_fit_calls(iris):
    X, y = iris
    schedule = bp.ExponentialDecay(rate=0.5)
    clf = BackpropClassifier((4,), learning_rate_init=0.1, random_state=0, callbacks=[schedule])
    rates = []
    for _ in range(3):
        clf.partial_fit(X, y, classes=[0, 1, 2])
        rates.append(clf._optimizer.lr)
    assert rates == [0.1, 0.05, 0.025]  # epochs 0, 1, 2 of one training
    clf.set_params(max_iter=2).fit(X, y)  # a fit is a training of its own: from epoch 0
    assert clf._optimizer.lr == 0.05


def test_convergence_warning_points_at_the_callers_line(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning) as caught:
        BackpropClassifier((4,), max_iter=1).fit(X, y)
    assert caught[0].filename == __file__


# -- dropout ------------------------------------------------------------------------------------


def test_dropout_trains_deterministically_and_predicts_with_the_whole_network(iris, tmp_path):
    X, y = iris
    params = {"hidden_layer_sizes": (16, 8), "max_iter": 5, "random_state": 0}
    plain = BackpropClassifier(**params).fit(X, y)
    dropped = BackpropClassifier(**params, dropout=[0.5, 0.2]).fit(X, y)
    again = BackpropClassifier(**params, dropout=[0.5, 0.2]).fit(X, y)
    np.testing.assert_array_equal(
        dropped.network_.parameter_vector, again.network_.parameter_vector
    )
    assert not np.array_equal(dropped.network_.parameter_vector, plain.network_.parameter_vector)
    # prediction is deterministic: the network without masks
    np.testing.assert_array_equal(dropped.predict_proba(X), dropped.network_.predict(X))
    loaded = BackpropClassifier.load(dropped.save(tmp_path / "dropout.npz"))
    assert loaded.dropout == [0.5, 0.2]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"dropout": 1.5}, r"dropout=1\.5: 1\.5 is not a rate"),
        ({"dropout": [0.1]}, r"dropout=\[0\.1\] has 1 rates but the network has 2 hidden"),
        ({"dropout": 0.2, "solver": "lbfgs"}, "dropout=0.2 needs a stochastic solver"),
    ],
)
def test_bad_dropout_gets_one_clear_error(iris, params, message):
    X, y = iris
    with pytest.raises(InvalidParameterError, match=message):
        BackpropRegressor((4, 4), **params).fit(X, y)


def test_network_predict_refuses_a_sparse_matrix_in_one_line(iris):
    X, _ = iris
    with pytest.raises(TypeError, match=r"X is a sparse matrix of shape \(150, 4\).*toarray"):
        bp.Network([4, 3, 3]).predict(scipy.sparse.csr_matrix(X))
