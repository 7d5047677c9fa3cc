"""Starting an instance once more when another program took its port as it started."""

from __future__ import annotations

from typing import Any

from camserver.models.instance import InstanceInfo, InstanceKind, InstanceSpec, InstanceState
from camserver.service.instance_start import start_instance

TAKEN = "cannot bind a PUB socket on tcp://127.0.0.1:11100: Address already in use"


class Backend:
    """Answers starts from a list of (state, reason); records starts and stops."""

    def __init__(self, *answers: tuple[InstanceState, str | None]) -> None:
        self.answers = list(answers)
        self.started: list[int | None] = []
        self.stopped: list[str] = []

    def start(self, spec: InstanceSpec, *, timeout: float = 30.0) -> InstanceInfo:
        self.started.append(spec.port)
        state, reason = self.answers.pop(0)
        return InstanceInfo(instance_id=spec.instance_id, kind=spec.kind, state=state, reason=reason)

    def stop(self, key: str, *, timeout: float = 10.0) -> Any:
        self.stopped.append(key)


def specs() -> Any:
    ports = iter([11100, 11101, 11102])
    return lambda: InstanceSpec(instance_id="p", kind=InstanceKind.PIPELINE, config={}, port=next(ports))


def test_a_port_taken_meanwhile_is_given_up_for_another() -> None:
    backend = Backend((InstanceState.FAILED, TAKEN), (InstanceState.RUNNING, None))
    spec, info = start_instance(backend, specs(), timeout=1, stop_timeout=1)  # type: ignore[arg-type]
    assert info.state is InstanceState.RUNNING
    assert backend.started == [11100, 11101]
    assert spec.port == 11101
    assert backend.stopped == ["pipeline/p"]  # no restart of the first attempt on the taken port


def test_a_fixed_port_or_another_failure_is_not_tried_again() -> None:
    for fixed, reason in ((True, TAKEN), (False, "Camera with prefix X is offline")):
        backend = Backend((InstanceState.FAILED, reason))
        _, info = start_instance(backend, specs(), timeout=1, stop_timeout=1, fixed_port=fixed)  # type: ignore[arg-type]
        assert info.state is InstanceState.FAILED
        assert backend.started == [11100]
