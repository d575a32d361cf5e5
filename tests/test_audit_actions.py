"""Every action code the server writes to the audit log has a name in words, in both languages."""

from __future__ import annotations

import ast
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.api.contests import ACTIONS
from server.api.disputes import ResolveInput
from server.i18n.audit_actions import ACTION_NAMES, action_name
from server.services.insights import DECISIONS

SERVER = Path(__file__).resolve().parents[1] / "server"
# Functions that write an audit entry, and where their action argument sits (position, keyword).
WRITERS = {
    "queue_entry": (2, "action"),
    "_write": (4, "action"),
    "put_contest": (2, "action"),
    "create_contest": (2, "action"),
    "record_decision": (3, "action"),
    "resolve": (3, "audit"),
    "add": (2, "action"),  # server/services/recognition_store.py: a kudos or award moment and its audit entry
}
# Codes built from a value (f"contest.{action}"): what that value may be, from where the server declares it.
DYNAMIC = {
    "contest.": ACTIONS,
    "dispute.": typing.get_args(typing.get_type_hints(ResolveInput)["decision"]),
    "flag.": DECISIONS,
}


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for named in call.keywords:
        if named.arg == keyword:
            return named.value
    return call.args[position] if len(call.args) > position else None


def _codes(node: ast.expr, function: ast.FunctionDef | ast.AsyncFunctionDef, where: str) -> Iterator[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _codes(node.body, function, where)
        yield from _codes(node.orelse, function, where)
    elif isinstance(node, ast.JoinedStr):
        prefix = node.values[0]
        assert isinstance(prefix, ast.Constant) and prefix.value in DYNAMIC and len(node.values) == 2, (
            f"{where}: an action code built from a value the test cannot enumerate; add it to DYNAMIC"
        )
        yield from (f"{prefix.value}{value}" for value in DYNAMIC[prefix.value])
    elif isinstance(node, ast.Name):
        arguments = function.args
        if node.id in {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}:
            assert function.name in WRITERS, f"{where}: {function.name} passes an action on: add it to WRITERS"
            return  # its callers are scanned
        assigned = [
            n.value
            for n in ast.walk(function)
            if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == node.id for t in n.targets)
        ]
        assert assigned, f"{where}: cannot tell which action {node.id} is"
        for value in assigned:
            yield from _codes(value, function, where)
    else:
        raise AssertionError(f"{where}: an action code the test cannot read: {ast.dump(node)}")


def written_codes() -> dict[str, str]:
    """Every action code a call to an audit writer in the server can write → where it is written."""
    found: dict[str, str] = {}
    for path in sorted(SERVER.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for call in ast.walk(function):
                if not isinstance(call, ast.Call):
                    continue
                name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
                if name not in WRITERS:
                    continue
                argument = _argument(call, *WRITERS[name])
                if argument is None:
                    continue  # another function of the same name (Path.resolve())
                where = f"{path.relative_to(SERVER.parent)}:{call.lineno}"
                for code in _codes(argument, function, where):
                    found.setdefault(code, where)
    return found


def test_the_scan_finds_the_writers_it_must() -> None:
    codes = written_codes()
    for code in ("contest.create", "contest.launch", "contest.rescore.switch", "contest.late.dismiss", "badge.put"):
        assert code in codes
    assert "dispute.accepted" in codes and "flag.reverse" in codes


def test_every_action_code_written_anywhere_has_a_name() -> None:
    missing = {code: where for code, where in written_codes().items() if code not in ACTION_NAMES}
    assert missing == {}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_names_are_words_not_codes(locale: str) -> None:
    for code in ACTION_NAMES:
        name = action_name(code, locale)
        assert name and "." not in name and "_" not in name, (code, name)
    assert action_name("contest.create", "zh-CN") == "创建了竞赛"
    assert action_name("contest.create", "en") == "Created the contest"
    assert action_name("something.new", "en") == "something.new"
