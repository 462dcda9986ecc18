"""Cases that several test files train: one home for the table, so that they test the same."""

#: (output activation, loss) pairs: every loss, and softmax without its fused delta.
OUTPUTS = [
    ("sigmoid", "half_squared_error"),
    ("identity", "mse"),
    ("tanh", "squared_error"),
    ("sigmoid", "binary_cross_entropy"),
    ("softmax", "cross_entropy"),
    ("softmax", "mse"),
    ("exp", "poisson"),
]
