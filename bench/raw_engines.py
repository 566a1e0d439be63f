"""The raw engines bench/asr.py sets beside the kiosk: each recogniser decoding a whole file at once, on
the very model the kiosk's catalog holds (the figure `edge-avatar run` must not fall behind)."""

from __future__ import annotations

from pathlib import Path

from bench import noise_mix

WHISPER_RAW = {"compute_type": "int8", "beam_size": 5, "cpu_threads": 2}
ZH_PROMPT = "以下是普通话的句子。"


class RawUnavailable(Exception):
    pass


class PocketsphinxWholeFile:
    """pocketsphinx on the kiosk's en-US model (catalog entry, as the kiosk finds it), its default
    search (fwdflat and bestpath on), the whole file in one `process_raw(full_utt=True)`."""

    description = "pocketsphinx en-US (the kiosk's catalog model), default search, whole file"

    def __init__(self):
        from pocketsphinx import Config, Decoder

        from runtime.models.manifest import ModelCatalog
        catalog = ModelCatalog.load()
        entry = catalog.find("asr", "en", engine="pocketsphinx")
        if entry is None:
            raise RawUnavailable("no pocketsphinx en model in the catalog")
        model = Path(catalog.verify(entry))
        config = Config(samprate=noise_mix.RATE, loglevel="ERROR", hmm=str(model))
        lm, dictionary = model.parent / "en-us.lm.bin", model.parent / "cmudict-en-us.dict"
        if lm.exists() and dictionary.exists():     # as PocketsphinxRecognizer: LM and dictionary beside it
            config["lm"], config["dict"] = str(lm), str(dictionary)
        self._decoder = Decoder(config)

    def decode(self, wav: Path) -> str:
        audio = noise_mix.read_wav16(wav).tobytes()
        self._decoder.start_utt()
        self._decoder.process_raw(audio, full_utt=True)
        self._decoder.end_utt()
        hyp = self._decoder.hyp()
        return hyp.hypstr.strip() if hyp else ""


class WhisperWholeFile:
    """faster-whisper on the Whisper model the kiosk's catalog holds (its parts joined as the kiosk
    joins them): int8, beam 5, 2 threads, the whole file, no VAD filter."""

    def __init__(self, backend: str):
        try:
            from faster_whisper import WhisperModel
        except ImportError as err:
            raise RawUnavailable(f"faster-whisper is not installed ({err})") from err
        from runtime.models.manifest import ModelCatalog
        entry = ModelCatalog.load().by_id(backend)
        if entry is None or entry.kind != "asr" or not entry.available:
            raise RawUnavailable(f"no installed model {backend!r} in the kiosk's model catalog")
        folder, in_memory = whisper_files(entry)
        self.description = f"faster-whisper {entry.id} int8, beam 5, 2 threads, whole file"
        self._model = WhisperModel(str(folder), device="cpu", compute_type=WHISPER_RAW["compute_type"],
                                   cpu_threads=WHISPER_RAW["cpu_threads"], files=in_memory)

    def decode(self, wav: Path, language: str = "en") -> str:
        """The whole file; zh with the Mandarin prompt ../shared/speech/mandarin-read/README.md used."""
        segments, _ = self._model.transcribe(str(wav), language=language, beam_size=WHISPER_RAW["beam_size"],
                                             temperature=0.0, vad_filter=False,
                                             initial_prompt=ZH_PROMPT if language == "zh" else None)
        return " ".join(s.text.strip() for s in segments).strip()


def whisper_files(entry) -> tuple[Path, dict | None]:
    """The model's folder the way the kiosk gets it (`model_parts.model_folder` joins split files)."""
    try:
        from runtime.asr.model_parts import model_folder
    except ImportError:
        from runtime.models.manifest import ModelCatalog
        return ModelCatalog.load().verify(entry), None
    files = model_folder(entry)
    return files.folder, files.in_memory


def raw_engine(backend: str):
    return PocketsphinxWholeFile() if backend == "pocketsphinx" else WhisperWholeFile(backend)
