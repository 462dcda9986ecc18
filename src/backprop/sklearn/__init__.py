"""scikit-learn estimators around :class:`backprop.Network`.

:class:`BackpropClassifier` and :class:`BackpropRegressor` follow scikit-learn's estimator API,
so a backprop network drops into a ``Pipeline``, ``GridSearchCV``, ``cross_val_score`` or
``joblib.Parallel``. They take every parameter of ``MLPClassifier`` and ``MLPRegressor`` with
its meaning there (the "lbfgs", "sgd" and "adam" solvers, the learning-rate schedules, the
stopping rule), have their fitted attributes (``coefs_`` and ``intercepts_`` are the network's
own arrays), take sparse input and multilabel targets, and report each epoch to scikit-learn
1.9's callbacks (``set_callbacks``). They add what ``MLPClassifier`` lacks: an activation per
hidden layer, a choice of loss and output activation, dropout, a validation-loss curve,
callbacks of this package, a progress bar, class weights and model files without pickle.

>>> from backprop.sklearn import BackpropClassifier
>>> clf = BackpropClassifier(hidden_layer_sizes=(32,), activation=["tanh"], random_state=0)
>>> clf.fit(X, y).predict(X[:3])  # doctest: +SKIP
"""

from backprop.sklearn.classifier import BackpropClassifier
from backprop.sklearn.regressor import BackpropRegressor

__all__ = ["BackpropClassifier", "BackpropRegressor"]
