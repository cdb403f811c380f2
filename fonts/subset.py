"""Rebuild the chart font: Noto Sans CJK SC cut down to the characters Gridcare's charts need.

The charts of the supervisors' digests carry Chinese labels (area names, titles). The font comes
with the project so that every machine renders them the same, without system fonts or root:
Noto Sans CJK SC (SIL Open Font License 1.1, see OFL.txt), subset to printable ASCII and Latin-1,
general punctuation, CJK symbols and full-width forms, and the 6,763 hanzi of GB 2312, which cover
the names of places and people in everyday use. A label with a character outside the subset is
drawn with a system CJK font if one covers it, else by its code (handlers/supervisor/charts.py).

    python fonts/subset.py /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

(Debian's fonts-noto-cjk; the SC face is number 2 of that collection.) Needs fontTools, a pinned
dependency (charts read fonts' character maps with it).
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

OUTPUT = Path(__file__).resolve().parent / "NotoSansCJKsc-Regular-subset.otf"
SC_FACE = 2
EXTRA = (
    range(0x20, 0x7F),  # ASCII
    range(0xA0, 0x100),  # Latin-1
    range(0x2000, 0x2070),  # general punctuation
    range(0x2190, 0x2194),  # arrows
    range(0x3000, 0x3040),  # CJK symbols and punctuation
    range(0xFF00, 0xFFF0),  # full-width forms
)


def gb2312() -> set[int]:
    """Every character of GB 2312 (the hanzi and the symbols of rows 1-9)."""
    found = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return found


def build(source: Path) -> Path:
    font = TTCollection(str(source)).fonts[SC_FACE] if source.suffix == ".ttc" else TTFont(str(source))
    unicodes = gb2312().union(*(set(r) for r in EXTRA))
    options = subset.Options()
    options.layout_features = []  # horizontal Latin and hanzi need no OpenType features
    options.name_IDs = ["*"]  # keep the copyright and licence entries
    options.notdef_outline = True
    options.hinting = False  # FreeType (through Pillow) hints glyphs itself
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    font.save(str(OUTPUT))
    return OUTPUT


if __name__ == "__main__":
    sys.stdout.write(f"{build(Path(sys.argv[1]))}\n")
