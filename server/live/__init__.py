"""The live path: websocket connections, sessions, keepalive, viewers and their frames, and the hub that
turns board changes into diffs for every screen."""
