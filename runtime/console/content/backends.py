"""The Content area's backends, chosen once when the app starts and logged: the kiosk's voices and
recogniser (real), or test doubles a test puts in `app.extensions["console_content"]`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from runtime.rights.file_labels import FileLabeller
from runtime.rights.labels import FileLabel

from .answer_voices import KioskVoices, VoiceSource
from .hearing import Hearing, KioskHearing

_LOGGER = logging.getLogger(__name__)
KEY = "console_content"


@dataclass
class ContentBackends:
    voices: VoiceSource
    hearing: Hearing
    labeller: FileLabeller
    avatar_dir: Path | None = None     # None: the kiosk's default character

    def describe(self) -> str:
        return f"voices {self.voices.name}, hearing {self.hearing.name}, avatar {self.avatar_dir or 'default'}"


def install_backends(app, backends: ContentBackends | None = None) -> ContentBackends:
    if backends is None:
        data_dir = app.config["CONSOLE_SETTINGS"].data_dir
        backends = ContentBackends(KioskVoices(), KioskHearing(),
                                   FileLabeller.from_env(FileLabel(), data_dir))
    app.extensions[KEY] = backends
    _LOGGER.info("content area backends: %s", backends.describe())
    return backends


def backends() -> ContentBackends:
    return current_app.extensions[KEY]
