"""Both languages from the catalogs: every marked string translated, locale choice, money and dates."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from server.i18n import catalogs as i18n
from server.i18n import rules_text
from tests.support.server import RunningServer

STATIC = Path(i18n.WEB_DIR) / "static"


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_marked_string_is_in_the_catalog(locale: str) -> None:
    assert i18n.untranslated(locale) == []


def test_po_files_compile_to_mo_that_gettext_reads() -> None:
    header = "Content-Type: text/plain; charset=UTF-8\\nPlural-Forms: nplurals=1; plural=0;\\n"
    entries = i18n.parse_po(f'msgid ""\nmsgstr "{header}"\n\nmsgid "Hi"\nmsgstr "你好"\n')
    catalog = i18n.gettext.GNUTranslations(i18n.io.BytesIO(i18n.compile_mo(entries)))
    assert catalog.gettext("Hi") == "你好"
    assert i18n.gettext_for("zh-CN").gettext("Sales Arena") == "销售竞技场"
    assert i18n.gettext_for("zh-CN").ngettext("at most %(n)s point a day", "at most %(n)s points a day", 40) == (
        "每天最多 %(n)s 分"
    )
    assert i18n.gettext_for("en").ngettext("at most %(n)s point a day", "at most %(n)s points a day", 1) == (
        "at most %(n)s point a day"
    )


def test_no_user_visible_chinese_is_hard_coded_in_scripts() -> None:
    """Scripts get their words from the page (translated by the catalogs), never their own."""
    for path in STATIC.glob("*.js"):
        assert not re.search(r"[\u4e00-\u9fff]", path.read_text(encoding="utf-8")), path.name


@pytest.mark.parametrize(
    ("setting", "header", "default", "expected"),
    [
        ("en", "zh-CN,zh;q=0.9", "zh-CN", "en"),
        (None, "en-GB,en;q=0.9,zh;q=0.8", "zh-CN", "en"),
        (None, "de-DE,de;q=0.9,zh-TW;q=0.5", "en", "zh-CN"),
        (None, "fr", "en", "en"),
        (None, "", "zh-CN", "zh-CN"),
        (None, "en;q=0.2,zh-Hans;q=0.8", "en", "zh-CN"),
    ],
)
def test_locale_comes_from_the_setting_then_the_browser_then_the_default(
    setting: str | None, header: str, default: str, expected: str
) -> None:
    assert i18n.choose_locale(setting, header, default) == expected


def test_money_has_its_symbol_and_grouping() -> None:
    assert i18n.format_money("1280000", "CNY") == "¥1,280,000"
    assert i18n.format_money(1280000.5, "CNY", "en") == "¥1,280,000.50"
    assert i18n.format_money("-300000", "USD") == "-$300,000"
    assert i18n.format_money("99", "CHF") == "CHF 99"


def test_dates_are_shown_in_the_organisations_time_zone() -> None:
    moment = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    assert i18n.format_datetime(moment, "Asia/Shanghai", "zh-CN") == "2026年12月1日 00:30"
    assert i18n.format_datetime(moment, "Asia/Shanghai", "en") == "1 Dec 2026, 00:30"


def test_rules_read_as_one_sentence_in_each_language() -> None:
    definition = {
        "kind": "individual",
        "multipliers": {"category": {"high_margin": "1.5"}},
        "rules": [
            {"on": "deal.won", "points_per": 1000},
            {"on": "deal.won", "points": 20, "new_customer_only": True},
            {"on": "call.logged", "points": 1, "cap_per_day": 40},
        ],
    }
    assert rules_text.summary(definition, "zh-CN", "CNY") == (
        "每成交 ¥1,000 得 1 分；新客户成交额外 +20 分；电话：每次 +1 分，每天最多 40 分；高利润产品 ×1.5。"
    )
    assert rules_text.summary(definition, "en", "CNY") == (
        "1 point per ¥1,000 won; +20 points for each deal with a new customer; "
        "Call: +1 point each, at most 40 points a day; high-margin products ×1.5."
    )


@pytest.mark.parametrize(("header", "word"), [("zh-CN,zh;q=0.9", "登录"), ("en-US,en;q=0.9", "Sign in")])
def test_pages_follow_accept_language(server: RunningServer, header: str, word: str) -> None:
    page = httpx.get(server.base_url + "/login", headers={"Accept-Language": header})
    assert word in page.text
    assert page.headers["content-language"] == ("zh-CN" if header.startswith("zh") else "en")


def test_a_chosen_language_sticks_to_the_session(server: RunningServer) -> None:
    client = httpx.Client(base_url=server.base_url, headers={"Accept-Language": "zh-CN"})
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
    client.post("/locale", data={"locale": "en", "next": "/login", "csrf_token": token})
    assert "Sign in" in client.get("/login").text


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}|%%")
PRODUCT_NAMES = {"Zoho CRM"}  # written the same in Chinese


def _says_nothing_to_translate(msgid: str) -> bool:
    """A name, a number or placeholders only: the same text in both languages is right."""
    return msgid in PRODUCT_NAMES or not re.search(r"[A-Za-z]{2,}", PLACEHOLDER.sub("", msgid))


def test_every_message_used_by_pages_and_server_is_really_translated_to_chinese() -> None:
    """Not only present: non-empty, not the English left as it was, and with the same placeholders."""
    entries = {e.msgid: e for e in i18n.parse_po(i18n.catalog_path("zh-CN").read_text(encoding="utf-8"))}
    problems = []
    for message in sorted(i18n.all_messages(), key=str):
        msgid = message[0] if isinstance(message, tuple) else message
        entry = entries.get(msgid)
        forms = (entry.msgstr if isinstance(entry.msgstr, list) else [entry.msgstr]) if entry else []
        if not forms or not all(forms):
            problems.append(f"untranslated: {msgid!r}")
            continue
        if any(form == msgid for form in forms) and not _says_nothing_to_translate(msgid):
            problems.append(f"left in English: {msgid!r}")
        wanted = sorted(PLACEHOLDER.findall(msgid))
        if any(sorted(PLACEHOLDER.findall(form)) != wanted for form in forms):
            problems.append(f"placeholders differ: {msgid!r} → {forms!r}")
    assert problems == []


def test_every_page_that_names_its_own_field_error_words_has_them() -> None:
    """A page's ``{page: "x"}`` in its script finds words in PAGE_WORDS, for fields and for statuses only."""
    from server.i18n.field_messages import PAGE_WORDS

    named = {page for script in STATIC.glob("*.js") for page in re.findall(r'\bpage: "([\w-]+)"', script.read_text())}
    assert named == set(PAGE_WORDS), named ^ set(PAGE_WORDS)
    for page, parts in PAGE_WORDS.items():
        assert set(parts) <= {"fields", "statuses"} and parts.get("fields"), page
        for status in parts.get("statuses", {}):
            assert re.fullmatch(r"(\w+\.)?[45]\d\d", status), (page, status)


def test_field_error_patterns_read_the_same_in_python_and_the_page() -> None:
    """Plain groups only (JavaScript's RegExp reads them alike), each pattern matches the message it was made for."""
    from server.i18n.field_messages import MESSAGES

    for pattern, words in MESSAGES:
        assert "(?P" not in pattern and "(?<" not in pattern, pattern
        groups = re.compile(pattern).groups
        assert set(re.findall(r"\{(\d)\}", words)) <= {str(n) for n in range(1, groups + 1)}, (pattern, words)
