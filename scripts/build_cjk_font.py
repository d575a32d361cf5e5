"""Regenerate the Chinese web fonts the pages serve themselves (``web/static/fonts/``) and their licence.

    python -m scripts.build_cjk_font [--source-dir /usr/share/fonts/opentype/noto]

Many Linux TV sticks and kiosks have no CJK font, so Chinese would render as boxes. The pages therefore ship
Noto Sans CJK SC (SIL Open Font License 1.1, Debian's ``fonts-noto-cjk``) subset to the glyphs they can need:
the 6,763 characters of GB 2312 (level 1: the 3,755 most used; level 2 brings the rarer ones names are made
of, such as 怡, 琪, 昊: level 1 alone left names half drawn), Latin, digits and punctuation, plus every
character our own catalogs, templates, page scripts and badge texts use. Run it again after adding Chinese
text to the UI; ``tests/test_cjk_font.py`` fails until you do. Needs ``fonttools[woff]`` (a test dependency).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FONTS = ROOT / "web" / "static" / "fonts"
SOURCE_DIR = Path("/usr/share/fonts/opentype/noto")
FAMILY = "Noto Sans CJK SC"
WEIGHTS = {"regular": "NotoSansCJK-Regular.ttc", "bold": "NotoSansCJK-Bold.ttc"}
# Every file whose text can reach a page: catalogs, templates, page scripts, default badges, demo names.
UI_SOURCES = ("web/locale", "web/templates", "web/static", "game/badges/definitions.py", "game/badges/meaning.py")
UI_SUFFIXES = {".po", ".html", ".js", ".py"}
RANGES = (
    (0x20, 0x7E),  # ASCII
    (0xA0, 0xFF),  # Latin-1: ¥, ·, ×, accented names
    (0x2010, 0x2027),  # dashes, quotes, ellipsis
    (0x2030, 0x203A),
    (0x2190, 0x2193),  # arrows
    (0x3000, 0x3011),  # ideographic space, 、。 and the CJK brackets
    (0x3014, 0x301F),
    (0xFF01, 0xFF5E),  # full-width forms: ：，（）！？
)


def common_characters() -> set[str]:
    """GB 2312 levels 1 and 2: rows 16–87, the 6,763 simplified characters in everyday and name use."""
    chars = set()
    for row in range(0xB0, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.add(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                continue  # level 1 stops at D7F9
    return chars


def ui_characters(root: Path = ROOT) -> set[str]:
    """Every non-ASCII character in the files whose text the pages show."""
    chars: set[str] = set()
    for source in UI_SOURCES:
        path = root / source
        files: Iterable[Path] = [path] if path.is_file() else sorted(path.rglob("*"))
        for file in files:
            if file.suffix in UI_SUFFIXES and file.is_file():
                chars.update(c for c in file.read_text(encoding="utf-8") if ord(c) > 0x7E and c.isprintable())
    return chars


def wanted_characters(root: Path = ROOT) -> set[str]:
    chars = common_characters() | ui_characters(root)
    for start, end in RANGES:
        chars.update(chr(code) for code in range(start, end + 1))
    return chars


def build(source_dir: Path, out_dir: Path) -> dict[str, int]:
    """Write one WOFF2 per weight and the licence; return each file's size in bytes."""
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    out_dir.mkdir(parents=True, exist_ok=True)
    text = "".join(sorted(wanted_characters()))
    sizes: dict[str, int] = {}
    notice = ""
    for weight, file_name in WEIGHTS.items():
        collection = TTCollection(str(source_dir / file_name))
        font = next(f for f in collection.fonts if f["name"].getDebugName(1) == FAMILY)
        notice = font["name"].getDebugName(0) or notice
        options = subset.Options()
        options.flavor = "woff2"
        options.layout_features = ["kern", "palt"]  # no locl: its Japanese and Korean forms would double the glyphs
        options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
        options.hinting = False
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=text)
        subsetter.subset(font)
        target = out_dir / f"arena-cjk-{weight}.woff2"
        font.flavor = "woff2"
        font.save(str(target))
        sizes[target.name] = target.stat().st_size
    (out_dir / "OFL.txt").write_text(licence(notice), encoding="utf-8")
    return sizes


def licence(notice: str) -> str:
    """The SIL OFL 1.1 as Debian ships it with the source font, under the font's own copyright notice."""
    copyright_file = Path("/usr/share/doc/fonts-noto-cjk/copyright").read_text(encoding="utf-8")
    block = copyright_file.split("License: SIL-1.1\n", 2)[2].split("\nLicense:", 1)[0]
    lines = [line[1:] if line.startswith(" ") else line for line in block.splitlines()]
    body = "\n".join("" if line == "." else line for line in lines).strip()
    origin = "Subset of Noto Sans CJK SC (https://github.com/googlefonts/noto-cjk) by scripts/build_cjk_font.py."
    return f"{notice}\n{origin}\n\n{body}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", type=Path, default=SOURCE_DIR)
    args = parser.parse_args()
    for name, size in build(args.source_dir, FONTS).items():
        print(f"{name}: {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
