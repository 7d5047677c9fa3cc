"""The server's figures in Prometheus' text format (``GET /metrics``).

Instance figures come from the statistics every instance reports once a second anyway: a scrape
reads what the server already holds and costs nothing per frame. Node figures are read from the
operating system when scraped; request figures are counted by the API as requests finish.
"""

from __future__ import annotations

import itertools
import os
import socket
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import psutil
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, Info, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from camserver import __version__
from camserver.models.instance import TIME_BUCKETS, InstanceInfo, InstanceKind, InstanceState

if TYPE_CHECKING:
    from camserver.service.services import Services

__all__ = ["CONTENT_TYPE", "ServerMetrics"]

#: the media type of :meth:`ServerMetrics.exposition`
CONTENT_TYPE = CONTENT_TYPE_LATEST

_REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_INSTANCE_LABELS = ("kind", "instance_id", "camera")
#: drop and skip counters of the statistics, by the reason label they get
_DROPS = {
    "input": "input_drops",
    "output": "output_drops",
    "subscriber_overflow": "subscriber_overflows",
    "processing_error": "processing_errors",
    "decode_error": "decode_errors",
    "skipped": "skipped",
    "late": "late_messages",
    "withheld": "withheld_values",
}


def _labels(info: InstanceInfo) -> list[str]:
    camera = info.instance_id if info.kind is InstanceKind.CAMERA else info.config.get("camera_name")
    return [info.kind.value, info.instance_id, str(camera or "")]


def _histogram_buckets(counts: list[int]) -> list[tuple[str, float]]:
    """Prometheus' cumulative buckets from per-bucket counts (the last one is +Inf)."""
    if len(counts) != len(TIME_BUCKETS) + 1:
        counts = [0] * (len(TIME_BUCKETS) + 1)
    bounds = [repr(float(bound)) for bound in TIME_BUCKETS] + ["+Inf"]
    return list(zip(bounds, itertools.accumulate(float(count) for count in counts), strict=True))


