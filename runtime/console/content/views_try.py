""""Try it": a typed or spoken question against the draft, and the answer heard and seen."""

from __future__ import annotations

import datetime as dt

from flask import jsonify, request

from runtime.shared.errors import AudioInputError, ContentError, EdgeAvatarError

from ..auth.roles import Role, require_role
from .answer_preview import preview_answer
from .backends import backends
from .blueprint import bp
from .draft_model import parse_yaml
from .draft_pack import load_draft
from .try_it import try_question
from .views import load_or_404


def _pack(name: str):
    return load_draft(parse_yaml(load_or_404(name).yaml))


def _answer(pack, question: str, lang: str | None, speak: bool) -> dict:
    result = try_question(pack, question, lang, dt.datetime.now(dt.timezone.utc))
    out = {"result": result.as_json()}
    if speak:
        b = backends()
        voice = b.voices.voice(result.lang)
        with b.voices.lock:   # Piper's phonemiser is process-global: one answer at a time
            out["preview"] = preview_answer(voice, result.answer, result.cues, b.labeller, b.avatar_dir).as_json()
    return out


@bp.post("/d/<name>/try")
@require_role(Role.VIEWER)
def try_it(name: str):
    payload = request.get_json(silent=True) or {}
    try:
        pack = _pack(name)
    except ContentError as err:
        return jsonify(error=f"the draft does not load yet: {err}", field="try-question"), 400
    try:
        return jsonify(_answer(pack, str(payload.get("question", "")), payload.get("lang") or None,
                               bool(payload.get("speak", True))))
    except ContentError as err:
        return jsonify(error=str(err), field="try-question"), 400
    except EdgeAvatarError as err:
        return jsonify(error=f"the kiosk's voice failed: {err}", field="try-speak"), 500


@bp.post("/d/<name>/listen")
@require_role(Role.VIEWER)
def listen(name: str):
    """The browser's recording (WAV) through the kiosk's recogniser, then answered like a typed question."""
    file = request.files.get("audio")
    lang = request.form.get("lang") or None
    try:
        pack = _pack(name)
    except ContentError as err:
        return jsonify(error=f"the draft does not load yet: {err}", field="try-mic"), 400
    lang = lang or pack.default_language
    if lang not in pack.languages:
        return jsonify(error=f"lang: expected one of {list(pack.languages)}", field="try-lang"), 400
    try:
        heard = backends().hearing.transcribe(file.read() if file else b"", lang, pack)
    except AudioInputError as err:
        return jsonify(error=str(err), field="try-mic"), 400
    except EdgeAvatarError as err:
        return jsonify(error=f"the kiosk's recogniser failed: {err}", field="try-mic"), 500
    if not heard:
        return jsonify(error="nothing was heard in the recording: speak closer to the microphone",
                       field="try-mic", heard=""), 400
    out = _answer(pack, heard, lang, request.form.get("speak", "1") == "1")
    out["heard"] = heard
    return jsonify(out)
