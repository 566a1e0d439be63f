"""Real speech sets, WER as the speech README scores it, and what a run report says was heard (pure).

Sets: every folder under ../shared/speech whose name ends in `-en`, each `<id>.wav` with its
`<id>.txt` reference (more sets arrive there; nothing here names a file). Scoring: lower-case,
punctuation stripped, apostrophes inside words kept, word Levenshtein over all reference words of
a set. Report reading: the hypothesis is `turns[].transcript` joined in order (a turn
another `continues` counted once, in that one); latency is a turn's
end of speech → final transcript; "dropped" is every report field that says what was not heard.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from runtime.asr.scoring import edit_distance

ENGLISH_SUFFIX = "-en"
# Report keys that say what the kiosk did not turn into words (present ones and any added later).
DROP_KEY = re.compile(r"drop|discard|unheard|ignored|voiced|account|lost|missed|skipped|reject|truncat")
NOT_DROPS = {"visemes", "cues", "frames"}


@dataclass(frozen=True)
class SpeechFile:
    set_name: str
    id: str
    wav: Path
    reference: str

    @property
    def key(self) -> str:
        return f"{self.set_name}/{self.id}"


def set_language(name: str) -> str | None:
    """A set folder's language, as ../shared/speech/README.md names them: `*-en` English, `*-zh` or
    `mandarin-*` Mandarin; None for anything else."""
    if name.endswith(ENGLISH_SUFFIX):
        return "en"
    if name.endswith("-zh") or name.startswith("mandarin-"):
        return "zh"
    return None


def discover_sets(root: Path, only: list[str] | None = None, lang: str = "en") -> dict[str, list[SpeechFile]]:
    """{set name: its files}, for every folder of language `lang` under `root` (or only those named)."""
    sets: dict[str, list[SpeechFile]] = {}
    for folder in sorted(p for p in Path(root).iterdir() if p.is_dir() and set_language(p.name) == lang):
        if only and folder.name not in only:
            continue
        files = [SpeechFile(folder.name, wav.stem, wav, wav.with_suffix(".txt").read_text(encoding="utf-8").strip())
                 for wav in sorted(folder.glob("*.wav")) if wav.with_suffix(".txt").exists()]
        if files:
            sets[folder.name] = files
    return sets


# -- scoring -----------------------------------------------------------------------------------------
def words(text: str) -> list[str]:
    """Lower-case words, punctuation stripped, apostrophes kept only inside a word."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return [w for w in (t.strip("'") for t in re.findall(r"[a-z0-9']+", text)) if w]


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(word edits, reference words)."""
    ref = words(reference)
    return edit_distance(ref, words(hypothesis)), len(ref)


def chars(text: str) -> list[str]:
    """Mandarin scored as ../shared/speech/mandarin-read/README.md says: Traditional → Simplified
    (OpenCC t2s), Arabic digits → Chinese numerals (cn2an), letters and digits only, each one a
    unit (Latin letters too, lower-case: 197 units in mandarin-read, as its README counts)."""
    import cn2an
    import opencc
    text = _T2S.setdefault("t2s", opencc.OpenCC("t2s")).convert(text)
    text = re.sub(r"\d+(?:\.\d+)?", lambda m: cn2an.an2cn(m.group(0), "low"), text)
    return re.findall(r"[^\W_]", text.lower())


_T2S: dict[str, Any] = {}


def char_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(character edits, reference characters)."""
    ref = chars(reference)
    return edit_distance(ref, chars(hypothesis)), len(ref)


def errors_for(lang: str):
    """The scoring function of a language: words for en, characters for zh."""
    return char_errors if lang == "zh" else word_errors


def rate(errors: int, total: int) -> float | None:
    return errors / total if total else None


# -- the run report ----------------------------------------------------------------------------------
def final_turns(report: dict) -> list[dict]:
    """The report's turns without those a later turn continues: a visitor who only paused, whose answer
    was cut when they went on, is heard in one turn holding both parts (`continues`, same speech start)."""
    kept: list[dict] = []
    for turn in report.get("turns") or []:
        if turn.get("continues"):
            start = (turn.get("timings") or {}).get("speech_start_ms")
            kept = [t for t in kept if (t.get("timings") or {}).get("speech_start_ms") != start]
        kept.append(turn)
    return kept


def hypothesis(report: dict) -> str:
    return " ".join(t.get("transcript") or "" for t in final_turns(report)).strip()


