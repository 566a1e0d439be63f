"""What the kiosk switches while it runs: the content pack, the answer voice, the visitor's language,
and the answer cache that follows them. Each keeps the kiosk answering on what it had when the new
one cannot be loaded (a mixin of `Kiosk`: it works on the kiosk's own fields, on its own thread)."""

from __future__ import annotations

import logging
from typing import Callable

from runtime.dialogue.content_pack import load_content_pack
from runtime.dialogue.responder import Responder
from runtime.shared.errors import EdgeAvatarError
from runtime.tts.base import Synthesizer

from .lines import lines_to_prepare

_LOGGER = logging.getLogger("runtime.conversation.kiosk")


class Switching:
    def reload_content(self, folder) -> bool:
        """Switch to another content pack; on any problem keep answering from the current one."""
        try:
            responder = Responder(load_content_pack(folder), embedder=self.responder.embedder,
                                  safety=self.responder.safety)
            responder.check_language(self.lang)
        except EdgeAvatarError as err:
            _LOGGER.error("content reload refused, keeping %s: %s", self.responder.pack.venue_id, err)
            return False
        self.responder = responder
        self.session = responder.session(self.session.listen_languages)
        if self.languages is not None:   # the recogniser's phrase hints follow the new pack
            try:
                self.listener.set_recognizer(self.languages.recognizer(self.lang, responder.pack))
            except EdgeAvatarError as err:
                _LOGGER.error("recogniser hints not updated for the new pack: %s", err)
        for lg in self.speech.languages:      # the new pack's answers, built in the background
            self.prepare_answers(lg)
        _LOGGER.info("content reloaded: %s (%s)", responder.pack.venue_id, responder.pack.digest[:12])
        return True

    def reload_voice(self, make_voice: Callable[[], Synthesizer]) -> bool:
        """Switch the answer voice; a voice that fails to load leaves the current one speaking."""
        try:
            voice = make_voice()
        except EdgeAvatarError as err:
            _LOGGER.error("voice reload refused, keeping the current voice: %s", err)
            return False
        if self.prepared is not None:
            voice = self.prepared.wrap(voice)
        self.speech.set_synthesizer(self.lang, voice)
        self.prepare_answers(self.lang)
        return True

    def prepare_answers(self, lang: str) -> None:
        """Have every line of the pack in `lang` synthesised into the answer cache (in the background)."""
        if self.prepared is not None and lang in self.speech.languages:
            pack = self.responder.pack
            self.prepared.prepare(self.speech.synthesizers[lang], pack.digest, lines_to_prepare(pack, lang))

    def _switch_language(self, lang: str) -> None:
        """The visitor asked for another language: listen and speak in it from the next turn."""
        if self.languages is None:
            return
        try:
            if lang not in self.speech.languages:
                self.speech.set_synthesizer(lang, self.languages.voice(lang))
                self.prepare_answers(lang)
            self.listener.set_recognizer(self.languages.recognizer(lang, self.responder.pack))
        except EdgeAvatarError as err:
            _LOGGER.error("cannot switch to %s, staying in %s: %s", lang, self.lang, err)
            return
        _LOGGER.info("visitor switched language: %s -> %s", self.lang, lang)
        self.lang = lang
        load_soon = getattr(self.speech.synthesizers[lang], "load_soon", None)
        if load_soon is not None:     # its answers may be cached, but what is not should not wait a load
            load_soon()
