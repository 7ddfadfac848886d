"""How busy the machine is, read from /proc: the share of the CPU other processes use, so that a row measured
on a busy shared machine says so, and the wait for it to become quiet before a scenario."""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.common import log


def machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine since boot, from /proc/stat."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values) - idle, sum(values)


def process_cpu(pid: int) -> int:
    """utime + stime jiffies of one process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def process_tree(pid: int) -> list[int]:
    """pid and its children (gunicorn's master and workers)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid, *(int(c) for c in children)]


def busy_share(seconds: float = 2.0) -> float:
    """The share of the machine's CPU in use over the next `seconds`."""
    busy0, total0 = machine_cpu()
    time.sleep(seconds)
    busy1, total1 = machine_cpu()
    return (busy1 - busy0) / max(1, total1 - total0)


def wait_until_idle(limit_seconds: float, threshold: float) -> float:
    """Wait (at most limit_seconds) until other work on the machine uses less than `threshold` of the CPU.
    Returns the last share measured."""
    deadline = time.time() + limit_seconds
    share = busy_share()
    announced = False
    while share > threshold and time.time() < deadline:
        if not announced:
            log(f"  the machine is {share:.0%} busy with other work; waiting up to {limit_seconds:.0f} s")
            announced = True
        share = busy_share()
    return share
