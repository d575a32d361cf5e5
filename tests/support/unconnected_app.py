"""The application built as the server builds it but pointed at no Redis: what its routes declare (paths,
operations, access rules, answers) can be read without starting anything."""

from __future__ import annotations

from server.app import create_app
from server.config import Settings
from server.redis_connection import RedisDeployment

APP = create_app(Settings(secret_key="openapi-test"), RedisDeployment(url="redis://127.0.0.1:1/0"))
