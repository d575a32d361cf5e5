"""Languages: gettext catalogs (``web/locale/<lang>/LC_MESSAGES/messages.po``), locale choice, money and dates.

The ``.po`` files are the source of truth and are compiled to the binary ``.mo`` form in memory when the
process starts (a few dozen lines of stdlib code below), so a fresh checkout needs no build step and no
Babel. ``python -m server.i18n compile`` writes the ``.mo`` files for tools that want them on disk;
``python -m server.i18n update`` adds every string the templates and server code mark for translation to
both catalogs (English msgids; the ``en`` catalog repeats them so wording can change without code).

Locale choice, first match wins: the user's own setting, the browser's ``Accept-Language``, ``ARENA_LOCALE``.
"""

from __future__ import annotations

import ast
import gettext
import io
import struct
import sys
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from server.i18n.field_messages import field_errors_config

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
LOCALE_DIR = WEB_DIR / "locale"
TEMPLATE_DIR = WEB_DIR / "templates"
LOCALES = ("zh-CN", "en")
CATALOG_DIRS = {"zh-CN": "zh_CN", "en": "en"}
PLURAL_FORMS = {"zh-CN": "nplurals=1; plural=0;", "en": "nplurals=2; plural=(n != 1);"}
SERVER_DIR = Path(__file__).resolve().parents[1]


# --- catalogs ------------------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str
    msgstr: str | list[str]
    plural: str | None = None


def _unquote(text: str) -> str:
    body = text.strip()
    if len(body) < 2 or body[0] != '"' or body[-1] != '"':
        raise ValueError(f"expected a quoted string, got {text!r}")
    return ast.literal_eval(body)  # po escapes (\n \t \" \\) are Python's


def parse_po(text: str) -> list[Entry]:
    """The entries of a ``.po`` file (comments and obsolete entries skipped; msgctxt is not used here)."""
    entries: list[Entry] = []
    current: dict[str, object] = {}
    field: str | None = None

    def finish() -> None:
        if "msgid" in current:
            plural = current.get("msgid_plural")
            if plural is not None:
                forms = current.get("forms", {})
                assert isinstance(forms, dict)
                msgstr: str | list[str] = [forms[i] for i in sorted(forms)]
            else:
                msgstr = str(current.get("msgstr", ""))
            entries.append(Entry(str(current["msgid"]), msgstr, str(plural) if plural is not None else None))
        current.clear()

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            if line.startswith("msgid_plural "):
                field = "msgid_plural"
                current[field] = _unquote(line[len("msgid_plural ") :])
            elif line.startswith("msgid "):
                if "msgid" in current and ("msgstr" in current or current.get("forms")):
                    finish()
                field = "msgid"
                current[field] = _unquote(line[len("msgid ") :])
            elif line.startswith("msgstr["):
                index = int(line[len("msgstr[") : line.index("]")])
                forms = current.setdefault("forms", {})
                assert isinstance(forms, dict)
                forms[index] = _unquote(line[line.index("]") + 1 :])
                field = f"forms:{index}"
            elif line.startswith("msgstr "):
                field = "msgstr"
                current[field] = _unquote(line[len("msgstr ") :])
            elif line.startswith('"') and field:
                if field.startswith("forms:"):
                    forms = current["forms"]
                    assert isinstance(forms, dict)
                    forms[int(field[6:])] += _unquote(line)
                else:
                    current[field] = str(current[field]) + _unquote(line)
            else:
                raise ValueError(f"unexpected {line!r}")
        except (ValueError, SyntaxError) as exc:
            raise ValueError(f"line {number}: {exc}") from None
    finish()
    return entries


def compile_mo(entries: list[Entry]) -> bytes:
    """The GNU ``.mo`` bytes of a catalog (the format ``gettext.GNUTranslations`` reads)."""
    pairs: dict[bytes, bytes] = {}
    for entry in entries:
        if isinstance(entry.msgstr, list):
            if not any(entry.msgstr) and entry.msgid:
                continue
            key = (entry.msgid + "\0" + (entry.plural or "")).encode()
            pairs[key] = "\0".join(entry.msgstr).encode()
        elif entry.msgstr or not entry.msgid:
            pairs[entry.msgid.encode()] = entry.msgstr.encode()
    ids = sorted(pairs)
    header_size = 7 * 4
    originals_offset = header_size
    translations_offset = originals_offset + 8 * len(ids)
    data_offset = translations_offset + 8 * len(ids)
    originals = b""
    translations = b""
    original_table: list[tuple[int, int]] = []
    for key in ids:
        original_table.append((len(key), data_offset + len(originals)))
        originals += key + b"\0"
    translation_table: list[tuple[int, int]] = []
    base = data_offset + len(originals)
    for key in ids:
        value = pairs[key]
        translation_table.append((len(value), base + len(translations)))
        translations += value + b"\0"
    out = struct.pack("<7I", 0x950412DE, 0, len(ids), originals_offset, translations_offset, 0, 0)
    out += b"".join(struct.pack("<2I", *item) for item in original_table)
    out += b"".join(struct.pack("<2I", *item) for item in translation_table)
    return out + originals + translations


