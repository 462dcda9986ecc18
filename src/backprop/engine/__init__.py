"""The engine: the math of backpropagation and nothing else.

Activations and losses (each one object that knows its value, slope, formula and scalar form),
weight initialisers, dense layers, the ``Network`` with its two passes, accuracy, and the
finite-difference gradient check. It imports nothing else of the package; ``Network.fit`` and
``Network.save`` are its two doors upward, to the training loop and the model file.
"""
