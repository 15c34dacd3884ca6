"""Random byte streams against the MLLP decoder and a live listener."""

from __future__ import annotations

from collections.abc import Iterator

import hl7
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.io.mllp import (
    EB,
    HEAD_BYTES,
    SB,
    FrameError,
    MllpDecoder,
    MllpListener,
    PeerInfo,
    frame,
)
from monitor.io.mllp_client import MllpClient

MAX_FRAME = 256

# Bytes that matter to the decoder come up often; the rest is any byte.
stream_bytes = st.lists(
    st.one_of(st.sampled_from([SB, EB, b"\r", b"\n", b"MSH|"]), st.binary(min_size=1, max_size=40)),
    max_size=60,
).map(b"".join)
message_bytes = st.binary(max_size=MAX_FRAME).map(lambda b: b.replace(SB, b"").replace(EB, b""))


def pieces(data: bytes, cuts: list[int]) -> Iterator[bytes]:
    """``data`` cut at the given offsets, as TCP might deliver it."""
    edges = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return (data[a:b] for a, b in zip(edges, edges[1:], strict=False))


def decode(data: bytes, cuts: list[int]) -> list[bytes | FrameError]:
    decoder = MllpDecoder(MAX_FRAME)
    out = [item for piece in pieces(data, cuts) for item in decoder.feed(piece)]
    return out + list(decoder.finish())


@settings(max_examples=300, deadline=None)
@given(stream_bytes, st.lists(st.integers(min_value=0), max_size=20))
def test_decoder_result_does_not_depend_on_how_reads_split_the_stream(
        data: bytes, cuts: list[int]) -> None:
    out = decode(data, cuts)
    assert out == decode(data, [])
    for item in out:
        if isinstance(item, bytes):
            assert SB not in item and EB not in item and len(item) <= MAX_FRAME
        else:
            assert item.size >= 0 and len(item.head) <= HEAD_BYTES


@settings(max_examples=200, deadline=None)
@given(st.lists(message_bytes, max_size=10), st.lists(st.integers(min_value=0), max_size=20),
       st.sampled_from([b"", b"\r\n", b"\n"]))
def test_decoder_returns_every_framed_message_unchanged(
        messages: list[bytes], cuts: list[int], between: bytes) -> None:
    data = between.join(frame(m) for m in messages)
    assert decode(data, cuts) == messages


def test_listener_answers_after_any_byte_stream() -> None:
    def handler(message: bytes, peer: PeerInfo) -> bytes:
        return str(hl7.parse(message.decode("latin-1")).create_ack("AA")).encode("latin-1")

    with MllpListener(handler, port=0, max_frame=MAX_FRAME) as listener:
        count = 0

        @settings(max_examples=40, deadline=None)
        @given(stream_bytes)
        def run(noise: bytes) -> None:
            nonlocal count
            count += 1
            marker = f"FUZZ{count}"
            message = (f"MSH|^~\\&|GW|W|M|R|20240501||ORU^R01|{marker}|P|2.6\r"
                       "OBX|1|NM|8867-4^HR^LN||72|/min|||||F\r").encode()
            with MllpClient(*listener.address, timeout=5.0) as client:
                client.send_raw(noise + frame(message))
                # Frames inside the noise are answered first (AE when they do not parse);
                # then ours, accepted.
                while True:
                    msa = hl7.parse(client.receive().decode("latin-1")).segment("MSA")
                    assert str(msa(1)) in {"AA", "AE", "AR"}
                    if str(msa(2)) == marker:
                        assert str(msa(1)) == "AA"
                        break

        run()
        assert count >= 20  # the examples really ran against this listener
        assert listener.status().listening
