"""A training run: what ``backprop train`` does (configuration, run folder, reports, plots)."""
