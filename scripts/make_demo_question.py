"""Re-create runtime/content/default/demo_question.wav: a visitor question spoken by Piper.

The kiosk plays this file in its headless demo (no microphone). It is committed,
so nothing is synthesised or downloaded at run time; run this only to change it.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runtime.audio.chunk import AudioChunk  # noqa: E402
from runtime.composition.backends import make_synthesizer
from runtime.models.manifest import ModelCatalog

QUESTION = "What time does the museum open?"
OUT = Path(__file__).resolve().parents[1] / "runtime" / "content" / "default" / "demo_question.wav"


def main() -> None:
    import wave
    tts = make_synthesizer(ModelCatalog.load(), "en")
    speech = np.concatenate([s.audio.float_samples() for s in tts.synthesize(QUESTION)])
    lead, tail = np.zeros(int(0.6 * tts.rate)), np.zeros(int(0.8 * tts.rate))
    audio = AudioChunk.from_float(0.7 * np.concatenate([lead, speech, tail]), tts.rate).converted(rate=16000)
    with wave.open(str(OUT), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(audio.audio)
    print(f"{OUT}: {audio.seconds:.2f} s")


if __name__ == "__main__":
    main()