def catalog_path(locale: str) -> Path:
    return LOCALE_DIR / CATALOG_DIRS[locale] / "LC_MESSAGES" / "messages.po"


@cache
def translations(locale: str) -> gettext.GNUTranslations:
    """The compiled catalog of a locale, built once per process from its ``.po`` file."""
    entries = parse_po(catalog_path(locale).read_text(encoding="utf-8"))
    return gettext.GNUTranslations(io.BytesIO(compile_mo(entries)))


def gettext_for(locale: str) -> gettext.GNUTranslations:
    return translations(locale if locale in LOCALES else LOCALES[0])


# --- choosing the language -----------------------------------------------------------------------


def normalize(tag: str | None) -> str | None:
    """``zh``, ``zh-CN``, ``zh_Hans`` → ``zh-CN``; ``en-GB`` → ``en``; anything else → None."""
    if not tag:
        return None
    lowered = tag.strip().lower().replace("_", "-")
    if lowered.startswith("zh"):
        return "zh-CN"
    if lowered == "en" or lowered.startswith("en-"):
        return "en"
    return None


def from_accept_language(header: str) -> str | None:
    """The best supported language of an ``Accept-Language`` header, honouring q-values."""
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        locale = normalize(tag)
        if locale and quality > 0:
            choices.append((-quality, position, locale))
    return min(choices)[2] if choices else None


def choose_locale(setting: str | None, accept_language: str, default: str) -> str:
    return normalize(setting) or from_accept_language(accept_language) or normalize(default) or LOCALES[0]


# --- numbers, money, dates -----------------------------------------------------------------------

SYMBOLS = {"CNY": "¥", "JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$", "TWD": "NT$", "SGD": "S$"}


def format_number(value: int | float | Decimal | str, decimals: int = 0) -> str:
    """Grouped by thousands: 1280000 → 1,280,000 (both our languages group the same way)."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite() or number.adjusted() > 40:  # no amount is that large: shown as given
        return str(value)
    quantum = Decimal(1).scaleb(-decimals)
    with localcontext() as context:  # room for every digit of a large amount
        context.prec = max(context.prec, number.adjusted() + decimals + 2)
        return f"{number.quantize(quantum, rounding=ROUND_HALF_UP):,.{decimals}f}"


def format_score(score: int | float, percent: bool = False) -> str:
    """A board score as a reader sees it: points grouped by thousands, or on percent-of-target boards (which keep
    tenths of a percent so that 63.4 % and 63.9 % do not tie) a percentage with one decimal: 950 → 95.0%."""
    return f"{format_number(score / 10, 1)}%" if percent else format_number(score)


def format_money(amount: int | float | Decimal | str | None, currency: str, locale: str = "zh-CN") -> str:
    """¥1,280,000 — whole amounts without decimals, others with two; the symbol or the ISO code."""
    if amount is None or amount == "":
        return ""
    try:
        number = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    if not number.is_finite() or number.adjusted() > 40:
        return str(amount)
    symbol = SYMBOLS.get(currency.upper(), currency.upper() + " ")
    decimals = 0 if number == number.to_integral_value() else 2
    text = format_number(abs(number), decimals)
    return ("-" if number < 0 else "") + symbol + text


def format_datetime(value: datetime | str | None, timezone: str, locale: str, *, time: bool = True) -> str:
    """A moment in the organisation's time zone: 2026年12月1日 09:00 / 1 Dec 2026, 09:00."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(ZoneInfo(timezone))
    if locale == "zh-CN":
        text = f"{local.year}年{local.month}月{local.day}日"
    else:
        text = f"{local.day} {local:%b} {local.year}"
    if time:
        text += (" " if locale == "zh-CN" else ", ") + f"{local:%H:%M}"
    return text


# --- templates -----------------------------------------------------------------------------------


