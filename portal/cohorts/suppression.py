"""Small-group suppression for breakdowns by self-reported fields. Pure: no Flask, no database.

A breakdown lists every group of a field (each choice, plus "Prefer not to say or no answer"), so a
group's absence can never be read as "nobody". Groups smaller than the minimum are hidden (primary
suppression). If that hides exactly one group, the cohort total minus the shown groups would give it
away, so the next-smallest group is hidden too (complementary suppression): the total then only reveals
the sum of two hidden groups. Whole rows are hidden, so no column of a hidden row can be worked out.
"""


def suppressed_groups(sizes: dict[str, int], minimum: int) -> set[str]:
    """The keys of the groups to hide. sizes maps group key to member count, in display order."""
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
