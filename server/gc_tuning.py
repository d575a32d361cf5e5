"""Garbage-collector settings for a process that holds thousands of long-lived connections.

Every screen's connection is a couple of dozen objects the cyclic collector tracks, so at 10k screens a
full collection walks a quarter of a million objects and stops the event loop for 100–200 ms, mid-way
through a fan-out. With the default thresholds (a young collection every 700 allocations) the objects of
every in-flight request are still alive at some young collection, get promoted, and trigger such a full
collection every few seconds. A larger young generation lets request garbage die young; freezing what
start-up created keeps modules, classes and the app out of every later collection.
"""

from __future__ import annotations

import gc

YOUNG_GENERATION = 50_000  # allocations between young collections (CPython's default: 700)


def configure() -> None:
    """Called once before serving."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION, middle, old)


def freeze_startup_objects() -> None:
    """Called once the app has started: what exists now lives as long as the process."""
    gc.collect()
    gc.freeze()
