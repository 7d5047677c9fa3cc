"""Run the benchmarks, print their tables, and optionally record them in docs/BENCHMARKS.md.

python -m benchmarks.run                     # every benchmark, full size
python -m benchmarks.run transport           # only benchmarks/bench_transport.py
python -m benchmarks.run --smoke             # tiny sizes: proves they run, figures meaningless
python -m benchmarks.run --update-docs       # also rewrite their sections of docs/BENCHMARKS.md
"""

from __future__ import annotations

import os

# Figures are per core: the bitshuffle library would otherwise spread one frame over OpenMP threads
# (camserver's instance processes run with one OpenMP thread for the same reason).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import importlib
import sys
from pathlib import Path
from types import ModuleType

from benchmarks.harness import Row, render_text, update_document

ROOT = Path(__file__).resolve().parent
DOCUMENT = ROOT.parent / "docs" / "BENCHMARKS.md"


def available() -> list[str]:
    """Names of the benchmark modules (``bench_<name>.py``)."""
    return sorted(path.stem.removeprefix("bench_") for path in ROOT.glob("bench_*.py"))


def load(name: str) -> ModuleType:
    return importlib.import_module(f"benchmarks.bench_{name}")


def run_one(name: str, *, smoke: bool) -> list[Row]:
    module = load(name)
    rows: list[Row] = module.run(smoke=smoke)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default all: {', '.join(available())})")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes; figures are meaningless")
    parser.add_argument("--update-docs", action="store_true", help="record the figures in docs/BENCHMARKS.md")
    arguments = parser.parse_args(argv)
    names = arguments.names or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; available: {available()}")
    if arguments.smoke and arguments.update_docs:
        parser.error("smoke figures are meaningless and are never recorded")
    for name in names:
        module = load(name)
        rows = run_one(name, smoke=arguments.smoke)
        print(render_text(module.TITLE, rows), end="\n\n", flush=True)
        if arguments.update_docs:
            update_document(DOCUMENT, name, module.TITLE, module.DESCRIPTION, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
