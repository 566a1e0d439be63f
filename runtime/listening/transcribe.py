"""Run a WAV file through the kiosk's listening path (VAD, endpointing, streaming ASR).

The same stages `edge-avatar run` uses, without dialogue or speech: for tests
and benchmarks that measure recognition as the kiosk really does it.
"""

from __future__ import annotations

from pathlib import Path

from runtime.asr.base import Recognizer
from runtime.audio.sources import WavFileSource
from runtime.turn_taking.endpointing import EndpointConfig, Endpointer
from runtime.turn_taking.events import RunEvent, TurnEnd

from .front_end import AudioFrontEnd
from .listener import Listener
from .vad import VoiceActivityDetector


def transcribe_file(path: Path, recognizer: Recognizer, vad: VoiceActivityDetector,
                    endpoint: EndpointConfig = EndpointConfig()) -> list[TurnEnd]:
    source = WavFileSource(Path(path), paced=False, trailing_silence=endpoint.end_silence_s + 0.5)
    front_end, listener = AudioFrontEnd(vad), Listener(recognizer, Endpointer(endpoint))
    vad.reset()
    turns: list[TurnEnd] = []
    for chunk in source.chunks():
        frame = front_end.process(chunk, turn=listener.turn_state)
        turns += [p for e, p in listener.process(frame, source.now) if e is RunEvent.TURN_ENDED]
    turns += [p for e, p in listener.flush(source.now) if e is RunEvent.TURN_ENDED]
    return turns
