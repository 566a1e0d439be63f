"""Audio in and out: one typed AudioChunk, sources and sinks behind Protocols."""

from .chunk import AudioChunk

__all__ = ["AudioChunk"]
