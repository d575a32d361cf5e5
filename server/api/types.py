"""Field types the API's declarations share: exact money, times with an offset, bounded texts and ids."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from msgspec import Meta

# A JSON number or a decimal string, decoded exactly (never through a float); answered as a string.
Money = Annotated[
    Decimal,
    Meta(
        description="A decimal amount; sent as a string it stays exact.",
        extra_json_schema={
            "type": ["string", "number"],
            "pattern": r"^[0-9]{1,12}(\.[0-9]{1,4})?$",
            "minimum": 0,
            "maximum": 1e12,
        },
    ),
]
# RFC 3339 with a UTC offset: a time without one would be read in an unknown zone.
Time = Annotated[datetime, Meta(tz=True)]
Text64 = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"\S")]
Text128 = Annotated[str, Meta(min_length=1, max_length=128, pattern=r"\S")]
Name = Annotated[str, Meta(min_length=1, max_length=80, pattern=r"\S", description="A display name.")]
