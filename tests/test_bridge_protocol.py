"""The panel-controller protocol: frames, messages and the request tracker (pure, no port)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.frames import (DELIMITER, MAX_PAYLOAD, Frame, FrameDecoder, crc16, decode_body,
                                    encode_frame)
from firmware_bridge.link import Completed, EventReceived, Failed, LinkConfig, RequestTracker
from firmware_bridge.messages import (REGISTRY, Ack, GetTemperature, GetVersion, Nack, NackReason,
                                      PanelFault, PresenceEvent, SetBrightness, Temperature, Version,
                                      MessageError, parse)

frames = st.builds(Frame, type=st.integers(0, 255), seq=st.integers(0, 0xFFFF),
                   payload=st.binary(max_size=MAX_PAYLOAD))


def test_crc_is_ccitt_false():
    assert crc16(b"123456789") == 0x29B1


@given(frames)
def test_a_frame_survives_the_wire(frame):
    wire = encode_frame(frame)
    assert wire.endswith(DELIMITER) and DELIMITER not in wire[:-1]
    assert decode_body(wire[:-1]) == frame


@given(st.lists(frames, min_size=1, max_size=8), st.data())
def test_the_stream_decoder_takes_any_split(frames_, data):
    wire = b"".join(encode_frame(f) for f in frames_)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=6)))
    decoder, out, last = FrameDecoder(), [], 0
    for cut in cuts + [len(wire)]:
        out += decoder.feed(wire[last:cut])
        last = cut
    assert out == frames_ and decoder.frames_bad == 0


def test_a_corrupt_frame_is_counted_and_the_next_one_still_decodes():
    good = encode_frame(Frame(0x81, 5, b"\x01\x02\x03model"))
    broken = bytearray(good)
    broken[good.index(b"model")] ^= 0x40   # a data byte: only the CRC can notice
    decoder = FrameDecoder()
    assert decoder.feed(bytes(broken) + good) == [Frame(0x81, 5, b"\x01\x02\x03model")]
    assert decoder.frames_bad == 1 and "CRC" in decoder.last_error


def test_fuzz_100k_random_and_mutated_frames_never_crash_and_resync():
    rng = random.Random(1234)
    decoder = FrameDecoder()
    sent_good = 0
    for i in range(100_000):
        frame = Frame(rng.randrange(256), rng.randrange(65536), rng.randbytes(rng.randrange(0, 40)))
        wire = bytearray(encode_frame(frame))
        kind = i % 4
        if kind == 0:
            sent_good += 1
        elif kind == 1:   # flip a bit inside the frame
            wire[rng.randrange(len(wire) - 1)] ^= 1 << rng.randrange(8)
        elif kind == 2:   # pure noise with no delimiter, then the frame's own delimiter
            wire = bytearray(rng.randbytes(rng.randrange(1, 60)).replace(b"\x00", b"\x01")) + b"\x00"
        else:             # truncated frame
            wire = wire[:rng.randrange(1, len(wire) - 1)] + b"\x00"
        decoder.feed(bytes(wire))
    # A bit flip can (rarely) turn a byte into 0x00 and split a frame in two: still no good frame is lost.
    assert decoder.frames_ok >= sent_good
    assert decoder.frames_ok + decoder.frames_bad >= 100_000
    final = Frame(0x40, 1, b"\x01\x10\x00")
    assert decoder.feed(encode_frame(final)) == [final]


def test_an_endless_line_without_delimiters_is_bounded():
    decoder = FrameDecoder()
    for _ in range(1000):
        decoder.feed(b"\x55" * 997)
    assert len(decoder._buffer) == 0 and decoder.feed(b"\x00") == []
    assert decoder.frames_bad == 1


@pytest.mark.parametrize("message", [
    GetVersion(), Version(1, 4, 2, "LF-1024 fan"), SetBrightness(80), GetTemperature(), Temperature(-1250),
    PresenceEvent(1, 900), PanelFault(3, "motor stalled"), Nack(NackReason.OUT_OF_RANGE),
])
def test_messages_round_trip(message):
    assert parse(message.TYPE, message.to_payload()) == message


def test_bad_payloads_say_what_was_expected():
    with pytest.raises(MessageError, match="SetBrightness: payload of 2 bytes, expected 1"):
        parse(SetBrightness.TYPE, b"\x10\x00")
    with pytest.raises(MessageError, match="outside 0..100"):
        parse(SetBrightness.TYPE, b"\xc8")
    with pytest.raises(MessageError, match="unknown message type 0x3e"):
        parse(0x3E, b"")
    assert parse(SetBrightness.TYPE | 0x80, b"") == Ack()


def test_every_registered_type_is_unique_and_in_its_range():
    for code, cls in REGISTRY.items():
        assert cls.TYPE == code


def controller_reply(wire: bytes, response_type: int, payload: bytes = b"") -> Frame:
    request = decode_body(wire[:-1])
    return Frame(response_type, request.seq, payload)


def test_a_request_completes_with_its_response():
    tracker = RequestTracker(LinkConfig(timeout_s=0.2, retries=2))
    seq, wire = tracker.request(GetTemperature(), now=10.0)
    [done] = tracker.on_frame(controller_reply(wire, 0x86, Temperature(4150).to_payload()), now=10.03)
    assert isinstance(done, Completed) and done.response == Temperature(4150)
    assert done.round_trip_s == pytest.approx(0.03) and tracker.in_flight == 0


def test_a_lost_request_is_retried_with_the_same_seq_then_times_out():
    tracker = RequestTracker(LinkConfig(timeout_s=0.2, retries=2))
    seq, wire = tracker.request(SetBrightness(50), now=0.0)
    assert tracker.poll(0.1) == ([], [])
    assert tracker.poll(0.2) == ([wire], [])          # same bytes, same seq
    assert tracker.next_deadline() == pytest.approx(0.4)
    assert tracker.poll(0.4) == ([wire], [])
    resend, failed = tracker.poll(0.61)
    assert resend == [] and [f.reason for f in failed] == ["timeout"] and failed[0].attempts == 3
    assert tracker.stats.retransmits == 2 and tracker.stats.timeouts == 1


def test_a_duplicated_response_and_event_are_dropped():
    tracker = RequestTracker()
    seq, wire = tracker.request(SetBrightness(10), now=0.0)
    reply = controller_reply(wire, SetBrightness.TYPE | 0x80)
    assert len(tracker.on_frame(reply, 0.01)) == 1
    assert tracker.on_frame(reply, 0.02) == []
    event = Frame(PresenceEvent.TYPE, 77, PresenceEvent(1, 1200).to_payload())
    assert tracker.on_frame(event, 0.03) == [EventReceived(77, PresenceEvent(1, 1200))]
    assert tracker.on_frame(event, 0.04) == []
    assert tracker.stats.duplicates == 2


def test_a_nack_fails_the_request_with_its_reason():
    tracker = RequestTracker()
    seq, wire = tracker.request(SetBrightness(10), now=0.0)
    [failed] = tracker.on_frame(controller_reply(wire, 0x7F, bytes([NackReason.BUSY])), 0.01)
    assert isinstance(failed, Failed) and failed.reason == "nack:BUSY"


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(0, 255), st.integers(0, 0xFFFF), st.binary(max_size=16)), max_size=30))
def test_the_tracker_never_raises_on_whatever_the_controller_sends(junk):
    tracker = RequestTracker()
    tracker.request(GetVersion(), now=0.0)
    for ftype, seq, payload in junk:
        tracker.on_frame(Frame(ftype, seq, payload), now=0.1)
    tracker.poll(5.0)
