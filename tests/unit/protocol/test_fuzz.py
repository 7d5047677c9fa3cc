"""Bounded, seeded fuzzing of :meth:`Decoder.decode`: whatever arrives, only :class:`DecodeError` comes out.

Random frames and mutated valid messages (truncated and flipped frames, flipped bytes in compressed
payloads, wrong frame counts, bad JSON, unknown types and htypes, size and shape mismatches, stale hashes)
are fed to a decoder that lives through all of them and to a fresh one. A result is a :class:`Message`,
a :class:`ControlMessage` (for other htypes) or a :class:`DecodeError`; the long-lived decoder must still
decode every good message afterwards. The cases are the same on every run (fixed seed, fixed count).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from camserver.errors import DecodeError
from camserver.protocol import (
    Compression,
    CompressionPolicy,
    ControlMessage,
    Decoder,
    Encoder,
    HeaderStrategy,
    Message,
    Timestamp,
)

SEED = 20_171_024
CASES = 4000
STAMP = Timestamp(1700000000, 123456789)

Frames = list[bytes]


def _wire(frames: list[Any]) -> Frames:
    return [frame.tobytes() if isinstance(frame, np.ndarray) else bytes(frame) for frame in frames]


def _good_messages() -> list[Frames]:
    rng = np.random.default_rng(SEED)
    data = {
        "image": rng.integers(0, 4096, (12, 20), dtype=np.uint16),
        "x": 1.5,
        "n": 7,
        "s": "Grüße",
        "b": True,
        "wave": rng.normal(size=37).astype(">f4"),
        "bytes": np.arange(9, dtype=np.int8),
    }
    compressed = CompressionPolicy(arrays=Compression.BITSHUFFLE_LZ4, scalars=Compression.BITSHUFFLE_LZ4)
    encoders = [
        Encoder(),
        Encoder(compression=compressed, header_compression=Compression.BITSHUFFLE_LZ4),
        Encoder(compression=CompressionPolicy(arrays=Compression.BITSHUFFLE_LZ4)),
    ]
    messages = [_wire(encoder.encode(data, pulse_id=100, timestamp=STAMP).frames) for encoder in encoders]
    sparse = Encoder(strategy=HeaderStrategy.ALWAYS).encode({"a": None, "b": 2, "s": ""}, pulse_id=5, timestamp=STAMP)
    return [*messages, _wire(sparse.frames)]


GOOD = _good_messages()

JSON_VALUES: list[Any] = [
    None,
    True,
    -1,
    0,
    1.5,
    2**64,
    -(2**70),
    1e300,
    "",
    "x",
    "bsr_stop-1.0",
    "bsr_m-1.1",
    "none",
    "bitshuffle_lz4",
    "lz4",
    "zstd",
    [],
    [1],
    [0],
    [2**31, 2**31],
    {},
    {"sec": 1},
    {"sec": 1, "ns": 10**9},
    "UInt16",
    "big",
    float("nan"),
]
MAIN_KEYS = ["htype", "hash", "pulse_id", "global_timestamp", "dh_compression", "extra"]
CHANNEL_KEYS = ["name", "type", "shape", "encoding", "compression", "modulo", "offset"]
HOSTILE_JSON = [
    b"[" * 100_000,
    b"{" * 50_000,
    b'{"htype":"bsr_m-1.1","pulse_id":' + b"9" * 5000 + b"}",
    b'{"htype":"bsr_m-1.1","hash":"x","global_timestamp":{"sec":' + b"1" * 4400 + b"}}",
    b'\xef\xbb\xbf{"htype":"bsr_m-1.1"}',
    b'{"htype":"bsr_m-1.1","hash":"\\ud800"}',
    b'{"htype":"bsr_m-1.1","hash":"x"' + b' "a":1' * 10,
    b"NaN",
    b"null",
]


def _flip(frame: bytes, rng: random.Random, start: int = 0) -> bytes:
    if len(frame) <= start:
        return frame + bytes([rng.randrange(256)])
    mutable = bytearray(frame)
    for _ in range(rng.randint(1, 4)):
        position = rng.randrange(start, len(mutable))
        if rng.random() < 0.5:
            mutable[position] ^= 1 << rng.randrange(8)
        else:
            mutable[position] = rng.randrange(256)
    return bytes(mutable)


def _rehash(main: bytes, header: bytes) -> bytes:
    document = json.loads(main)
    document["hash"] = hashlib.md5(header).hexdigest()
    return json.dumps(document).encode()


def random_frames(rng: random.Random) -> Frames:
    return [rng.randbytes(rng.choice([0, 1, 2, 8, 12, 16, 40, 200])) for _ in range(rng.randrange(0, 9))]


def truncated_frame(rng: random.Random) -> Frames:
    frames = list(rng.choice(GOOD))
    index = rng.randrange(len(frames))
    frames[index] = frames[index][: rng.randrange(len(frames[index]) + 1)]
    return frames


def flipped_main_header(rng: random.Random) -> Frames:
    frames = list(rng.choice(GOOD))
    frames[0] = _flip(frames[0], rng)
    return frames


def flipped_data_header(rng: random.Random) -> Frames:
    frames = list(rng.choice(GOOD))
    frames[1] = _flip(frames[1], rng)
    if rng.random() < 0.5:
        frames[0] = _rehash(frames[0], frames[1])  # a new header, not a stale hash
    return frames


def flipped_compressed_payload(rng: random.Random) -> Frames:
    frames = list(rng.choice(GOOD[1:3]))
    index = rng.randrange(2, len(frames), 2)
    frames[index] = _flip(frames[index], rng, start=12 if len(frames[index]) > 12 and rng.random() < 0.7 else 0)
    return frames


def wrong_frame_count(rng: random.Random) -> Frames:
    frames = list(rng.choice(GOOD))
    choice = rng.randrange(3)
    if choice == 0:
        del frames[rng.randrange(1, len(frames)) :]
    elif choice == 1:
        frames += [rng.randbytes(rng.randrange(20)) for _ in range(rng.randint(1, 3))]
    else:
        del frames[rng.randrange(2, len(frames))]
    return frames


def bad_json(rng: random.Random) -> Frames:
    frames = list(rng.choice(GOOD))
    index = rng.randrange(2) if json.loads(frames[0]).get("dh_compression") == "none" else 0
    text = bytearray(frames[index])
    for _ in range(rng.randint(1, 3)):
        position = rng.randrange(len(text))
        if rng.random() < 0.5:
            del text[position]
        else:
            text.insert(position, ord(rng.choice('{}[],:"\\0e-.x ')))
    frames[index] = bytes(text)
    if index == 1:
        frames[0] = _rehash(frames[0], frames[1])
    return frames


def hostile_json(rng: random.Random) -> Frames:
    frames = list(rng.choice(GOOD))
    index = rng.randrange(2)
    frames[index] = rng.choice(HOSTILE_JSON)
    if index == 1:
        main = json.loads(frames[0])
        main["dh_compression"] = "none"
        frames[0] = _rehash(json.dumps(main).encode(), frames[1])
    return frames


def mutated_main_fields(rng: random.Random) -> Frames:
    frames = list(rng.choice(GOOD))
    main = json.loads(frames[0])
    for _ in range(rng.randint(1, 2)):
        key = rng.choice(MAIN_KEYS)
        if rng.random() < 0.2:
            main.pop(key, None)
        else:
            main[key] = rng.choice(JSON_VALUES)
    frames[0] = json.dumps(main).encode()
    return frames


def mutated_channel_fields(rng: random.Random) -> Frames:
    """Unknown types, size and shape mismatches, bad encodings: a valid new header (new hash)."""
    frames = list(rng.choice([GOOD[0], GOOD[2], GOOD[3]]))  # headers sent uncompressed
    header = json.loads(frames[1])
    for _ in range(rng.randint(1, 2)):
        channel = rng.choice(header["channels"])
        key = rng.choice(CHANNEL_KEYS)
        if rng.random() < 0.2:
            channel.pop(key, None)
        elif key == "shape" and rng.random() < 0.6:
            channel["shape"] = [rng.randrange(0, 30) for _ in range(rng.randint(1, 3))]
        elif key == "type" and rng.random() < 0.6:
            channel["type"] = rng.choice(["int8", "uint64", "float32", "bool", "string", "float16", "u2"])
        else:
            channel[key] = rng.choice(JSON_VALUES)
    if rng.random() < 0.1:
        header["htype"] = rng.choice(JSON_VALUES)
    frames[1] = json.dumps(header).encode()
    frames[0] = _rehash(frames[0], frames[1])
    return frames


def stale_hash(rng: random.Random) -> Frames:
    """Same hash, different header: the main header of one good message with the rest of another."""
    first, second = rng.sample(GOOD, 2)
    return [first[0], *second[1:]]


def other_htype(rng: random.Random) -> Frames:
    frames = list(rng.choice(GOOD)) if rng.random() < 0.5 else []
    control = {"htype": rng.choice(["bsr_stop-1.0", "bsr_reconnect-1.0", "bsr_m-1.0", "x"]), "sentMessages": 3}
    return [json.dumps(control).encode(), *frames[1:]]


MUTATIONS: list[Callable[[random.Random], Frames]] = [
    random_frames,
    truncated_frame,
    flipped_main_header,
    flipped_data_header,
    flipped_compressed_payload,
    wrong_frame_count,
    bad_json,
    hostile_json,
    mutated_main_fields,
    mutated_channel_fields,
    stale_hash,
    other_htype,
]


def _outcome(decoder: Decoder, frames: Frames) -> str:
    try:
        result = decoder.decode(frames)
    except DecodeError as error:
        reason = str(error)
    else:
        assert isinstance(result, Message | ControlMessage)
        return type(result).__name__
    assert reason, "a DecodeError says what is wrong"
    return "stale hash" if "stale hash" in reason else "error"


def _assert_decodes_good_messages(decoder: Decoder) -> None:
    """Every good message decodes; right after a header sent under its hash, on its second arrival."""
    for frames in GOOD:
        reason = ""
        try:
            message = decoder.decode(frames)
        except DecodeError as error:
            reason = str(error)
            message = decoder.decode(frames)
        assert not reason or "stale hash" in reason, reason
        assert isinstance(message, Message)
        assert message.pulse_id in (100, 5)


def test_good_messages_decode() -> None:
    _assert_decodes_good_messages(Decoder())


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda mutation: mutation.__name__)
def test_every_mutation_changes_the_message(mutation: Callable[[random.Random], Frames]) -> None:
    rng = random.Random(SEED)
    assert any(mutation(rng) not in GOOD for _ in range(20))


def test_fuzzed_messages_only_ever_raise_decode_errors() -> None:
    rng = random.Random(SEED)
    survivor = Decoder(cache_size=4)
    _assert_decodes_good_messages(survivor)
    outcomes: Counter[tuple[str, str]] = Counter()
    for case in range(CASES):
        mutation = MUTATIONS[case % len(MUTATIONS)]
        frames = mutation(rng)
        try:
            outcomes[mutation.__name__, _outcome(survivor, frames)] += 1
            _outcome(Decoder(), frames)
            if case % 50 == 0:
                _assert_decodes_good_messages(survivor)
        except BaseException as error:
            error.add_note(f"fuzz case {case} ({mutation.__name__}), frames {[frame[:60] for frame in frames]}")
            raise
    _assert_decodes_good_messages(survivor)
    # the fuzzing reached every kind of outcome, and the stale hashes were all caught
    kinds = Counter(kind for _, kind in outcomes.elements())
    assert kinds["error"] > CASES // 3
    assert kinds["Message"] > 0
    assert kinds["ControlMessage"] > 0
    assert outcomes["stale_hash", "stale hash"] > 0


@pytest.mark.parametrize(("first", "second"), [(a, b) for a in range(len(GOOD)) for b in range(len(GOOD)) if a != b])
def test_a_stale_hash_is_refused_and_the_stream_goes_on(first: int, second: int) -> None:
    decoder = Decoder()
    assert isinstance(decoder.decode(GOOD[first]), Message)
    with pytest.raises(DecodeError, match="stale hash"):
        decoder.decode([GOOD[first][0], *GOOD[second][1:]])
    assert isinstance(decoder.decode(GOOD[first]), Message)
    assert isinstance(decoder.decode(GOOD[second]), Message)


UNCOMPRESSED_HEADERS = [0, 2, 3]


@pytest.mark.parametrize(
    ("first", "second"), [(a, b) for a in UNCOMPRESSED_HEADERS for b in UNCOMPRESSED_HEADERS if a != b]
)
def test_a_wrong_header_seen_first_under_a_hash_does_not_block_the_stream(first: int, second: int) -> None:
    decoder = Decoder()
    # a late joiner's first message carries another header under the stream's hash
    assert isinstance(decoder.decode([GOOD[first][0], *GOOD[second][1:]]), Message)
    with pytest.raises(DecodeError, match="stale hash"):
        decoder.decode(GOOD[first])
    for _ in range(3):
        message = decoder.decode(GOOD[first])
        assert isinstance(message, Message)
        assert message.pulse_id in (100, 5)
