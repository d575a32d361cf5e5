"""The one credential a request presents, chosen from its headers and query string alone."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from server.auth.credentials import choose_credential, credential_of

COOKIE = ("cookie", "arena_session=signed.value; lang=zh-CN")


def choose(query: str, *headers: tuple[str, str]) -> tuple[str, str]:
    chosen = choose_credential(Headers(raw=[(k.encode(), v.encode()) for k, v in headers]), query.encode())
    return chosen.kind, chosen.secret


@pytest.mark.parametrize(
    ("query", "headers", "expected"),
    [
        ("", (), ("none", "")),
        ("", (COOKIE,), ("session", "")),
        ("", (("cookie", "other_session=x"),), ("none", "")),
        ("", (("authorization", "Bearer ak_1"), COOKIE), ("bearer", "ak_1")),
        ("token=tv_1", (COOKIE,), ("token", "tv_1")),
        ("lang=en&token=tv_1", (), ("token", "tv_1")),
    ],
)
def test_a_well_formed_credential_is_chosen(query: str, headers: tuple[tuple[str, str], ...], expected: object) -> None:
    assert choose(query, *headers) == expected


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("token=", (COOKIE,)),
        ("token", (COOKIE,)),
        ("token=x&token=", (COOKIE,)),
        ("token=x&token=x", ()),
        ("tok%65n=x&token=y", (COOKIE,)),
        ("", (("authorization", "Bearer"), COOKIE)),
        ("", (("authorization", "Bearer   "), COOKIE)),
        ("", (("authorization", "Basic YTpi"), COOKIE)),
        ("", (("authorization", "Bearer a"), ("authorization", "Bearer b"))),
        ("token=tv_1", (("authorization", "Bearer ak_1"),)),
    ],
)
def test_a_malformed_or_doubled_credential_is_invalid_never_the_cookie(
    query: str, headers: tuple[tuple[str, str], ...]
) -> None:
    assert choose(query, *headers)[0] == "invalid"


def test_the_choice_is_made_once_per_request_and_kept_in_its_state() -> None:
    scope = {"type": "http", "headers": [(b"cookie", COOKIE[1].encode())], "query_string": b""}
    first = credential_of(scope)
    assert first.kind == "session" and first.ambient
    scope["query_string"] = b"token=x"  # read again after a change: the first choice stands
    assert credential_of(scope) is first and scope["state"]["credential"] is first
