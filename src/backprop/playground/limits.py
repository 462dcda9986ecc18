"""The playground's bounds, in one place: what a page may ask of the server.

A page is driven by whoever loads it, so every size it sends is bounded before any array is
allocated: an upload, a message, the network, the grid the boundary is drawn on, the rows of
a data set. A request beyond a bound is answered with a message naming it, never a crash.
"""

#: Largest CSV file a page may upload, in bytes (20 MB), as the README documents it.
MAX_UPLOAD_BYTES = 20 * 1000 * 1000
#: Most rows of an uploaded data set: the page trains live, an epoch per frame.
MAX_ROWS = 10_000
#: Most classes of an uploaded data set: each is an output neuron, whose surface every frame
#: sends (grid x grid numbers) and whose weights an explained step checks one by one.
MAX_CLASSES = 20
#: Largest WebSocket message from a page, in bytes: settings and clicks are small.
MAX_MESSAGE_BYTES = 64 * 1024
#: Most hidden layers, and most neurons in one (TensorFlow Playground allows 6 of 8).
MAX_HIDDEN_LAYERS = 8
MAX_NEURONS = 32
#: The boundary is computed on a GRID x GRID lattice of the plane; GRID is bounded both ways.
MIN_GRID, MAX_GRID = 10, 100
#: Largest learning rate, L2 factor and batch size a page may set.
MAX_LR = 10.0
MAX_L2 = 1.0
MAX_BATCH = MAX_ROWS
#: Most browser tabs served at once (each holds a data set and a network).
MAX_SESSIONS = 64


def as_dict() -> dict[str, float]:
    """The bounds, for the page to show and respect."""
    return {
        "max_upload_bytes": MAX_UPLOAD_BYTES,
        "max_rows": MAX_ROWS,
        "max_classes": MAX_CLASSES,
        "max_message_bytes": MAX_MESSAGE_BYTES,
        "max_hidden_layers": MAX_HIDDEN_LAYERS,
        "max_neurons": MAX_NEURONS,
        "min_grid": MIN_GRID,
        "max_grid": MAX_GRID,
        "max_lr": MAX_LR,
        "max_l2": MAX_L2,
    }
