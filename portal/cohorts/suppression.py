"""Protecting self-reported answers in breakdowns. Pure: no Flask, no database.

Two rules, both applied to every self-reported breakdown, on the page and in the CSV exports:

1. Noisy rounding. Every count is published as a multiple of ROUND_BASE, after adding a small random
   whole number (two-sided geometric: 0 most often, each step away from 0 a little less likely). Exact rounding alone
   is not enough: two cohorts that differ by one member can straddle a rounding boundary (12 shows 10, 13
   shows 15), and that member's answer is then certain. With the noise, any published figure is possible for
   a count and for the count one higher, at most NOISE_RATIO times likelier for one than the other, so
   comparing two cohorts that differ by one person never makes anyone's answer certain. The draws are fixed
   by a key of (secret, the cohort's exact member list, the cell): reloading the page shows the same figures
   (no averaging by reloading), while any change of membership draws anew for every cell (no telling which
   cell moved). Percentages are computed from the published counts.
2. Small groups. A group whose published size is under the minimum is hidden (primary suppression); if that
   hides exactly one group, the next-smallest is hidden too (complementary suppression), so the exact total
   minus the shown groups only gives the sum of two hidden ones. The decision uses the published sizes only,
   since a decision made on the exact size would itself give the exact size away.

A breakdown lists every group of a field (each choice, plus "Prefer not to say or no answer"), so a group's
absence can never be read as "nobody".
"""

import hashlib
import hmac
import math
import random

ROUND_BASE = 5
NOISE_DECAY = 0.6  # P(noise = k) is proportional to NOISE_DECAY ** |k|; published odds move at most 1/0.6 per member
NOISE_RATIO = 1 / NOISE_DECAY


def suppressed_groups(sizes: dict[str, int], minimum: int) -> set[str]:
    """The keys of the groups to hide. sizes maps group key to published member count, in display order."""
    hidden = {key for key, size in sizes.items() if size < minimum}
    if len(hidden) == 1:
        order = list(sizes)
        shown = sorted((size, order.index(key), key) for key, size in sizes.items() if key not in hidden)
        if shown:
            hidden.add(shown[0][2])
    return hidden


def fewer_than(minimum: int) -> str:
    """What a hidden cell shows, on the page and in exports."""
    return f"fewer than {minimum}"


def nearest_multiple(value: int) -> int:
    return ROUND_BASE * math.floor((value + ROUND_BASE / 2) / ROUND_BASE)


def noise(key: bytes) -> int:
    """A two-sided geometric draw, fixed by key: the difference of two geometric draws."""
    rng = random.Random(int.from_bytes(key[:16], "big"))  # noqa: S311 -- keyed by HMAC; not a secret
    log_decay = math.log(NOISE_DECAY)
    first, second = (math.floor(math.log(1.0 - rng.random()) / log_decay) for _ in range(2))
    return first - second


def publish_count(count: int, key: bytes) -> int:
    """The figure shown for an exact count: a multiple of ROUND_BASE, never below 0."""
    return max(0, nearest_multiple(count + noise(key)))


def cell_key(secret: str, member_ids: list[int], *cell: object) -> bytes:
    """The key of one cell's draw: secret, the exact member list, and the cell (breakdown, group, column)."""
    message = ",".join(map(str, sorted(member_ids))) + "|" + "|".join(map(str, cell))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()


def published_distribution(count: int, spread: int = 60) -> dict[int, float]:
    """The exact probability of each published figure for a count (for tests and for documentation)."""
    scale = (1 - NOISE_DECAY) / (1 + NOISE_DECAY)
    result: dict[int, float] = {}
    for step in range(-spread, spread + 1):
        figure = max(0, nearest_multiple(count + step))
        result[figure] = result.get(figure, 0.0) + scale * NOISE_DECAY ** abs(step)
    return result
