"""Test package: importable as tests.*, pytest prepend mode puts the repo root on sys.path."""
