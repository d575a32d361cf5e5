"""Validation errors that name the field at fault, so an API can answer with a precise 4xx."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class ValidationError(ValueError):
    """One or more fields are wrong; ``errors`` lists every one of them, not just the first."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationError:
        return cls([FieldError(field, message)])


class Collector:
    """Gathers field errors while a whole document is checked, then raises them together."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.errors: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        name = f"{self.prefix}.{field}" if self.prefix and field else (self.prefix or field)
        self.errors.append(FieldError(name, message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def required_name(document: dict[str, Any], errors: Collector, field: str = "name", limit: int = 80) -> str:
    """A display name that must be there: stripped, or "" with the error recorded."""
    value = document.get(field)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        errors.add(field, f"is required: a non-empty string of at most {limit} characters")
        return ""
    return value.strip()
