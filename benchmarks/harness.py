"""What every benchmark module reports, and how the runner prints and records it.

A benchmark module ``benchmarks/bench_<name>.py`` defines ``TITLE`` (a heading), ``DESCRIPTION``
(what is measured and how) and ``run(smoke: bool) -> list[Row]``. Each :class:`Row` carries
camserver's figure beside the reference measured in the same run, and the target it is held to.
``smoke=True`` runs with tiny sizes and counts, so the test suite proves every benchmark still runs;
smoke figures mean nothing and are never recorded.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["Row", "best_of", "machine_summary", "render_markdown", "render_text", "update_document"]


@dataclass(frozen=True)
class Row:
    """One measured figure beside its reference.

    ``ratio`` is ``value / reference_value`` (or its inverse when ``lower_is_better``); ``passed``
    is None where no target applies.
    """

    case: str
    value: float
    unit: str
    reference: str = ""
    reference_value: float | None = None
    target: str = ""
    passed: bool | None = None
    note: str = ""
    lower_is_better: bool = False

    @property
    def ratio(self) -> float | None:
        if self.reference_value is None or self.reference_value == 0 or self.value == 0:
            return None
        if self.lower_is_better:
            return self.reference_value / self.value
        return self.value / self.reference_value


def best_of(repeats: int, measure: Callable[[], float]) -> float:
    """The best (largest) of ``repeats`` measurements: the least disturbed by a noisy machine."""
    return max(measure() for _ in range(repeats))


def median_of(repeats: int, measure: Callable[[], float]) -> float:
    """The median of ``repeats`` measurements."""
    return statistics.median(measure() for _ in range(repeats))


def timed(function: Callable[[], object], *, minimum_seconds: float = 0.2, minimum_calls: int = 3) -> float:
    """Seconds per call of ``function``, calling it until both minimums are reached."""
    calls = 0
    start = time.perf_counter()
    while True:
        function()
        calls += 1
        elapsed = time.perf_counter() - start
        if calls >= minimum_calls and elapsed >= minimum_seconds:
            return elapsed / calls


def _figure(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if value == 0:
        return f"0 {unit}".strip()
    magnitude = abs(value)
    text = f"{value:.3g}" if magnitude < 100 else f"{value:,.0f}"
    return f"{text} {unit}".strip()


def _verdict(row: Row) -> str:
    if row.passed is None:
        return ""
    return "yes" if row.passed else "**no**"


def render_markdown(rows: list[Row]) -> str:
    """A Markdown table of ``rows``."""
    lines = [
        "| case | camserver | reference | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        reference = f"{row.reference}: {_figure(row.reference_value, row.unit)}" if row.reference else ""
        ratio = f"{row.ratio:.2f}x" if row.ratio is not None else ""
        case = f"{row.case} ({row.note})" if row.note else row.case
        lines.append(
            f"| {case} | {_figure(row.value, row.unit)} | {reference} | {ratio} | {row.target} | {_verdict(row)} |"
        )
    return "\n".join(lines)


def render_text(title: str, rows: list[Row]) -> str:
    """A plain-text table for the terminal."""
    header = ("case", "camserver", "reference", "ratio", "target", "met")
    body = [
        (
            row.case + (f" ({row.note})" if row.note else ""),
            _figure(row.value, row.unit),
            f"{row.reference}: {_figure(row.reference_value, row.unit)}" if row.reference else "",
            f"{row.ratio:.2f}x" if row.ratio is not None else "",
            row.target,
            _verdict(row).replace("*", ""),
        )
        for row in rows
    ]
    widths = [max(len(cells[i]) for cells in [header, *body]) for i in range(len(header))]
    lines = [title, "=" * len(title)]
    for cells in [header, *body]:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)))
    return "\n".join(lines)


def machine_summary() -> str:
    """One line describing where the figures were measured."""
    import numpy
    import zmq

    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {numpy.__version__}, pyzmq {zmq.__version__} (libzmq {zmq.zmq_version()}), "
        f"{datetime.now(UTC):%Y-%m-%d}"
    )


def update_document(path: Path, key: str, title: str, description: str, rows: list[Row]) -> None:
    """Replace (or append) the section of benchmark ``key`` in the Markdown file ``path``."""
    start, end = f"<!-- bench:{key}:start -->", f"<!-- bench:{key}:end -->"
    section = "\n".join(
        [
            start,
            f"## {title}",
            "",
            description.strip(),
            "",
            f"Measured on: {machine_summary()}.",
            "",
            render_markdown(rows),
            end,
        ]
    )
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    found = pattern.search(text)
    text = pattern.sub(lambda _: section, text) if found else text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)
