"""How each benchmark's JSON reads as Markdown: small formatters and one section renderer per
bench/results/*.json file (bench/benchmarks_doc.py puts them together)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

def get(data: Any, path: str) -> Any:
    """`get(d, "a.b")` is d["a"]["b"], or None when any step is missing."""
    for key in path.split("."):
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def num(value: Any, unit: str = "", digits: int | None = None) -> str:
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return "—" if value is None else str(value)
    if isinstance(value, float) and math.isnan(value):
        return "—"
    if digits is not None:
        text = f"{value:.{digits}f}"
    elif isinstance(value, int) or float(value).is_integer():
        text = f"{int(value)}"
    else:
        text = f"{value:g}"
    return f"{text} {unit}".strip()


def pct(rate: Any, digits: int = 1) -> str:
    """A 0..1 rate as a percentage."""
    return num(rate * 100, "%", digits) if isinstance(rate, (int, float)) and not isinstance(rate, bool) else "—"


def ratio(part: Any, whole: Any) -> str:
    return "—" if part is None or whole is None else f"{num(part)} / {num(whole)}"


def cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return out


def pairs(rows: list[tuple[str, str]]) -> list[str]:
    """A two-column table of (measure, result); rows whose figure is missing are left out."""
    kept = [[k, v] for k, v in rows if v not in (None, "—", "— / —")]
    return table(["measure", "result"], kept) if kept else []


def flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Every number (and true/false) in nested objects, as (dotted.name, value); lists are skipped."""
    out: list[tuple[str, Any]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            out += flatten(value, f"{prefix}{key}.")
    elif isinstance(data, (int, float)):      # bool is an int
        out.append((prefix[:-1], data))
    return out


# -- one renderer per known result file: data -> markdown lines --------------------------------------
def voice_loop(d: dict) -> list[str]:
    parts = get(d, "breakdown_mean_ms") or {}
    return pairs([
        ("end of speech → first answer audio, p50", num(get(d, "first_audio_after_speech_end_ms.p50"), "ms")),
        ("end of speech → first answer audio, p95", num(get(d, "first_audio_after_speech_end_ms.p95"), "ms")),
        ("of which, means: VAD end lag / endpoint silence / ASR + match / to sink",
         " / ".join(num(parts.get(k), "ms") for k in ("vad_end_lag", "endpoint_wait", "asr_and_match", "to_sink"))
         if parts else "—"),
        ("endpoint silence waited, mean", num(get(d, "endpoint_wait_ms.mean"), "ms")),
        ("answers started speculatively", ratio(get(d, "speculation_used"), get(d, "turns"))),
        ("turns answered / questions asked", ratio(get(d, "turns"), get(d, "questions"))),
        ("peak RSS of `edge-avatar run`", num(get(d, "peak_rss_mb"), "MB")),
        ("ASR RTF, kiosk streaming", num(get(d, "asr_rtf"))),
        ("ASR RTF, raw pocketsphinx whole utterance", num(get(d, "raw_asr_rtf"))),
        ("raw pocketsphinx final result after the audio, p50", num(get(d, "raw_asr_final_after_audio_ms.p50"), "ms")),
        ("TTS RTF (Piper)", num(get(d, "tts_rtf"))),
        ("TTS first chunk, kiosk (median)", num(get(d, "tts_first_chunk_ms"), "ms")),
        ("TTS first chunk, raw Piper (median)", num(get(d, "raw_tts_first_chunk_ms"), "ms")),
    ])


def turn_taking(d: dict) -> list[str]:
    rows = []
    for level, own in sorted((get(d, "own_voice") or {}).items()):
        rows.append((f"avatar's own voice, path {level} dB: false barge-ins / brief false pauses / answers",
                     f"{num(own.get('false_barge_ins'))} / {num(own.get('false_pauses'))} / {num(own.get('answers'))}"))
    inter, back, paused = get(d, "interruptions") or {}, get(d, "backchannels") or {}, get(d, "paused_questions") or {}
    if inter:
        caught = inter["count"] - inter["missed"] if "count" in inter and "missed" in inter else None
        rows += [
            ("interruptions caught / over the avatar", ratio(caught, inter.get("count"))),
            ("… then answered with the right intent", num(inter.get("answered_right"))),
            ("stop latency from the voice above the hall's noise, p50 / p95",
             (f"{num(get(inter, 'stop_latency_from_audible_ms.p50'), 'ms')} / "
             f"{num(get(inter, 'stop_latency_from_audible_ms.p95'), 'ms')}")),
            ("stop latency from the visitor's first sound, p50 / p95 / max",
             " / ".join(num(get(inter, f"stop_latency_ms.{k}"), "ms") for k in ("p50", "p95", "max"))),
        ]
    if back:
        rows += [("backchannels and coughs that stopped the avatar", ratio(back.get("stopped_the_avatar"),
                                                                           back.get("count"))),
                 ("… paused, then went on; held p50 / max",
                  (f"{num(back.get('paused_then_went_on'))}; {num(get(back, 'held_ms.p50'), 'ms')} / "
                  f"{num(get(back, 'held_ms.max'), 'ms')}"))]
    if paused:
        waits = paused.get("endpoint_wait_ms") or {}
        rows += [("visitors cut off in a 300–900 ms mid-sentence pause",
                  ratio(paused.get("cut_off"), paused.get("count"))),
                 ("paused questions answered with the right intent", ratio(paused.get("answered_right"),
                                                                         paused.get("count"))),
                 ("endpoint silence, mean (all / complete / nothing known / hesitating)",
                  " / ".join(num(waits.get(k), "ms") for k in ("mean", "complete", "none", "hesitating")))]
    echo = get(d, "echo_attenuation_db") or {}
    rows += [(f"echo removed after 2 s: {name}", num(value, "dB")) for name, value in sorted(echo.items())]
    rows += [("set-up: echo path / babble",
              f"{num(get(d, 'echo_path_gain_db'), 'dB')} / {num(get(d, 'babble_dbfs'), 'dBFS')}"),
             ("run time", num(get(d, "seconds"), "s"))]
    return pairs(rows)


def dialogue(d: dict) -> list[str]:
    rows = [("question set / pack", f"{get(d, 'set')} / {get(d, 'pack')}"),
            ("held-out in-domain → right intent", pct(get(d, "in_domain_rate"))),
            ("held-out out-of-domain → fallback", pct(get(d, "out_of_domain_rate")))]
    for lang, s in sorted((get(d, "by_language") or {}).items()):
        rows.append((f"{lang}: in-domain right / out-of-domain to fallback",
                     f"{pct(s.get('in_domain_rate'))} / {pct(s.get('out_of_domain_rate'))}"))
    left = get(d, "pack_examples_left_out")
    if isinstance(left, list) and len(left) == 2:
        rows.append(("pack examples matched with themselves left out", ratio(left[0], left[1])))
    slips = get(d, "zh_homophone_slips") or {}
    if slips:
        rows += [((f"zh with {pct(slips.get('rate'), 0)} homophone slips: in-domain right "
                  "(by characters only)"), (f"{pct(slips.get('in_domain_rate'))} "
                                          f"({pct(slips.get('in_domain_rate_without_sound'))})")),
                 ("zh with homophone slips: out-of-domain → fallback", pct(slips.get("out_of_domain_rate")))]
    rows.append(("time per question", num(get(d, "ms_per_question"), "ms")))
    return pairs(rows)


def phrase_bias(d: dict) -> list[str]:
    rows = [[name, pct(c.get("wer")), pct(c.get("in_domain_rate")), pct(c.get("out_of_domain_rate")),
             pct(c.get("commands_rate")), pct(c.get("librivox_wer")), num(c.get("rtf"))]
            for name, c in (get(d, "conditions") or {}).items()]
    head = [f"{num(get(d, 'utterances'))} spoken utterances ({get(d, 'set')}, pack {get(d, 'pack')}).", ""]
    return head + table(["recogniser", "WER", "in-domain → right intent", "out-of-domain → fallback",
                         "commands", "LibriVox WER", "RTF"], rows)


def asr(d: dict) -> list[str]:
    rows = [[name, pct(r.get("wer")), num(r.get("rtf")), num(r.get("final_ms"), "ms")]
            for name, r in (get(d, "rows") or {}).items()]
    out = [f"{num(get(d, 'words'))} words of real speech.", ""] + table(
        ["pocketsphinx en-US", "WER", "RTF", "final result after the audio"], rows)
    pace = get(d, "pace") or "fast"
    for name, b in (get(d, "backends") or {}).items():
        lat = b.get("speech_end_to_final_ms") or {}
        out += ["", f"{name}: end of speech → final transcript p50 {num(lat.get('p50'), 'ms')}, p95 "
                    f"{num(lat.get('p95'), 'ms')} over {num(lat.get('turns'))} turns, input played "
                    + ("in real time (as a visitor speaks)" if pace == "realtime" else
                       "as fast as the kiosk takes it (no speech to hide decoding behind)")
                    + f"; peak RSS {num(b.get('peak_rss_mb'), 'MB')}."]
    return out


def vad(d: dict) -> list[str]:
    rows = []
    for condition, by_vad in (get(d, "snr_db") or {}).items():
        for name, s in by_vad.items():
            cpu = s.get("cpu_s_per_audio_s")
            rows.append([f"{condition} dB SNR", name, pct(s.get("accuracy")), pct(s.get("false_alarm")),
                         pct(s.get("miss")), num(cpu * 1000, "ms", 1) if isinstance(cpu, (int, float)) else "—"])
    return table(["noise", "VAD", "frame accuracy", "false alarms", "misses", "CPU per s of audio"], rows)


def render(d: dict) -> list[str]:
    rows = []
    gl = get(d, "gl.formats") or {}
    views = get(d, "views_only") or {}
    for name, f in (get(d, "formats") or {}).items():
        size = f.get("size", get(d, "size") if name == "flat" else None)
        g, v = gl.get(name) or {}, views.get(name) or {}
        rows.append([name, f.get("format", "flat"), num(f.get("views", 1)),
                     "×".join(str(v) for v in size) if isinstance(size, list) else "—",
                     num(f.get("fps")), f"{num(f.get('cpu_ms_per_frame'))} ({num(f.get('cpu_ms_p95'))})"]
                    + ([f"{num(g.get('cpu_ms_per_frame'))} ({num(g.get('cpu_ms_p95'))})",
                        num(v.get("cpu_ms_per_frame"))] if gl else []))
    size = get(d, "size")
    head = [(f"Flat avatar at {'×'.join(str(v) for v in size) if isinstance(size, list) else '—'}, "
            f"pinned to {num(get(d, 'pinned_cores'))} core(s)."), ""]
    if gl:
        head += [(f"GL path on {get(d, 'gl.renderer')}"
                  + (" — a software renderer: the shader ran on the CPU, inside the GL column's figure"
                     if get(d, "gl.on_cpu") else "") + "; views alone: drawing the views, common to both."), ""]
    return head + table(["output", "format", "views", "image", "fps", "CPU ms/frame (p95)"]
                        + (["GL CPU ms/frame (p95)", "views alone ms"] if gl else []), rows)


def memory(d: dict) -> list[str]:
    rows = [[f"import {m['module']}", num(m.get("rss_mb")), num(m.get("anon_mb")), num(m.get("file_mb")),
             num(m.get("python_mb"))] for m in d.get("imports", []) if "skipped" not in m]
    rows += [[s["stage"] + f" ({s.get('thread')})", num(s.get("rss_mb")), num(s.get("anon_mb")), num(s.get("file_mb")),
              num(s.get("python_mb"))] for s in d.get("stages", []) if "rss_mb" in s]
    head = [f"Peak RSS {num(get(d, 'peak_rss_mb'), 'MB')} (plain run, {d.get('asr')}, {d.get('lang')}); "
            f"ready with every stage loaded {num(get(d, 'ready.rss'), 'MB')} (profiled run).", ""]
    return head + table(["load", "RSS MB", "anonymous", "files", "Python (tracemalloc)"], rows)


def models(d: dict) -> list[str]:
    out: list[str] = []
    tfl = [[m.get("model"), m.get("backend"), num(m.get("threads")), num(m.get("p50_ms"), "ms"),
            num(m.get("p95_ms"), "ms"), num(m.get("rss_mb"), "MB", 1)] for m in get(d, "tflite") or []]
    if tfl:
        out += table(["model", "backend", "threads", "p50 per inference", "p95", "memory added"], tfl) + [""]
    voices = [[v.get("voice"), v.get("precision"), num(v.get("threads")), num(v.get("rtf")),
               num(v.get("first_chunk_ms_p50"), "ms"), num(v.get("rss_mb"), "MB", 0)] for v in get(d, "voices") or []]
    if voices:
        out += table(["voice", "precision", "threads", "RTF", "first chunk p50", "memory added"], voices) + [""]
    quality = [[name, pct(q.get("wer")), num(q.get("spectral_distance_db"), "dB", 2)]
               for name, q in (get(d, "voice_quality") or {}).items()]
    if quality:
        out += table(["voice", "pocketsphinx WER on its speech", "log-mel distance from float"], quality) + [""]
    ev = get(d, "audio_visemes_accuracy") or {}
    if ev:
        out += pairs([("audio→viseme model, held-out frame accuracy: int8 / float / loudness rule",
                       (f"{pct(ev.get('int8_accuracy'))} / {pct(ev.get('float_accuracy'))} / "
                       f"{pct(ev.get('baseline_accuracy'))}"))])
    return out


def startup(d: dict) -> list[str]:
    return pairs([
        ("runs", num(len(d["runs"])) if isinstance(d.get("runs"), list) else "—"),
        ("avatar on screen after the process started: first / p50 / max",
         " / ".join(num(get(d, f"avatar_on_screen_s.{k}"), "s", 2) for k in ("first", "p50", "max"))),
        ("recogniser and voice loaded, listening: first / p50 / max",
         " / ".join(num(get(d, f"listening_s.{k}"), "s", 2) for k in ("first", "p50", "max"))),
    ])


def _soak_rows(d: dict) -> list[tuple[str, str]]:
    return [
        ("turns spoken / answered / told \"cannot hear\"",
         f"{num(get(d, 'turns_spoken'))} / {num(get(d, 'turns_answered'))} / {num(get(d, 'turns_unheard'))}"),
        ("interaction-log lines", num(get(d, "log_lines"))),
        ("open file descriptors after warm-up → end",
         f"{num(get(d, 'fds.after_warm_up'))} → {num(get(d, 'fds.end'))}"),
        ("threads after warm-up → end", f"{num(get(d, 'threads.after_warm_up'))} → {num(get(d, 'threads.end'))}"),
    ] + [(f"fault: {name}", str(outcome)) for name, outcome in (get(d, "faults") or {}).items()] + [
        ("agent sessions (reconnects + 1)", num(get(d, "agent_sessions"))),
        ("wall time", num(get(d, "seconds"), "s")),
    ]


def soak(d: dict) -> list[str]:
    return pairs([("RSS after warm-up → end",
                   (f"{num(get(d, 'rss_mb.after_warm_up'), 'MB')} → {num(get(d, 'rss_mb.end'), 'MB')} "
                   f"({num(get(d, 'rss_mb.growth_pct'), '%')})"))] + _soak_rows(d))


def live_soak(d: dict) -> list[str]:
    unanswered = get(d, "unanswered_turns")
    return pairs([
        ("RSS baseline → end (medians), max",
         (f"{num(get(d, 'rss_mb.baseline'), 'MB')} → {num(get(d, 'rss_mb.end'), 'MB')} "
         f"({num(get(d, 'rss_mb.growth_pct'), '%')}), max {num(get(d, 'rss_mb.max'), 'MB')}")),
        ("turns with no reply", num(len(unanswered)) if isinstance(unanswered, list) else "—"),
        ("audio losses (sound server killed and restarted)", num(get(d, "audio_losses"))),
        ("MALLOC_ARENA_MAX", str(get(d, "malloc_arena_max"))),
    ] + _soak_rows(d))


def bridge(d: dict) -> list[str]:
    rows = [[name, num(get(r, "rtt_ms.p50"), "ms"), num(get(r, "rtt_ms.p95"), "ms"), num(r.get("requests_per_s")),
             num(r.get("payload_bytes_per_s"))]
            for name, r in d.items() if isinstance(r, dict)]
    return table(["link (baud)", "SetBrightness round trip p50", "p95", "GetStatus requests/s", "wire bytes/s"], rows)


def fleet(d: dict) -> list[str]:
    """bench/fleet.py: one row per run (and the unloaded baseline, when measured)."""
    runs = [*([d["baseline"]] if isinstance(d.get("baseline"), dict) else []), *(get(d, "runs") or [])]
    rows = [[("unloaded" if r.get("run") == 0 else f"run {r.get('run')}"
              + (" (load, broker restarted)" if get(r, "load.broker_restart_at_s") is not None else "")),
             f"{num(get(r, 'committed'))}/{num(get(r, 'devices'))}", num(get(r, "lost")), num(get(r, "stuck")),
             num(get(r, "last_verdict_s"), "s"), num(get(r, "broker_publish_messages_dropped")),
             num(get(r, "admin_rereads.views_corrected"))] for r in runs if isinstance(r, dict)]
    return table(["run", "committed", "lost", "stuck", "last verdict", "messages the broker dropped",
                  "admin views corrected by a re-read"], rows)


def console(d: dict) -> list[str]:
    return pairs([
        ("devices page: navigation start to the table drawn with every kiosk",
         f"median {num(get(d, 'table_filled_ms.median'), 'ms')}, max {num(get(d, 'table_filled_ms.max'), 'ms')} "
         f"({num(get(d, 'devices'))} kiosks, {len(get(d, 'loads') or [])} loads)"),
        ("status change on the broker to the row redrawn",
         f"p50 {num(get(d, 'live_update_ms.p50'), 'ms')}, p95 {num(get(d, 'live_update_ms.p95'), 'ms')}, "
         f"max {num(get(d, 'live_update_ms.max'), 'ms')} ({num(get(d, 'updates'))} changes)"),
        ("conditions", str(get(d, "conditions") or "")),
    ])


RENDERERS: dict[str, Callable[[dict], list[str]]] = {
    "voice_loop": voice_loop, "turn_taking": turn_taking, "dialogue": dialogue, "phrase_bias": phrase_bias,
    "asr": asr, "vad": vad, "render": render, "memory": memory, "models": models, "startup": startup, "soak": soak,
    "live_soak": live_soak, "bridge": bridge, "fleet": fleet, "asr_whisper": asr, "asr_whisper_noise": asr,
    "console": console,
}


def generic(d: Any) -> list[str]:
    rows = flatten(d)
    return pairs([(name, num(value) if not isinstance(value, bool) else str(value).lower()) for name, value in rows])


# -- the headline figures (README and the top of docs/benchmarks.md) --------------------------------
