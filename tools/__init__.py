"""Project tooling run by `tasks.py` (not shipped in the wheel or the image)."""