class _InstanceCollector(Collector):
    """Per-instance and per-node figures, read when scraped."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def describe(self) -> Iterable[Metric]:
        return []  # names depend on nothing: let the registry skip collecting at registration

    def collect(self) -> Iterator[Metric]:
        infos = self.services.backend.instances(active_only=False)
        yield from self._instances(infos)
        yield from self._nodes(infos)

    @staticmethod
    def _instances(infos: list[InstanceInfo]) -> Iterator[Metric]:
        labels = list(_INSTANCE_LABELS)
        up = GaugeMetricFamily("camserver_instance_up", "1 while the instance runs, else 0", labels=[*labels, "state"])
        received = CounterMetricFamily("camserver_instance_frames_received", "frames received", labels=labels)
        sent = CounterMetricFamily("camserver_instance_frames_sent", "messages sent", labels=labels)
        bytes_received = CounterMetricFamily("camserver_instance_received_bytes", "bytes received", labels=labels)
        bytes_sent = CounterMetricFamily("camserver_instance_sent_bytes", "bytes sent", labels=labels)
        drops = CounterMetricFamily(
            "camserver_instance_drops",
            "frames that did not leave the instance, by reason (input, output, processing_error, decode_error, "
            "skipped on purpose, late, withheld channel values)",
            labels=[*labels, "reason"],
        )
        decode_errors = CounterMetricFamily(
            "camserver_instance_decode_errors", "received messages that were not valid bsread", labels=labels
        )
        clients = GaugeMetricFamily("camserver_instance_clients", "clients connected to the output", labels=labels)
        restarts = CounterMetricFamily("camserver_instance_restarts", "restarts of a permanent instance", labels=labels)
        cpu = GaugeMetricFamily("camserver_instance_cpu_percent", "CPU, percent of one core", labels=labels)
        memory = GaugeMetricFamily("camserver_instance_memory_bytes", "resident memory", labels=labels)
        processing = HistogramMetricFamily(
            "camserver_instance_processing_seconds", "processing time per frame", labels=labels
        )
        latency = HistogramMetricFamily(
            "camserver_instance_latency_seconds", "time from a frame's timestamp to its sending", labels=labels
        )
        for info in infos:
            values = _labels(info)
            figures = info.statistics
            running = info.state is InstanceState.RUNNING
            up.add_metric([*values, info.state.value], 1.0 if running else 0.0)
            restarts.add_metric(values, float(info.restarts))
            received.add_metric(values, float(figures.rx_count))
            sent.add_metric(values, float(figures.tx_count))
            bytes_received.add_metric(values, float(figures.bytes_received))
            bytes_sent.add_metric(values, float(figures.bytes_sent))
            for reason, field in _DROPS.items():
                drops.add_metric([*values, reason], float(getattr(figures, field)))
            decode_errors.add_metric(values, float(figures.decode_errors))
            clients.add_metric(values, float(figures.clients) if running else 0.0)
            cpu.add_metric(values, figures.cpu if running else 0.0)
            memory.add_metric(values, float(figures.memory) if running else 0.0)
            processing.add_metric(
                values, _histogram_buckets(figures.processing_time_counts), figures.processing_time_sum
            )
            latency.add_metric(values, _histogram_buckets(figures.latency_counts), figures.latency_sum)
        yield from (up, received, sent, bytes_received, bytes_sent, drops, decode_errors, clients, restarts)
        yield from (cpu, memory, processing, latency)

    def _node_name(self) -> str:
        """The backend's name of this host (``local`` for the local backend)."""
        host = socket.gethostname()
        addresses = {host, *(address.address for entry in psutil.net_if_addrs().values() for address in entry)}
        for node in self.services.backend.nodes():
            if node.address in addresses:
                return node.name
        return host

    def _nodes(self, infos: list[InstanceInfo]) -> Iterator[Metric]:
        node = self._node_name()
        by_node: dict[str, int] = {node: 0}
        for info in infos:
            if info.active:
                by_node[info.node] = by_node.get(info.node, 0) + 1
        instances = GaugeMetricFamily("camserver_node_instances", "running instances", labels=["node"])
        for name, count in sorted(by_node.items()):
            instances.add_metric([name], float(count))
        yield instances
        times = psutil.cpu_times()
        cpu = CounterMetricFamily("camserver_node_cpu_seconds", "CPU time of the host", labels=["node", "mode"])
        for mode in ("user", "system", "idle", "iowait", "nice", "irq", "softirq", "steal"):
            if hasattr(times, mode):
                cpu.add_metric([node, mode], float(getattr(times, mode)))
        yield cpu
        memory = psutil.virtual_memory()
        for name, help_text, value in (
            ("camserver_node_cpus", "logical CPUs of the host", float(os.cpu_count() or 0)),
            ("camserver_node_memory_used_bytes", "memory in use on the host", float(memory.used)),
            ("camserver_node_memory_total_bytes", "memory of the host", float(memory.total)),
        ):
            gauge = GaugeMetricFamily(name, help_text, labels=["node"])
            gauge.add_metric([node], value)
            yield gauge
        network = psutil.net_io_counters()
        traffic = CounterMetricFamily(
            "camserver_node_network_bytes", "bytes through the host's interfaces", labels=["node", "direction"]
        )
        traffic.add_metric([node, "sent"], float(network.bytes_sent))
        traffic.add_metric([node, "received"], float(network.bytes_recv))
        yield traffic


class ServerMetrics:
    """One server's Prometheus registry: requests by route (fed by the API), instances and the
    node (read at each scrape), and the server process itself (CPU, memory, file descriptors)."""

    def __init__(self, services: Services) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "camserver_http_requests",
            "REST requests answered, by route",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "camserver_http_request_duration_seconds",
            "time to answer a REST request, by route",
            ["method", "route"],
            buckets=_REQUEST_BUCKETS,
            registry=self.registry,
        )
        Info("camserver_build", "camserver's version", registry=self.registry).info({"version": __version__})
        ProcessCollector(namespace="camserver_server", registry=self.registry)
        self.registry.register(_InstanceCollector(services))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(method, route, str(status)).inc()
        self.request_seconds.labels(method, route).observe(seconds)

    def exposition(self) -> bytes:
        """Every figure, in Prometheus' text format."""
        return generate_latest(self.registry)
