"""Hear an answer in the kiosk's voice and see the avatar say it: WAV bytes and frames with their times.

The audio is the voice's segments one after another; the mouth follows the same viseme track the
kiosk's playback builds (phoneme times when the voice gives them, else the loudness of the audio);
the frames are drawn by the kiosk's own `AvatarView` on a headless display at `fps`, speaking, with
the answer's cues played where their words are heard (as `Kiosk` places them). Every WAV and PNG
carries the AI label, as the kiosk's files do.
"""

from __future__ import annotations

import base64
import io
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

from runtime.audio.chunk import AudioChunk, concat
from runtime.dialogue.answer_text import Cue
from runtime.lipsync.visemes import VisemeTrack
from runtime.rights.file_labels import FileLabeller
from runtime.tts.base import Synthesizer

FPS = 15.0
FRAME_SIZE = (270, 480)
TAIL_S = 0.4          # frames after the last word: the mouth closes
MAX_SECONDS = 60.0    # an answer longer than this is cut in the preview (the checker limits answers)


@dataclass(frozen=True)
class Frame:
    t_ms: int
    png: bytes
    viseme: str


@dataclass(frozen=True)
class AnswerPreview:
    wav: bytes
    seconds: float
    frames: tuple[Frame, ...]
    voice: str

    def as_json(self) -> dict:
        return {"voice": self.voice, "seconds": round(self.seconds, 3), "fps": FPS,
                "audio": "data:audio/wav;base64," + base64.b64encode(self.wav).decode("ascii"),
                "frames": [{"t_ms": f.t_ms, "viseme": f.viseme,
                            "src": "data:image/png;base64," + base64.b64encode(f.png).decode("ascii")}
                           for f in self.frames]}


def speak(voice: Synthesizer, text: str) -> tuple[AudioChunk, VisemeTrack]:
    """The answer's audio and its viseme track from time 0, as `Playback` lays segments out."""
    track, pieces, start = VisemeTrack(), [], 0.0
    for segment in voice.synthesize(text):
        audio = segment.audio
        if segment.phonemes:
            track.add_phonemes(start, segment.phonemes)
        else:
            track.add_audio(start, audio)
        pieces.append(audio)
        start += audio.seconds
        if start >= MAX_SECONDS:
            break
    if not pieces:
        return AudioChunk.silence(0.2, voice.rate), track
    return concat(pieces), track


def wav_bytes(audio: AudioChunk, labeller: FileLabeller) -> bytes:
    buf = io.BytesIO()
    pcm = audio.converted(channels=1)
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(pcm.rate)
        w.writeframes(pcm.audio)
    with tempfile.TemporaryDirectory(prefix="console-wav-") as tmp:
        path = Path(tmp) / "answer.wav"
        path.write_bytes(buf.getvalue())
        labeller.label_file(path)
        return path.read_bytes()


def render_frames(track: VisemeTrack, seconds: float, text: str, cues: tuple[Cue, ...],
                  labeller: FileLabeller, avatar_dir: Path | None = None, fps: float = FPS,
                  size: tuple[int, int] = FRAME_SIZE) -> tuple[Frame, ...]:
    """Frames every 1/fps s of the avatar saying it, drawn by the kiosk's renderer, headless."""
    from runtime.avatar.rig_animator import AvatarMode
    from runtime.display.avatar_view import AvatarView
    from runtime.display.renderer.display import HeadlessDisplay
    end = seconds + TAIL_S
    count = int(end * fps) + 1
    waiting = sorted(((c.at_char / max(1, len(text))) * seconds, c.name) for c in cues)
    with tempfile.TemporaryDirectory(prefix="console-frames-") as tmp:
        view = AvatarView(HeadlessDisplay(*size), Path(tmp), 1.0 / fps, max_frames=count + 1,
                          avatar_dir=avatar_dir, labeller=labeller)
        for i in range(count):
            t = i / fps
            while waiting and waiting[0][0] <= t:
                view.cue(waiting.pop(0)[1])
            view.advance(t, AvatarMode.SPEAKING if t < seconds else AvatarMode.IDLE, track.at)
        return tuple(Frame(s.t_ms, (Path(tmp) / s.file).read_bytes(), s.viseme) for s in view.saved)


def preview_answer(voice: Synthesizer, text: str, cues: tuple[Cue, ...], labeller: FileLabeller,
                   avatar_dir: Path | None = None) -> AnswerPreview:
    audio, track = speak(voice, text)
    frames = render_frames(track, audio.seconds, text, cues, labeller, avatar_dir)
    return AnswerPreview(wav_bytes(audio, labeller), audio.seconds, frames, getattr(voice, "name", "voice"))
