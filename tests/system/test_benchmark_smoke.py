"""Every benchmark still runs (tiny sizes) and reports figures; the figures themselves are never judged here."""

from __future__ import annotations

import math

import pytest
from benchmarks.harness import Row
from benchmarks.run import available, main, run_one

pytestmark = pytest.mark.system


def test_there_are_benchmarks() -> None:
    assert "transport" in available()


@pytest.mark.parametrize("name", available())
def test_benchmark_runs_and_reports_finite_positive_figures(name: str) -> None:
    rows = run_one(name, smoke=True)
    assert rows, f"benchmark {name} reported nothing"
    for row in rows:
        assert isinstance(row, Row)
        assert row.case.strip(), f"benchmark {name} has a row without a case name"
        assert row.unit.strip(), row.case
        assert math.isfinite(row.value), row.case
        if row.lower_is_better:
            assert row.value >= 0, row.case  # counts of losses and gaps are ideally 0
        else:
            assert row.value > 0, row.case
        if row.reference_value is not None:
            assert math.isfinite(row.reference_value), row.case


def test_smoke_figures_are_never_recorded(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--smoke", "--update-docs"])
    assert exit_info.value.code == 2
    assert "never recorded" in capsys.readouterr().err


def test_an_unknown_benchmark_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--smoke", "no-such-benchmark"])
    assert exit_info.value.code == 2
    assert "unknown benchmark" in capsys.readouterr().err
