"""Sales Arena server: ASGI app, HTTP API, websocket hub and ingestion."""

__version__ = "0.1.0"
