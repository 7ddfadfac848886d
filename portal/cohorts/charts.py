"""Geometry of the server-drawn bar charts: widths in percent of a 100-unit SVG viewBox. Pure."""

from dataclasses import dataclass


@dataclass
class Segment:
    key: str  # CSS class suffix: fill-<key>
    label: str
    value: int
    x: float
    width: float


def share(value: int, total: int) -> float:
    return round(100 * value / total, 2) if total else 0.0


def stacked(parts: list[tuple[str, str, int]], total: int) -> list[Segment]:
    """One bar split into (key, label, value) parts, left to right; empty parts are left out."""
    segments, x = [], 0.0
    for key, label, value in parts:
        width = share(value, total)
        if width:
            segments.append(Segment(key, label, value, x, width))
            x = round(x + width, 2)
    return segments