def turn_latencies(report: dict) -> list[dict[str, int | None]]:
    """Per turn: end of speech → final transcript ready (ms), and how long the kiosk then waited on
    the recogniser after deciding the turn was over (0 when the words were ready in the pause)."""
    out = []
    for turn in report.get("turns") or []:
        t = turn.get("timings") or {}
        end, final, decided = t.get("speech_end_ms"), t.get("asr_final_ms"), t.get("turn_end_ms")
        out.append({"speech_end_to_final_ms": None if end is None or final is None else final - end,
                    "decided_to_final_ms": None if decided is None or final is None else max(0, final - decided)})
    return out


def turn_spans(report: dict) -> list[tuple[float, float]]:
    """Each turn's (speech_start, speech_end) in seconds, as the kiosk placed them."""
    spans = []
    for turn in report.get("turns") or []:
        t = turn.get("timings") or {}
        if t.get("speech_start_ms") is not None and t.get("speech_end_ms") is not None:
            spans.append((t["speech_start_ms"] / 1000, t["speech_end_ms"] / 1000))
    return spans


def seconds_outside(voiced: list[tuple[float, float]], spans: list[tuple[float, float]]) -> float:
    """Voiced seconds of the input that lie in no turn's span: speech the kiosk did not take as a turn."""
    outside = 0.0
    for a, b in voiced:
        inside = sum(max(0.0, min(b, e) - max(a, s)) for s, e in spans)
        outside += max(0.0, (b - a) - inside)
    return round(outside, 3)


def _drop_fields(value: Any, path: str, out: dict[str, Any]) -> None:
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        if key in NOT_DROPS:
            continue
        name = f"{path}.{key}" if path else key
        if DROP_KEY.search(key):
            out[name] = item
        else:
            _drop_fields(item, name, out)


def dropped(report: dict) -> dict[str, Any]:
    """Every field of the report that says what was not heard or not answered, by its path
    (`discarded_turns`, `unheard_turns`, `ignored_over_speech`, and whatever accounting the
    report grows: `dropped` lists with reasons, `voiced_seconds` totals, per-turn fields)."""
    out: dict[str, Any] = {}
    _drop_fields({k: v for k, v in report.items() if k != "turns"}, "", out)
    for i, turn in enumerate(report.get("turns") or []):
        _drop_fields(turn, f"turns[{i}]", out)
    return out


def _merge_value(values: list[Any]) -> Any:
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return round(sum(values), 3)
    if all(isinstance(v, list) for v in values):
        items = [x for v in values for x in v]
        reasons: dict[str, int] = defaultdict(int)
        for x in items:
            if isinstance(x, dict) and (x.get("reason") or x.get("why")):
                reasons[str(x.get("reason") or x.get("why"))] += 1
        return {"count": len(items), **({"by_reason": dict(reasons)} if reasons else {})}
    return sorted({str(v) for v in values})


