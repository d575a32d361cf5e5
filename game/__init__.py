"""The Sales Arena game engine: pure rules and scoring at the core, Redis access at the edge (store.py)."""
