"""``/metrics``: instance, node, process and request figures in Prometheus' text format, built
from the statistics instances report once a second; and the shipped Grafana dashboard asks only
for figures the server exposes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from camserver.testing.server import RunningServer, running_server
from tests.system.rest import Rest
from tests.system.waiting import wait_until

pytestmark = pytest.mark.system

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "camserver-dashboard.json"
TINY = {"source": "", "source_type": "simulation", "size_x": 64, "size_y": 48, "frame_rate": 100,
        "no_client_timeout": 0}  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("metrics")) as running:
        running.services.camera_store.set("tiny", TINY)
        running.services.pipeline_store.set("tiny_sp", {"camera_name": "tiny", "no_client_timeout": 0})
        yield running


@pytest.fixture(scope="module")
def rest(server: RunningServer) -> Iterator[Rest]:
    client = Rest(server.url)
    client.call("GET", "/api/v1/pipeline/instance/tiny_sp")  # starts the camera too
    client.wait_figure("tiny_sp", "tx_count", 20)
    yield client
    client.close()


def scrape(rest: Rest) -> list[Sample]:
    response = rest.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return [sample for family in text_string_to_metric_families(response.text) for sample in family.samples]


def value(samples: list[Sample], name: str, **labels: str) -> float:
    found = [s.value for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, f"{name} {labels}: {found}"
    return found[0]


def test_instances_are_counted_from_their_statistics(rest: Rest) -> None:
    samples = scrape(rest)
    pipeline = {"kind": "pipeline", "instance_id": "tiny_sp", "camera": "tiny"}
    camera = {"kind": "camera", "instance_id": "tiny", "camera": "tiny"}
    assert value(samples, "camserver_instance_frames_received_total", **pipeline) >= 20
    assert value(samples, "camserver_instance_frames_sent_total", **camera) >= 20
    assert value(samples, "camserver_instance_up", **pipeline, state="running") == 1
    assert value(samples, "camserver_instance_clients", **camera) >= 1  # the pipeline reads it
    assert value(samples, "camserver_instance_memory_bytes", **pipeline) > 0
    assert value(samples, "camserver_instance_restarts_total", **pipeline) == 0
    reasons = {s.labels["reason"] for s in samples if s.name == "camserver_instance_drops_total" and
               s.labels["instance_id"] == "tiny_sp"}  # fmt: skip
    assert reasons == {
        "input", "output", "processing_error", "decode_error", "skipped", "late", "withheld", "subscriber_overflow"
    }  # fmt: skip
    assert value(samples, "camserver_instance_decode_errors_total", **pipeline) == 0
    processed = value(samples, "camserver_instance_processing_seconds_count", **pipeline)
    assert processed >= 20
    assert value(samples, "camserver_instance_processing_seconds_bucket", **pipeline, le="+Inf") == processed
    assert value(samples, "camserver_instance_processing_seconds_sum", **pipeline) > 0
    assert value(samples, "camserver_instance_latency_seconds_count", **camera) >= 20


def test_the_figures_move_only_with_the_reports(rest: Rest) -> None:
    """Two scrapes in a row read the same report: a scrape asks no instance for anything."""
    first = rest.statistics("tiny_sp")["rx_count"]
    wait_until(lambda: rest.statistics("tiny_sp")["rx_count"] > first, "the next statistics report")
    reported = rest.statistics("tiny_sp")["rx_count"]
    received = value(scrape(rest), "camserver_instance_frames_received_total", instance_id="tiny_sp")
    assert received >= reported


def test_node_process_and_requests_are_counted(rest: Rest) -> None:
    rest.call("GET", "/api/v1/cam/tiny/config")
    rest.call("GET", "/api/v1/cam/nothing/config", status=404)
    samples = scrape(rest)
    assert value(samples, "camserver_node_instances", node="local") == 2
    assert value(samples, "camserver_node_cpus", node="local") >= 1
    assert value(samples, "camserver_node_memory_used_bytes", node="local") > 0
    assert value(samples, "camserver_node_network_bytes_total", node="local", direction="sent") > 0
    assert value(samples, "camserver_node_cpu_seconds_total", node="local", mode="user") > 0
    assert value(samples, "camserver_server_process_resident_memory_bytes") > 0
    route = "/api/v1/cam/{name}/config"
    assert value(samples, "camserver_http_requests_total", method="GET", route=route, status="200") >= 1
    assert value(samples, "camserver_http_requests_total", method="GET", route=route, status="404") >= 1
    assert value(samples, "camserver_http_request_duration_seconds_count", method="GET", route=route) >= 2
    assert value(samples, "camserver_build_info", version=__import__("camserver").__version__) == 1


def test_the_dashboard_asks_for_exposed_figures_only(rest: Rest) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exposed = {sample.name for sample in scrape(rest)}
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    expressions += [variable.get("query", "") for variable in dashboard["templating"]["list"]]
    asked = {name for text in expressions for name in re.findall(r"\bcamserver_[a-z_]+\b", text)}
    assert len(asked) >= 20
    assert sorted(asked - exposed) == []
