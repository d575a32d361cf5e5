"""The console's people page at scale (real server, real Redis, the page's HTML as a browser gets it): reps a
page of 50 at a time in a stable order, searched by id or name in Chinese or Latin whatever the case, narrowed
to a team, with counts in both languages and links that keep the search; a manager sees only their teams; each
row keeps its edit form. Reps come in through the CSV import, 1,000 to a file, like a directory sync."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from server.services.rep_listing import PAGE_SIZE
from tests.support.accounts import Browser, signed_in
from tests.support.org import import_reps, unique
from tests.support.server import RunningServer

REPS = 2_120  # 43 pages: 42 full ones and 20 on the last
LISTED = re.compile(r'<tr data-rep="([^"]+)">')
COUNT = re.compile(r'<p class="muted" id="rep-count">(.*?)</p>', re.S)
PAGER = re.compile(r'<nav class="row-flex pager".*?</nav>', re.S)
LINK = re.compile(r'<a class="button"(?: rel="(?:prev|next)")? href="([^"]+)">([^<]+)</a>')


@pytest.fixture(scope="module")
def org(server: RunningServer) -> dict[str, str]:
    """A team of 2,120 reps (every third an "Alice Chen", the others 王小明) and a second team of three with
    the same names, all imported."""
    team, other = unique("big"), unique("other")
    with server.admin() as admin:
        for team_id, name in ((team, "华南大区"), (other, "华北")):
            assert admin.put(f"/api/v1/teams/{team_id}", json={"name": name}).status_code == 201
        reps = [(f"{team}-{n:04d}", "Alice Chen" if n % 3 == 0 else f"王小明{n}", team) for n in range(REPS)]
        import_reps(admin, reps + [(f"{other}-{n}", "Alice Chen", other) for n in range(3)])
    return {"team": team, "other": other}


@pytest.fixture(scope="module")
def admin_session(server: RunningServer) -> Browser:
    session = Browser(server)
    assert session.login("admin", "admin-test-password").status_code == 303
    return session


def people(session: Browser, **query: str | int) -> httpx.Response:
    response = session.client.get("/admin/people", params=query)
    assert response.status_code == 200, response.text[:500]
    return response


def listed(response: httpx.Response) -> list[str]:
    return LISTED.findall(response.text)


def count(response: httpx.Response) -> str:
    found = COUNT.search(response.text)
    assert found, response.text[:500]
    return html.unescape(" ".join(found.group(1).split()))


def links(response: httpx.Response) -> dict[str, str]:
    """The pager's links by their words (none when there is one page)."""
    pager = PAGER.search(response.text)
    return {text: html.unescape(href) for href, text in LINK.findall(pager.group(0))} if pager else {}


def test_a_team_is_listed_fifty_reps_a_page_in_id_order_and_every_rep_once(
    admin_session: Browser, org: dict[str, str]
) -> None:
    first = people(admin_session, team=org["team"], lang="en")
    assert listed(first) == [f"{org['team']}-{n:04d}" for n in range(PAGE_SIZE)]
    assert count(first).startswith("1–50 of 2,120 · ")  # and all the reps the shared server holds
    assert "Page 1 of 43" in first.text
    seen: list[str] = []
    response = first
    while True:  # through the Next links, as a user would
        seen += listed(response)
        following = links(response).get("Next")
        if following is None:
            break
        assert f"team={org['team']}" in following and "lang=en" in following
        response = admin_session.client.get(following)
    assert seen == [f"{org['team']}-{n:04d}" for n in range(REPS)]
    assert count(response).startswith("2,101–2,120 of 2,120 · ") and len(listed(response)) == 20
    assert set(links(response)) == {"First", "Previous"}
    assert listed(people(admin_session, team=org["team"], page=999)) == listed(response)  # beyond: the last page
    assert listed(people(admin_session, team=org["team"], page="x")) == listed(first)


