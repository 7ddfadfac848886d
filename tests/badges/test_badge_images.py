"""The drawn badge: a square PNG that Pillow reads, the same bytes for the same credential."""

import io

from PIL import Image

from portal.badges.images import SIZE, badge_png


def test_badge_png_is_a_square_png_with_transparent_corners():
    image = Image.open(io.BytesIO(badge_png("Creating a District Plan for Digital Equity", "Digital Equity", "4 of 5")))
    assert (image.format, image.size, image.mode) == ("PNG", (SIZE, SIZE), "RGBA")
    assert image.getpixel((0, 0))[3] == 0
    assert image.getpixel((SIZE // 2, SIZE // 2))[3] == 255


def test_badge_png_differs_by_title_and_handles_long_non_ascii_titles():
    first = badge_png("Foundations", "Digital Equity", "1 of 5")
    long = badge_png("Équité numérique « intégrale » " * 6, "Digital Equity", "2 of 5")
    assert first != long
    assert Image.open(io.BytesIO(long)).size == (SIZE, SIZE)
