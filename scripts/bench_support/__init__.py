"""Helpers of ``scripts/bench_fanout.py``: the viewer process, the baseline servers, /proc readers."""
