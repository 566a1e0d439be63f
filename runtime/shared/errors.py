"""Typed errors, one per stage, each naming what was wrong and where.

Every error carries a one-line message that names the file, field or device and
what was expected, so the CLI can print it as is and a running kiosk can log it
and keep what it had.
"""


class EdgeAvatarError(Exception):
    """Base class: a problem the kiosk can explain in one line."""


class ConfigError(EdgeAvatarError):
    """A config or option value is not what was expected."""


class ContentError(EdgeAvatarError):
    """A content pack is missing, unreadable or has a bad field."""


class AudioInputError(EdgeAvatarError):
    """An audio source (file or microphone) cannot be opened or read."""


class AudioOutputError(EdgeAvatarError):
    """An audio sink (speaker or file) cannot be opened or written."""


class ModelError(EdgeAvatarError):
    """A model or voice is missing, corrupt or fails its sha256."""


class AsrError(EdgeAvatarError):
    """The speech recogniser failed."""


class TtsError(EdgeAvatarError):
    """The speech synthesiser failed."""


class LanguageError(EdgeAvatarError):
    """A language that the content or the installed models do not support."""


class DisplayError(EdgeAvatarError):
    """The display or renderer cannot start."""
