"""scikit-learn estimators around :class:`backprop.Network`.

:class:`BackpropClassifier` and :class:`BackpropRegressor` follow scikit-learn's estimator API,
so a backprop network drops into a ``Pipeline``, ``GridSearchCV``, ``cross_val_score`` or
``joblib.Parallel``. Their parameters carry scikit-learn's names (those of ``MLPClassifier``)
where the concept exists, and add what ``MLPClassifier`` lacks: an activation per hidden
layer, a choice of loss and output activation, a validation-loss curve, callbacks, a progress
bar and class weights.

>>> from backprop.sklearn import BackpropClassifier
>>> clf = BackpropClassifier(hidden_layer_sizes=(32,), activation=["tanh"], random_state=0)
>>> clf.fit(X, y).predict(X[:3])  # doctest: +SKIP
"""

from backprop.sklearn.classifier import BackpropClassifier
from backprop.sklearn.regressor import BackpropRegressor

__all__ = ["BackpropClassifier", "BackpropRegressor"]