@cache
def environment(locale: str) -> Environment:
    """One Jinja2 environment per language, with the catalog installed (new-style gettext: ``_("x %(n)s",
    n=1)`` escapes and formats safely)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(("html", "xml"), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(gettext_for(locale), newstyle=True)  # type: ignore[attr-defined]
    env.globals["locale"] = locale
    env.globals["field_errors"] = field_errors_config(gettext_for(locale).gettext)
    env.filters["number"] = format_number
    env.filters["score"] = format_score
    env.filters["money"] = lambda amount, currency="CNY": format_money(amount, currency, locale)
    env.filters["when"] = lambda value, timezone, time=True: format_datetime(value, timezone, locale, time=time)
    return env


# --- extraction (tests and ``python -m server.i18n update``) -------------------------------------

PY_MARKERS = {"_", "N_", "_n_", "gettext", "ngettext"}
Message = str | tuple[str, str]  # a message, or (singular, plural)


def python_messages(path: Path) -> set[Message]:
    """Strings passed literally to ``_()``, ``N_()``, ``x.gettext()`` (and pairs to ``x.ngettext()``)."""
    found: set[Message] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name not in PY_MARKERS:
            continue
        texts = [a.value for a in node.args[:2] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if name == "ngettext" and len(texts) == 2:
            found.add((texts[0], texts[1]))
        elif name != "ngettext" and texts:
            found.add(texts[0])
    return found


def template_messages() -> set[Message]:
    env = Environment(extensions=["jinja2.ext.i18n"])  # extraction needs no catalog
    found: set[Message] = set()
    for path in sorted(TEMPLATE_DIR.rglob("*.html")):
        source = path.read_text(encoding="utf-8")
        for _lineno, function, message in env.extract_translations(source):  # type: ignore[attr-defined]
            texts = [m for m in (message if isinstance(message, tuple) else (message,)) if isinstance(m, str)]
            if function == "ngettext" and len(texts) >= 2:
                found.add((texts[0], texts[1]))
            elif texts:
                found.add(texts[0])
    return found


def all_messages() -> set[Message]:
    found = template_messages()
    for path in sorted(SERVER_DIR.rglob("*.py")):
        found |= python_messages(path)
    return found


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def update_catalogs() -> dict[str, int]:
    """Append every marked string missing from a catalog (zh-CN with an empty msgstr to translate)."""
    wanted = all_messages()
    added: dict[str, int] = {}
    for locale in LOCALES:
        path = catalog_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            header = (
                f"Content-Type: text/plain; charset=UTF-8\nLanguage: {locale}\nPlural-Forms: {PLURAL_FORMS[locale]}\n"
            )
            path.write_text(f'msgid ""\nmsgstr {_quote(header)}\n', encoding="utf-8")
        known = {entry.msgid for entry in parse_po(path.read_text(encoding="utf-8"))}
        missing = sorted((m for m in wanted if (m[0] if isinstance(m, tuple) else m) not in known), key=str)
        with path.open("a", encoding="utf-8") as out:
            for message in missing:
                english = locale == "en"
                if isinstance(message, tuple):
                    forms = message if english else ("",)
                    out.write(f"\nmsgid {_quote(message[0])}\nmsgid_plural {_quote(message[1])}\n")
                    out.write("".join(f"msgstr[{i}] {_quote(form)}\n" for i, form in enumerate(forms)))
                else:
                    out.write(f"\nmsgid {_quote(message)}\nmsgstr {_quote(message if english else '')}\n")
        added[locale] = len(missing)
    return added


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        print(update_catalogs())
        return 0
    if command == "compile":
        for locale in LOCALES:
            path = catalog_path(locale)
            path.with_suffix(".mo").write_bytes(compile_mo(parse_po(path.read_text(encoding="utf-8"))))
            print(path.with_suffix(".mo"))
        return 0
    wanted = all_messages()
    status = 0
    for locale in LOCALES:
        for message in sorted(untranslated(locale, wanted), key=str):
            print(f"{locale}: untranslated {message!r}")
            status = 1
    return status


def untranslated(locale: str, wanted: set[Message] | None = None) -> list[Message]:
    """Marked strings that the locale's catalog lacks or leaves empty."""
    entries = {e.msgid: e for e in parse_po(catalog_path(locale).read_text(encoding="utf-8"))}
    missing: list[Message] = []
    for message in all_messages() if wanted is None else wanted:
        msgid = message[0] if isinstance(message, tuple) else message
        entry = entries.get(msgid)
        translated = entry is not None and (all(entry.msgstr) if isinstance(entry.msgstr, list) else bool(entry.msgstr))
        if not translated or isinstance(message, tuple) != (entry is not None and entry.plural is not None):
            missing.append(message)
    return missing


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
