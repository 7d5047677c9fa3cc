"""Every ``pipeline_type`` on a server that allows user scripts, with functions uploaded over REST.

fanout -> two workers -> fanin (pulse ids put back in order), stream pipelines on an input stream
and on a bsread address, store with ``modulo``, custom and script pipelines, user functions that
are reloaded, libraries importable only where listed, and user functions that raise.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from camserver.testing.server import RunningServer, running_server
from camserver.transport import Publisher, Subscriber
from tests.system.rest import Rest
from tests.system.streams import Feed, free_port, pulse_ids, read
from tests.waiting import wait_until

pytestmark = pytest.mark.system

TINY = {"source": "", "source_type": "simulation", "size_x": 64, "size_y": 48, "frame_rate": 100}

SCRIPTS = {
    "tagged.py": """
import time

def process(stream_data, pulse_id, timestamp, parameters):
    time.sleep(parameters.get("delay", 0))  # a slow worker: its frames reach the fan-in late
    return {parameters["tag"] + "value": stream_data["value"]}
""",
    "versioned.py": """
def process(stream_data, pulse_id, timestamp, parameters):
    return {"version": 1, "value": stream_data["value"]}
""",
    "uses_lib.py": """
def process(stream_data, pulse_id, timestamp, parameters):
    import calibration  # from the user libraries, importable where the pipeline lists "libs"

    return {"scaled": stream_data["value"] * calibration.FACTOR}
""",
    "odd_fails.py": """
def process_image(image, pulse_id, timestamp, x_axis, y_axis, parameters, bsdata=None):
    if pulse_id % 2:
        raise ValueError(f"odd pulse {pulse_id}")
    return {"total": int(image.sum())}
""",
    "counter.py": """
state = {"count": 0}

def process(parameters, init):
    if init:
        state["count"] = 0
    state["count"] += 1
    count = state["count"]
    return {"count": count, "scaled": count * parameters.get("scale", 1)}, (1700000000 + count, 0), 1000 + count, 16
""",
    "unnumbered.py": """
state = {"count": 0}

def process(parameters, init):
    state["count"] += 1
    count = state["count"]
    pulse_id = "not a pulse id" if count == 3 else None  # None: camserver numbers the messages
    return {"count": count}, None, pulse_id, 8
""",
    "camera_sum.py": """
from camserver.transport import Publisher, Subscriber

def run(stop_event, statistics, parameter_queue, logs_queue, cam_client, pipeline_config, output_stream_port,
        background_manager, user_scripts_manager):
    camera = cam_client.get_instance_stream(pipeline_config["camera_name"])
    logs_queue.append(f"script reads {camera}")
    gain = pipeline_config.get("gain", 1)
    with Subscriber(camera, receive_timeout=0.1) as source, Publisher(f"tcp://127.0.0.1:{output_stream_port}") as out:
        while not stop_event.is_set():
            while not parameter_queue.empty():
                config = parameter_queue.get()
                if config.get("finish"):
                    return
                gain = config.get("gain", gain)
            message = source.receive()
            if message is None:
                continue
            statistics.rx += 1
            out.send({"total": int(message.data["image"].sum()), "gain": gain}, pulse_id=message.pulse_id)
            statistics.tx += 1
