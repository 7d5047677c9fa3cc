"""A simulated camera stream and a receiver that prints its rate, in one script.

A publisher sends a moving Gaussian beam as bsread messages over ZMQ on loopback; a subscriber
receives them and prints, once a second, the message rate, the data rate, and every drop it saw.

    python examples/stream_demo.py --seconds 10 --rate 100 --width 1280 --height 960
"""

from __future__ import annotations

import argparse
import threading
import time

import numpy as np

from camserver.protocol import Timestamp
from camserver.transport import Publisher, Subscriber


def beam(width: int, height: int, step: int) -> np.ndarray:
    """A uint16 Gaussian beam whose centre drifts with ``step``, on a flat background."""
    y, x = np.ogrid[:height, :width]
    cx = width / 2 + width / 8 * np.sin(step / 50)
    cy = height / 2 + height / 8 * np.cos(step / 70)
    image = 100 + 3000 * np.exp(-((x - cx) ** 2) / (2 * (width / 25) ** 2) - ((y - cy) ** 2) / (2 * (height / 25) ** 2))
    return image.astype(np.uint16)


def publish(publisher: Publisher, width: int, height: int, rate: float, stop: threading.Event) -> None:
    period, pulse_id, next_time = 1.0 / rate, 0, time.monotonic()
    while not stop.is_set():
        publisher.send(
            {"image": beam(width, height, pulse_id), "width": width, "height": height},
            pulse_id=pulse_id,
            timestamp=Timestamp.now(),
        )
        pulse_id += 1
        next_time += period
        stop.wait(max(0.0, next_time - time.monotonic()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=100.0, help="messages per second")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=960)
    arguments = parser.parse_args(argv)
    stop = threading.Event()
    with (
        Publisher("tcp://127.0.0.1:0", queue_size=10) as publisher,
        Subscriber(publisher.address, queue_size=10, receive_timeout=0.2) as subscriber,
    ):
        print(f"streaming on {publisher.address} for {arguments.seconds:g} s", flush=True)
        sender = threading.Thread(
            target=publish, args=(publisher, arguments.width, arguments.height, arguments.rate, stop)
        )
        sender.start()
        try:
            end = time.monotonic() + arguments.seconds
            last_count, last_bytes, last_time = 0, 0, time.monotonic()
            while time.monotonic() < end:
                subscriber.receive()
                now = time.monotonic()
                if now - last_time >= 1.0:
                    stats = subscriber.statistics
                    rate = (stats.received - last_count) / (now - last_time)
                    megabytes = (stats.bytes_received - last_bytes) / (now - last_time) / 1e6
                    print(
                        f"{rate:7.1f} Hz  {megabytes:8.1f} MB/s  received {stats.received}  "
                        f"missed {stats.missed_pulses}  decode errors {stats.decode_errors}",
                        flush=True,
                    )
                    last_count, last_bytes, last_time = stats.received, stats.bytes_received, now
        finally:
            stop.set()
            sender.join()
        print(f"received {subscriber.statistics.received} messages, sent {publisher.statistics.sent}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
