"""A linear echo canceller, only to see a visitor's first syllable over the avatar's voice.

WebRTC's AEC3 (`echo.py`) is what the recogniser and the VAD hear: its suppressor takes out the
avatar's voice so well that, in double talk, it also takes out the first 50-600 ms of a visitor
who talks over it (measured in bench/turn_taking.py: the cleaned signal stayed at -70 dBFS while
"Wait, how much…" was said at -20). A linear adaptive filter has no suppressor: it leaves more
echo behind (about 20 dB removed), but a voice that starts over it shows at once, as a rise of
the residual above what the avatar's voice left there a moment ago (`barge_in.LinearRise`).

`SpeexLinearEcho` is the MDF filter of libspeexdsp (BSD-3-Clause; Debian/Raspberry Pi OS package
`libspeexdsp1`) called through ctypes: 16 ms frames, a 256 ms tail. `make_linear_echo()` returns
None, loudly, when the library is missing: barge-in then waits for the VAD, as before.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from typing import Protocol

import numpy as np

from .chunk import PIPELINE_RATE, AudioChunk

_LOGGER = logging.getLogger(__name__)
RATE = PIPELINE_RATE
FRAME = 256               # 16 ms
TAIL = 4096               # 256 ms of room echo modelled
_SET_SAMPLING_RATE = 24   # SPEEX_ECHO_SET_SAMPLING_RATE


class LinearEcho(Protocol):
    name: str

    def residual_rms(self, mic: AudioChunk, far: np.ndarray) -> float | None:
        """Feed the microphone chunk (16 kHz mono) and the 16 kHz float samples the speaker played
        over it; returns the RMS (0-1) of what the linear filter leaves, None if no frame completed."""


def _load() -> ctypes.CDLL:
    path = ctypes.util.find_library("speexdsp") or "libspeexdsp.so.1"
    lib = ctypes.CDLL(path)
    lib.speex_echo_state_init.restype = ctypes.c_void_p
    lib.speex_echo_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.speex_echo_cancellation.argtypes = [ctypes.c_void_p] * 4
    lib.speex_echo_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    lib.speex_echo_state_destroy.argtypes = [ctypes.c_void_p]
    return lib


class SpeexLinearEcho:
    name = "speexdsp-mdf"

    def __init__(self) -> None:
        self._lib = _load()
        self._state = self._lib.speex_echo_state_init(FRAME, TAIL)
        if not self._state:
            raise OSError("libspeexdsp: speex_echo_state_init failed")
        rate = ctypes.c_int(RATE)
        self._lib.speex_echo_ctl(self._state, _SET_SAMPLING_RATE, ctypes.byref(rate))
        self._mic = np.zeros(0, dtype=np.int16)
        self._far = np.zeros(0, dtype=np.int16)
        self._out = np.zeros(FRAME, dtype=np.int16)

    def residual_rms(self, mic: AudioChunk, far: np.ndarray) -> float | None:
        if mic.rate != RATE or mic.channels != 1:
            mic = mic.converted(rate=RATE, channels=1)
        samples = np.frombuffer(mic.audio, dtype=np.int16)
        played = np.zeros(samples.size, dtype=np.int16)      # silence where nothing was played
        n = min(samples.size, len(far))
        if n:
            played[:n] = np.clip(np.asarray(far[:n]) * 32768, -32768, 32767).astype(np.int16)
        self._mic = np.concatenate([self._mic, samples])
        self._far = np.concatenate([self._far, played])
        energy, count = 0.0, 0
        while self._mic.size >= FRAME:
            rec = np.ascontiguousarray(self._mic[:FRAME])
            ref = np.ascontiguousarray(self._far[:FRAME])
            self._lib.speex_echo_cancellation(self._state, rec.ctypes.data, ref.ctypes.data, self._out.ctypes.data)
            energy += float(np.sum((self._out.astype(np.float64) / 32768) ** 2))
            count += FRAME
            self._mic, self._far = self._mic[FRAME:], self._far[FRAME:]
        return float(np.sqrt(energy / count)) if count else None

    def close(self) -> None:
        if self._state:
            self._lib.speex_echo_state_destroy(self._state)
            self._state = None

    def __del__(self) -> None:
        self.close()


def make_linear_echo() -> LinearEcho | None:
    try:
        linear = SpeexLinearEcho()
    except OSError as err:
        _LOGGER.warning("libspeexdsp unavailable (%s): barge-in waits for the VAD to hear a visitor "
                        "over the avatar (install libspeexdsp1)", err)
        return None
    _LOGGER.info("barge-in onset: %s linear echo filter", linear.name)
    return linear