def _flatten(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(item, f"{path}.{key}", out)
    else:
        out[path] = value


def merge_dropped(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Many files' `dropped()` in one: nested objects by path (`voiced_seconds.accounted.answered`),
    numbers summed, lists counted (by reason when they give one), per-turn fields under `turns[*]`."""
    by_path: dict[str, list[Any]] = defaultdict(list)
    for record in records:
        flat: dict[str, Any] = {}
        for path, value in record.items():
            _flatten(value, re.sub(r"^turns\[\d+\]", "turns[*]", path), flat)
        for path, value in flat.items():
            by_path[path].append(value)
    return {path: _merge_value(values) for path, values in sorted(by_path.items())}


def brief_dropped(merged: dict[str, Any]) -> str:
    """One short line for a table cell: `discarded 3, unheard 0, ignored 1, …`."""
    short = {"discarded_turns": "discarded", "unheard_turns": "unheard", "ignored_over_speech": "ignored",
             "voiced_seconds.in": "voiced s in", "voiced_seconds.unaccounted": "voiced s unaccounted"}
    parts = []
    for path, value in merged.items():
        name = short.get(path, path.replace("voiced_seconds.accounted.", "voiced s "))
        if isinstance(value, dict) and "count" in value:
            reasons = value.get("by_reason")
            value = value["count"] if not reasons else ", ".join(f"{k} {n}" for k, n in reasons.items())
        elif isinstance(value, list):
            value = "/".join(value)
        parts.append(f"{name} {value}")
    return "; ".join(parts) or "—"


# -- rows into groups --------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def summarise(rows: list[dict], pooled_name: str = "all-en") -> list[dict]:
    """One summary per (set, backend, hints, condition), and per set `pooled_name` over all sets."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        for set_name in (row["set"], pooled_name):
            groups[(set_name, row["backend"], row["hints"], row["condition"])].append(row)
    return [summary(key, members) for key, members in groups.items()]


def summary(key: tuple, members: list[dict]) -> dict:
    set_name, backend, hints, condition = key
    errors, total = sum(r["errors"] for r in members), sum(r["words"] for r in members)
    raw = [r for r in members if r.get("raw_errors") is not None]
    raw_errors = sum(r["raw_errors"] for r in raw)
    lat = [t["speech_end_to_final_ms"] for r in members for t in r["latencies"]
           if t["speech_end_to_final_ms"] is not None]
    rss = [r["peak_rss_mb"] for r in members if r.get("peak_rss_mb") is not None]
    return {"set": set_name, "backend": backend, "hints": hints, "condition": condition,
            "files": len(members), "words": total, "errors": errors, "wer": rate(errors, total),
            "raw_errors": raw_errors if len(raw) == len(members) else None,
            "raw_wer": rate(raw_errors, total) if raw and len(raw) == len(members) else None,
            "no_transcript": sum(not r["hypothesis"] for r in members),
            "voiced_s": round(sum(r.get("voiced_s", 0.0) for r in members), 2),
            "voiced_outside_turns_s": round(sum(r.get("voiced_outside_turns_s", 0.0) for r in members), 2),
            "failed_runs": sum(bool(r.get("failed")) for r in members),
            "asr_reported": sorted({str(r.get("asr_reported")) for r in members if not r.get("failed")}),
            "latency_ms": {"p50": percentile(lat, 50), "p95": percentile(lat, 95), "turns": len(lat)},
            "peak_rss_mb": max(rss) if rss else None,
            "dropped": merge_dropped([r["dropped"] for r in members])}


def condition_order(condition: str) -> tuple:
    """clean first, then by noise name, louder (higher SNR) first."""
    if condition == "clean":
        return (0, "", 0.0)
    name, _, snr = condition.rpartition("@")
    return (1, name, -float(snr.removesuffix("dB") or 0))


def sort_key(summary_row: dict, pooled_name: str = "all-en") -> tuple:
    pooled = summary_row["set"] == pooled_name or summary_row["set"].startswith("all-")
    return (pooled, summary_row["set"], summary_row["backend"],
            summary_row["hints"] != "venue", condition_order(summary_row["condition"]))


# -- printing ----------------------------------------------------------------------------------------
def fmt_pct(value: float | None) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1%}"


def fmt_num(value: float | None, unit: str = "") -> str:
    return "—" if value is None else f"{value:.0f}{unit}"


TABLE_HEAD = ("set", "backend", "hints", "condition", "files", "words", "WER run", "WER raw",
              "no text", "voiced s in no turn", "eos→final p50/p95", "peak RSS", "dropped (report)")


def backend_cell(summary_row: dict) -> str:
    """The backend asked for, and what the report says ran when that differs (a silent fallback)."""
    ran = [a for a in summary_row.get("asr_reported", []) if not a.startswith(summary_row["backend"])]
    return summary_row["backend"] + (f" (report: {'/'.join(ran)}!)" if ran else "")


def table_rows(summaries: list[dict]) -> list[tuple[str, ...]]:
    return [(s["set"], backend_cell(s), s["hints"], s["condition"], str(s["files"]), str(s["words"]),
             fmt_pct(s["wer"]), fmt_pct(s["raw_wer"]),
             f"{s['no_transcript']}" + (f" ({s['failed_runs']} failed)" if s["failed_runs"] else ""),
             f"{s['voiced_outside_turns_s']:.1f} of {s['voiced_s']:.1f}",
             f"{fmt_num(s['latency_ms']['p50'])}/{fmt_num(s['latency_ms']['p95'])} ms",
             fmt_num(s["peak_rss_mb"], " MB"), brief_dropped(s["dropped"]))
            for s in sorted(summaries, key=sort_key)]


def format_table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(head, *rows)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    return "\n".join([line(head), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def file_lines(row: dict) -> list[str]:
    """A per-file record for the log: WER, reference, hypothesis (and the raw one), what was dropped."""
    head = (f"{row['set']}/{row['id']}  [{row['backend']}, hints {row['hints']}, {row['condition']}]  "
            f"WER {fmt_pct(rate(row['errors'], row['words']))}  raw {fmt_pct(row.get('raw_wer'))}"
            + ("  RUN FAILED: " + row["failed"] if row.get("failed") else ""))
    out = [head, f"    ref: {row['reference']}", f"    run: {row['hypothesis'] or '(nothing)'}"]
    if row.get("raw_hypothesis") is not None:
        out.append(f"    raw: {row['raw_hypothesis'] or '(nothing)'}")
    out.append(f"    dropped: {brief_dropped(merge_dropped([row['dropped']]))}; voiced seconds in no turn "
               f"{row.get('voiced_outside_turns_s', 0.0):.2f} of {row.get('voiced_s', 0.0):.2f}")
    return out
