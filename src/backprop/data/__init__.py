"""Data: the built-in sets, MNIST's IDX files, the user's CSV files, and preprocessing.

>>> from backprop import data
>>> digits = data.load("digits")          # a Dataset: X, y, task, classes, feature names
>>> data.available()                      # the built-in names, with a line about each

``registry`` (what a DATASET name can be), ``dataset`` (the Dataset every loader returns),
``builtin``, ``mnist`` with ``idx``, ``csv_files``, and ``preprocessing`` (the scaler and the
stratified split).
"""

from backprop.data.builtin import make_spiral
from backprop.data.csv_files import load_csv, read_features
from backprop.data.dataset import TASKS, Dataset
from backprop.data.idx import read_idx
from backprop.data.mnist import DownloadError, IdxFileSpec, download_mnist, load_mnist, locate_mnist
from backprop.data.preprocessing import Scaler, train_test_split
from backprop.data.registry import available, load

__all__ = [
    "TASKS",
    "Dataset",
    "DownloadError",
    "IdxFileSpec",
    "Scaler",
    "available",
    "download_mnist",
    "load",
    "load_csv",
    "load_mnist",
    "locate_mnist",
    "make_spiral",
    "read_features",
    "read_idx",
    "train_test_split",
]