@pytest.mark.parametrize(
    ("locale", "words"),
    [("en", "1–50 of 710 · 2,123 reps in all"), ("zh-CN", "第 1–50 位，共 710 位 · 全部销售 2,123 位")],
)
def test_a_search_finds_latin_names_whatever_the_case_and_chinese_ones_with_counts(
    server: RunningServer, org: dict[str, str], locale: str, words: str
) -> None:
    with server.admin() as admin:
        manager = signed_in(server, admin, "manager", teams=[org["team"], org["other"]])
    alice = [n for n in range(REPS) if n % 3 == 0]  # 707 in the big team, 3 more in the other
    for query in ("alice", "ALICE CHEN", "ａｌｉｃｅ", " Alice "):
        response = people(manager, q=query, team=org["team"], lang=locale)
        assert listed(response) == [f"{org['team']}-{n:04d}" for n in alice[:PAGE_SIZE]], query
    everywhere = people(manager, q="alice", lang=locale)
    assert count(everywhere) == words  # the team's 707 and the other team's 3
    chinese = people(manager, q="王小明1", team=org["team"], lang=locale)  # 王小明1, 王小明10…, 王小明1000…
    expected = [f"{org['team']}-{n:04d}" for n in range(REPS) if n % 3 and str(n).startswith("1")]
    assert listed(chinese) == expected[:PAGE_SIZE]
    assert count(chinese).startswith("1–50 of " if locale == "en" else "第 1–50 位")
    by_id = people(manager, q=f"{org['team']}-20", team=org["team"], lang="en")
    assert listed(by_id) == [f"{org['team']}-{n}" for n in range(2000, 2100)][:PAGE_SIZE]
    following = links(by_id)["Next"]
    assert f"q={org['team']}-20" in following and f"team={org['team']}" in following and "page=2" in following
    assert listed(manager.client.get(following)) == [f"{org['team']}-{n}" for n in range(2050, 2100)]
    nothing = people(manager, q="no such rep anywhere", lang=locale)
    assert (
        listed(nothing) == []
        and ("No rep matches this search." if locale == "en" else "没有符合条件的销售") in nothing.text
    )


def test_a_manager_sees_only_their_teams_reps_and_no_other_team_by_asking(
    server: RunningServer, org: dict[str, str]
) -> None:
    with server.admin() as admin:
        manager = signed_in(server, admin, "manager", teams=[org["other"]])
    own = people(manager, lang="en")
    assert listed(own) == [f"{org['other']}-{n}" for n in range(3)] and count(own) == "1–3 of 3"
    assert "Page 1 of" not in own.text  # one page: no pager
    assert listed(people(manager, team=org["team"])) == []
    assert listed(people(manager, q=org["team"])) == []


def test_each_row_keeps_its_edit_form_and_a_team_change_saves_with_the_csrf_token(
    admin_session: Browser, org: dict[str, str]
) -> None:
    rep = f"{org['team']}-0003"
    page = people(admin_session, q=rep).text
    row = page[page.index(f'<tr data-rep="{rep}">') :]
    row = row[: row.index("</tr>")]
    assert f'href="/admin/reps/{rep}"' in row and 'data-api="PUT /api/v1/reps/{id}"' in row
    assert f'value="{org["team"]}"' in row and 'list="team-choices"' in row
    assert re.search(r'<datalist id="team-choices">.*<option value="' + org["other"], page, re.S)
    moved = {"name": "Alice Chen", "team": org["other"], "active": True, "opted_out": False}
    refused = admin_session.client.put(f"/api/v1/reps/{rep}", json=moved)  # no token: not the console's form
    assert refused.status_code == 403, refused.text
    saved = admin_session.call("PUT", f"/api/v1/reps/{rep}", json=moved)
    assert saved.status_code == 200, saved.text
    assert rep in listed(people(admin_session, q=rep, team=org["other"]))
    assert rep not in listed(people(admin_session, team=org["team"]))
    admin_session.call("PUT", f"/api/v1/reps/{rep}", json={**moved, "team": org["team"]})


def test_at_most_fifty_teams_are_listed_to_edit_and_a_search_finds_the_others(
    server: RunningServer, admin_session: Browser
) -> None:
    prefix = unique("many")
    with server.admin() as admin:
        for n in range(51):
            assert admin.put(f"/api/v1/teams/{prefix}-{n:02d}", json={"name": f"区域 {n}"}).status_code == 201
    shown = people(admin_session, q=prefix, lang="en").text
    assert len(re.findall(rf'<input type="hidden" name="id" value="{prefix}-\d\d">', shown)) == 50
    assert "50 of 51 teams: search above for the others." in shown
    last = people(admin_session, q=f"{prefix}-50", lang="en").text
    assert f'<input type="hidden" name="id" value="{prefix}-50">' in last and "teams: search above" not in last
    chosen = people(admin_session, team=f"{prefix}-07").text
    assert re.findall(rf'<input type="hidden" name="id" value="({prefix}-\d\d)">', chosen) == [f"{prefix}-07"]
