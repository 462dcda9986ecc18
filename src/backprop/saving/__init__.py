"""Model files and checkpoints: ``.npz`` archives with a JSON header, read without pickle."""
