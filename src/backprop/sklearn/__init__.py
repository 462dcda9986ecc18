"""scikit-learn estimators around :class:`backprop.Network`."""

from backprop.sklearn.estimators import BackpropClassifier, BackpropRegressor

__all__ = ["BackpropClassifier", "BackpropRegressor"]