""",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("types"), allow_user_scripts=True) as running:
        running.services.camera_store.set("tiny", TINY)
        yield running


@pytest.fixture(scope="module")
def rest(server: RunningServer) -> Iterator[Rest]:
    client = Rest(server.url)
    for name, text in SCRIPTS.items():
        client.upload_script(name, text)
    client.upload_lib("calibration.py", "FACTOR = 7\n")
    yield client
    client.close()


@pytest.fixture
def feed() -> Iterator[Feed]:
    stream = Feed()
    yield stream
    stream.close()


def fed(feed: Feed, **config: Any) -> dict[str, Any]:
    """A pipeline config that PULLs from ``feed`` and PUSHes its output."""
    return {"input_stream": feed.address, "input_mode": "PULL", "mode": "PUSH", "no_client_timeout": 0, **config}


def pull(address: str) -> Subscriber:
    return Subscriber(address, mode="PULL", queue_size=1000, receive_timeout=20)


def join(publisher: Publisher, subscriber: Subscriber, values: dict[str, Any], *, first: int = 1000) -> Any:
    """Publish until the pipeline behind ``subscriber`` passes a message on (PUB/SUB loses what is
    sent before both ends have joined)."""
    for attempt in range(500):
        publisher.send(values, pulse_id=first + attempt)
        message = subscriber.receive(timeout=0.02)
        if message is not None:
            return message
    pytest.fail("nothing came out of the pipeline")


def test_fanout_to_two_workers_into_a_fanin_that_restores_pulse_order(rest: Rest, feed: Feed) -> None:
    rest.call("POST", "/api/v1/pipeline/fanin/config", json={
        "pipeline_type": "fanin", "input_stream": f"tcp://127.0.0.1:{free_port()}", "pid_buffer": 100,
        "queue_size": 100, "no_client_timeout": 0,
    })  # fmt: skip
    rest.call("POST", "/api/v1/pipeline/fanout/config", json={
        "pipeline_type": "fanout", "input_stream": feed.address, "input_mode": "PULL", "no_client_timeout": 0,
    })  # fmt: skip
    fanin = rest.call("GET", "/api/v1/pipeline/instance/fanin")["stream"]
    worker = {"pipeline_type": "stream", "input_pipeline": "fanout", "input_mode": "PULL", "output_pipeline": "fanin",
              "mode": "PUSH", "no_client_timeout": 0}  # fmt: skip
    with Subscriber(fanin, queue_size=1000, receive_timeout=20) as output:
        rest.wait_figure("fanin", "clients", 1)
        fast, _ = rest.create({**worker, "function": "propagate_stream_with_prefix", "prefix": "fast:"})
        slow, _ = rest.create({**worker, "function": "tagged", "tag": "slow:", "delay": 0.02})
        assert rest.info("fanout")["state"] == "running"  # started on demand by the first worker
        rest.wait_figure("fanout", "clients", 2)
        feed.send(range(1, 41))
        rest.wait_figure("fanin", "rx_count", 40)
        rest.stop("fanin")  # the fan-in sends what its reorder buffer holds, in order
        messages = read(output, 40)
    assert pulse_ids(messages) == list(range(1, 41))
    by_worker = {prefix: [m.pulse_id for m in messages if f"{prefix}:value" in m.data] for prefix in ("fast", "slow")}
    assert by_worker["fast"]
    assert by_worker["slow"]
    assert all(int(m.data.get("fast:value", m.data.get("slow:value"))) == m.pulse_id for m in messages)
    for instance_id in (fast, slow, "fanout"):
        rest.stop(instance_id)


def test_fanin_reorders_within_its_pid_buffer(rest: Rest) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    instance_id, stream = rest.create(
        {"pipeline_type": "fanin", "input_stream": address, "pid_buffer": 3, "mode": "PUSH", "no_client_timeout": 0}
    )
    shuffled = [2, 1, 4, 3, 6, 5, 8, 7]
    with pull(stream) as output, Publisher(address, mode="PUSH", bind=False, block=True, send_timeout=20) as workers:
        for pulse_id in shuffled:
            assert workers.send({"value": pulse_id}, pulse_id=pulse_id)
        released = pulse_ids(read(output, len(shuffled) - 3))  # three stay buffered
        rest.stop(instance_id)
        released += pulse_ids(read(output, 3))
    assert released == sorted(shuffled)


@pytest.mark.parametrize("input_key", ["input_stream", "bsread_address"])
def test_stream_pipeline_prefixes_the_channels_of_a_stream(rest: Rest, input_key: str) -> None:
    with Publisher("tcp://127.0.0.1:0") as source:
        instance_id, stream = rest.create(
            {"pipeline_type": "stream", input_key: source.address, "function": "propagate_stream_with_prefix",
             "prefix": "sensor:"}
        )  # fmt: skip
        with Subscriber(stream, receive_timeout=1) as output:
            message = join(source, output, {"charge": 2.5, "wave": np.arange(5.0)})
    assert {"sensor:charge", "sensor:wave"} <= set(message.data)
    assert float(message.data["sensor:charge"]) == 2.5
    assert message.data["sensor:wave"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert message.pulse_id >= 1000  # the input's pulse id, passed on
    assert rest.info(instance_id)["config"][input_key] == source.address
    rest.stop(instance_id)


def test_store_forwards_every_nth_image(rest: Rest, feed: Feed) -> None:
    instance_id, stream = rest.create(fed(feed, pipeline_type="store", camera_name="tiny", modulo=3))
    with pull(stream) as output:
        rest.wait_figure(instance_id, "clients", 1)  # a store does not wait for its reader
        feed.send(range(1, 10))
        messages = read(output, 3)
    assert pulse_ids(messages) == [1, 4, 7]
    assert set(messages[1].data) == {"tiny:FPICTURE"}
    assert messages[1].data["tiny:FPICTURE"].tolist() == np.full((4, 6), 4).tolist()
    assert rest.wait_figure(instance_id, "skipped", 6) == 6
    assert rest.statistics(instance_id)["rx_count"] == 9  # the feed's frames; the camera is not asked
    rest.stop(instance_id)


def test_store_does_not_block_when_nobody_takes_its_images(rest: Rest, feed: Feed) -> None:
    instance_id, stream = rest.create(fed(feed, pipeline_type="store", camera_name="tiny", queue_size=1))
    feed.send(range(1, 11))
    rest.wait_figure(instance_id, "rx_count", 10)  # CamServer's store never waits for its reader
    assert rest.wait_figure(instance_id, "output_drops", 10) == 10
    with pull(stream) as output:
        rest.wait_figure(instance_id, "clients", 1)
        feed.send([11])
        assert pulse_ids(read(output, 1)) == [11]
    rest.stop(instance_id)


def test_custom_pipeline_makes_messages_and_takes_live_parameters(rest: Rest) -> None:
    instance_id, stream = rest.create({"pipeline_type": "custom", "function": "counter", "max_frame_rate": 100,
                                       "scale": 2})  # fmt: skip
    with Subscriber(stream, receive_timeout=20) as output:
        first = read(output, 1)[0]
        assert first.pulse_id == 1000 + int(first.data["count"])
        assert int(first.data["scaled"]) == 2 * int(first.data["count"])
        rest.update(instance_id, {"scale": 3})

        def rescaled() -> bool:
            message = read(output, 1)[0]
            return int(message.data["scaled"]) == 3 * int(message.data["count"])

        wait_until(rescaled, "the new scale")
    assert rest.statistics(instance_id)["processing_errors"] == 0
    rest.stop(instance_id)


def test_a_custom_function_without_pulse_ids_has_its_messages_numbered(rest: Rest) -> None:
    instance_id, stream = rest.create({"pipeline_type": "custom", "function": "unnumbered", "mode": "PUSH",
                                       "no_client_timeout": 0, "abort_on_error": False})  # fmt: skip
    with pull(stream) as output:
        messages = read(output, 4)
    # call 3 returned a pulse id that is none: a processing error for that call (it would end the pipeline
    # with abort_on_error, CamServer's default); the instance goes on
    assert [int(message.data["count"]) for message in messages] == [1, 2, 4, 5]
    assert pulse_ids(messages) == [0, 1, 2, 3]
    assert rest.wait_figure(instance_id, "processing_errors", 1) == 1
    assert rest.info(instance_id)["state"] == "running"
    assert "the custom function returned the pulse id 'not a pulse id'" in rest.log_text(instance_id)
    rest.stop(instance_id)


def test_a_misspelled_built_in_function_is_named_with_the_right_one(rest: Rest, feed: Feed) -> None:
    body = rest.call("POST", "/api/v1/pipeline", json=fed(feed, pipeline_type="stream", function="propagate_stram"),
                     status=404)  # fmt: skip
    assert body["status"] == (
        "function 'propagate_stram': there is no user script propagate_stram.py; upload it first "
        "(or did you mean the built-in 'propagate_stream'?)."
    )


def test_script_pipeline_runs_the_uploaded_module(rest: Rest) -> None:
    instance_id, stream = rest.create({"pipeline_type": "script", "pipeline_script": "camera_sum",
                                       "camera_name": "tiny", "gain": 1})  # fmt: skip
    with Subscriber(stream, receive_timeout=20) as output:
        message = read(output, 1)[0]
        assert int(message.data["total"]) > 0
        assert int(message.data["gain"]) == 1
        rest.update(instance_id, {"gain": 5})
        wait_until(lambda: int(read(output, 1)[0].data["gain"]) == 5, "the script to take the new gain")
    assert rest.wait_figure(instance_id, "tx_count", 1) >= 1
    assert "script reads tcp://127.0.0.1:" in rest.log_text(instance_id)
    rest.update(instance_id, {"finish": True})
    assert rest.wait_exit(instance_id) == 0
    info = rest.info(instance_id)
    assert (info["state"], info["reason"]) == ("stopped", "the script returned")


def test_a_function_is_reloaded_after_a_new_upload(rest: Rest, feed: Feed) -> None:
    instance_id, stream = rest.create(fed(feed, pipeline_type="stream", function="versioned"))
    with pull(stream) as output:
        feed.send([1])
        assert int(read(output, 1)[0].data["version"]) == 1
        rest.upload_script("versioned.py", SCRIPTS["versioned.py"].replace('"version": 1', '"version": 2'))
        rest.update(instance_id, {"function": "versioned", "reload": True})
        feed.send([2])
        assert int(read(output, 1)[0].data["version"]) == 2
        rest.upload_script("versioned.py", SCRIPTS["versioned.py"].replace('"version": 1', '"version": 3'))
        assert rest.update(instance_id, {"note": "no reload"})["reload"] is False  # reload was for one update
        feed.send([3])
        assert int(read(output, 1)[0].data["version"]) == 2
    rest.stop(instance_id)


def test_a_missing_user_function_is_the_callers_error(rest: Rest, feed: Feed) -> None:
    body = rest.call("POST", "/api/v1/pipeline", json=fed(feed, pipeline_type="stream", function="nowhere"),
                     status=404)  # fmt: skip
    assert "no user script nowhere.py" in body["status"]
    body = rest.call("POST", "/api/v1/pipeline", json={"pipeline_type": "script", "pipeline_script": "nowhere"},
                     status=404)  # fmt: skip
    assert "pipeline_script 'nowhere'" in body["status"]
    instance_id, stream = rest.create(fed(feed, pipeline_type="stream", function="propagate_stream"))
    body = rest.call("POST", f"/api/v1/pipeline/instance/{instance_id}/config", json={"function": "nowhere"},
                     status=404)  # fmt: skip
    assert "nowhere.py" in body["status"]
    assert rest.info(instance_id)["config"]["function"] == "propagate_stream"  # server and instance agree
    with pull(stream) as output:
        feed.send([1])
        assert pulse_ids(read(output, 1)) == [1]
    rest.stop(instance_id)


def test_an_update_the_instance_refuses_is_answered_with_its_reason(rest: Rest, feed: Feed) -> None:
    rest.upload_script("broken.py", "def process(stream_data, pulse_id, timestamp, parameters)\n")
    instance_id, stream = rest.create(fed(feed, pipeline_type="stream", function="propagate_stream"))
    body = rest.call("POST", f"/api/v1/pipeline/instance/{instance_id}/config", json={"function": "broken"},
                     status=400)  # fmt: skip
    assert "refused" in body["status"]
    assert "SyntaxError" in body["status"]
    with pull(stream) as output:  # still running, with its old function
        feed.send([1])
        assert pulse_ids(read(output, 1)) == [1]
    rest.stop(instance_id)


def test_libs_are_importable_only_in_the_instance_that_lists_them(rest: Rest) -> None:
    with Feed() as listed, Feed() as unlisted:
        with_lib, with_stream = rest.create(fed(listed, pipeline_type="stream", function="uses_lib",
                                                libs=["calibration.py"]))  # fmt: skip
        without_lib, without_stream = rest.create(
            fed(unlisted, pipeline_type="stream", function="uses_lib", abort_on_error=False)
        )
        with pull(with_stream) as output:
            listed.send([3])
            assert int(read(output, 1)[0].data["scaled"]) == 21
        with pull(without_stream) as output:
            unlisted.send([3, 4])
            assert rest.wait_figure(without_lib, "processing_errors", 2) == 2
            assert output.receive(timeout=0.2) is None
    assert "No module named 'calibration'" in rest.log_text(without_lib)
    assert rest.info(without_lib)["state"] == "running"
    for instance_id in (with_lib, without_lib):
        rest.stop(instance_id)


def test_a_failing_user_function_is_counted_and_survived_without_abort_on_error(rest: Rest) -> None:
    instance_id, stream = rest.create({"camera_name": "tiny", "function": "odd_fails", "abort_on_error": False})
    with Subscriber(stream, receive_timeout=20) as output:
        messages = read(output, 5)
    assert all(message.pulse_id % 2 == 0 for message in messages)
    assert all(int(message.data["total"]) > 0 for message in messages)
    assert rest.wait_figure(instance_id, "processing_errors", 3) >= 3
    assert rest.info(instance_id)["state"] == "running"
    assert "odd pulse" in rest.log_text(instance_id)
    rest.stop(instance_id)


def test_a_failing_user_function_ends_the_instance_with_code_2_with_abort_on_error(rest: Rest) -> None:
    instance_id, _ = rest.create({"camera_name": "tiny", "function": "odd_fails"})  # abort_on_error: CamServer's true
    assert rest.wait_exit(instance_id) == 2
    info = rest.info(instance_id)
    assert info["state"] == "failed"
    assert "odd pulse" in info["reason"]
    assert info["detail"]["processing_errors"] == 1
