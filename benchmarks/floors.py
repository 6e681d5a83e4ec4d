"""What every benchmark prints: the figure, the floor measured in the same run, and their ratio.

Absolute times on a shared machine move 3–4× from run to run; the ratio to a floor taken moments apart
on the same machine is what holds (issue 19)."""

from __future__ import annotations

import statistics


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def report(label: str, timings: list[float], *, floor: list[float] | None = None, goal: str = "") -> None:
    """One line: p50 and p95 of `timings`; with a floor, its p95 and the ratio of the two p95s."""
    p50, p95 = statistics.median(timings), percentile(timings, 95)
    line = f"  {label:30s} n={len(timings):<6,} p50 {ms(p50):>9s}  p95 {ms(p95):>9s}"
    if floor:
        floor95 = percentile(floor, 95)
        line += f"  | floor p95 {ms(floor95):>8s}  ratio {p95 / floor95:5.1f}×"
    if goal:
        line += f"  [goal: {goal}]"
    print(line)


def report_once(
    label: str, seconds: float, *, floor: float | None = None, goal: str = "", unit: str = "s"
) -> None:
    """One line for a single duration (an import, a start) against its floor."""
    line = f"  {label:30s} {seconds:8.2f} {unit}"
    if floor:
        line += f"  | floor {floor:7.2f} {unit}  ratio {seconds / floor:5.1f}×"
    if goal:
        line += f"  [goal: {goal}]"
    print(line)
