"""Data: the built-in sets, MNIST's IDX files, the user's CSV files, and preprocessing."""
