"""What decides a voice's audio, as one string: the answer cache's key. One formula per engine, used
by the loaded voice and by `describe_voice_id` (which names a voice without loading it, so a voice
that is not needed yet need not be loaded for its cached answers to be found)."""

from __future__ import annotations


def piper_voice_id(voice_name: str, deterministic: bool) -> str:
    """A Piper model, and whether it samples noise (zero noise: the same audio every time)."""
    return f"piper:{voice_name}:{'deterministic' if deterministic else 'noise'}"


def kokoro_voice_id(voice_name: str, speed: float) -> str:
    return f"kokoro:{voice_name}:speed{speed}"


def espeak_voice_id(espeak_voice: str, speed_wpm: int) -> str:
    return f"espeak-ng:{espeak_voice}:{speed_wpm}wpm"
