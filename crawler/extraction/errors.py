"""The extraction pool's own error, importable without the pool (and multiprocessing)."""

from __future__ import annotations


class ExtractionTimeout(TimeoutError):
    """A page took longer than its time limit; its worker was stopped and replaced."""
