"""The badge image of a credential or a stack, drawn with Pillow (pure, no Flask).

One PNG per credential, drawn on first use and kept in memory: a round medal in the portal's blue with
the stack's name above, the credential's title wrapped in the middle and its place in the stack
below. The same picture is the achievement's `image` in an issued credential and, with that credential
baked in, the earner's download.
"""

import io
import textwrap
from functools import lru_cache
from pathlib import Path

import reportlab
from PIL import Image, ImageDraw, ImageFont

SIZE = 600
ACCENT = (29, 79, 145)
ACCENT_DARK = (20, 58, 107)
RING = (214, 170, 58)
WHITE = (255, 255, 255)
# (font size, characters a line) from largest to smallest
TITLE_SIZES = ((40, 18), (34, 21), (29, 25), (25, 29))
# Bitstream Vera ships inside reportlab (a runtime dependency), so every machine draws the same letters.
FONT_DIR = Path(reportlab.__file__).parent / "fonts"


@lru_cache(maxsize=64)
def badge_png(title: str, ribbon: str, footer: str) -> bytes:
    """The badge as PNG bytes: ribbon is the line above the title (the stack's name), footer the small
    line under it ("Micro-credential 4 of 5")."""
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    _medal(draw)
    _centered(draw, ribbon.upper(), _font(24, bold=True), top=100, width=20, fill=RING, max_lines=2)
    _title(draw, title)
    _centered(draw, footer, _font(22), top=448, width=30, fill=WHITE, max_lines=1)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _medal(draw: ImageDraw.ImageDraw) -> None:
    draw.ellipse((10, 10, SIZE - 10, SIZE - 10), fill=RING)
    draw.ellipse((28, 28, SIZE - 28, SIZE - 28), fill=ACCENT_DARK)
    draw.ellipse((44, 44, SIZE - 44, SIZE - 44), fill=ACCENT, outline=WHITE, width=3)
    draw.line((150, 176, SIZE - 150, 176), fill=RING, width=3)
    draw.line((150, 426, SIZE - 150, 426), fill=RING, width=3)


def _title(draw: ImageDraw.ImageDraw, title: str) -> None:
    """The title as large as fits between the two rules: up to five lines, smaller type for long titles."""
    size, lines = next(
        ((size, lines) for size, width in TITLE_SIZES if len(lines := textwrap.wrap(title, width)) <= 5),
        (TITLE_SIZES[-1][0], textwrap.wrap(title, TITLE_SIZES[-1][1])[:5]),
    )
    top = 301 - int(size * 1.22) * len(lines) // 2
    _centered(draw, "\n".join(lines), _font(size, bold=True), top=top, width=None, fill=WHITE, max_lines=5)


def _centered(draw, text: str, font, *, top: int, width: int | None, fill, max_lines: int) -> None:
    lines = textwrap.wrap(text, width)[:max_lines] if width else text.split("\n")
    line_height = int(font.size * 1.22)
    for number, line in enumerate(lines):
        line_width = draw.textlength(line, font=font)
        draw.text(((SIZE - line_width) / 2, top + number * line_height), line, font=font, fill=fill)


@lru_cache(maxsize=8)
def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / ("VeraBd.ttf" if bold else "Vera.ttf")), size)
