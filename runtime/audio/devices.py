"""Probe PortAudio for capture and playback devices (used to pick defaults)."""

from __future__ import annotations

import contextlib
import os


def _count(key: str) -> int:
    try:
        import pyaudio
    except ImportError:
        return 0
    # PortAudio prints ALSA/JACK probing noise on stderr; keep the console clean.
    with quiet_stderr():
        pa = pyaudio.PyAudio()
    try:
        return sum(1 for i in range(pa.get_device_count())
                   if pa.get_device_info_by_index(i).get(key, 0) > 0)
    finally:
        pa.terminate()


def pick_device(pa, wanted: str | None, output: bool) -> int | None:
    """Index of the device named like `wanted` (or the default), None when there is none."""
    key = "maxOutputChannels" if output else "maxInputChannels"
    found = [i for i in range(pa.get_device_count()) if pa.get_device_info_by_index(i).get(key, 0) > 0]
    if not found:
        return None
    if wanted is None:
        try:
            info = pa.get_default_output_device_info() if output else pa.get_default_input_device_info()
            return int(info["index"])
        except OSError:
            return found[0]
    return next((i for i in found if wanted in pa.get_device_info_by_index(i)["name"]), None)


def close_stream(pa, stream) -> None:
    """Stop and close a PortAudio stream, then release PortAudio, whatever fails first."""
    try:
        if stream is not None:
            stream.stop_stream()
            stream.close()
    finally:
        pa.terminate()


def has_input_device() -> bool:
    return _count("maxInputChannels") > 0


def has_output_device() -> bool:
    return _count("maxOutputChannels") > 0


@contextlib.contextmanager
def quiet_stderr():
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(devnull)
        os.close(saved)
