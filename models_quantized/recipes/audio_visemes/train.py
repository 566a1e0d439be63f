"""Step 2 of the audio→viseme recipe (runs in the recipe venv: tensorflow-cpu; never on a board).

Trains a small 1-D convolutional network on windows of log-mel frames (150 ms
of past, the frame itself, 40 ms of look-ahead), converts it to a fully int8
TFLite model with a representative data set, evaluates float and int8 on the
held-out sentences (through the kiosk's own inference layer, LiteRT) against the
loudness baseline, times one frame on one core, and writes the model, an
evaluation JSON and the manifest entry.

    python -m models_quantized.recipes.audio_visemes.train --data DIR/dataset.npz
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import time
from pathlib import Path

import numpy as np

from runtime.lipsync.audio_visemes import FUTURE_FRAMES, PAST_FRAMES
from runtime.lipsync.features import FLOOR, MELS
from runtime.lipsync.visemes import VISEMES

from ..manifest_block import write_block

_LOGGER = logging.getLogger("train")
HERE = Path(__file__).resolve().parent
MODELS = HERE.parents[1]
MODEL_FILE = "audio_visemes_int8.tflite"
WINDOW = PAST_FRAMES + 1 + FUTURE_FRAMES


def windows(features: np.ndarray, utterance: np.ndarray) -> np.ndarray:
    """[frames, WINDOW, MELS]: each frame's context, padded with silence at utterance edges."""
    out = np.empty((len(features), WINDOW, MELS), dtype=np.float32)
    silence = np.float32(np.log(FLOOR))
    starts = np.flatnonzero(np.r_[True, utterance[1:] != utterance[:-1]])
    ends = np.r_[starts[1:], len(features)]
    for s, e in zip(starts, ends):
        padded = np.concatenate([np.full((PAST_FRAMES, MELS), silence, np.float32), features[s:e],
                                 np.full((FUTURE_FRAMES, MELS), silence, np.float32)])
        view = np.lib.stride_tricks.sliding_window_view(padded, (WINDOW, MELS))[:, 0]
        out[s:e] = view
    return out


def build_model(tf, mean: np.ndarray, var: np.ndarray, batch_size: int | None = None):
    inputs = tf.keras.Input((WINDOW, MELS), batch_size=batch_size, name="log_mel")
    x = tf.keras.layers.Normalization(mean=mean, variance=var)(inputs)
    x = tf.keras.layers.Conv1D(128, 5, activation="relu")(x)
    x = tf.keras.layers.Conv1D(128, 5, strides=2, activation="relu")(x)
    x = tf.keras.layers.Flatten()(x)
    x = tf.keras.layers.Dropout(0.2)(x)
    x = tf.keras.layers.Dense(256, activation="relu")(x)
    outputs = tf.keras.layers.Dense(len(VISEMES), activation="softmax", name="visemes")(x)
    return tf.keras.Model(inputs, outputs)


def train(tf, x, y, mean, var, epochs: int, seed: int):
    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    # Batch-size-1 input for the board; a copy with free batch size trains.
    train_model = build_model(tf, mean, var)
    train_model.compile(optimizer=tf.keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
                        metrics=["accuracy"])
    schedule = tf.keras.callbacks.LearningRateScheduler(lambda e, lr: 2e-3 * (0.6 ** e))
    train_model.fit(x, y, batch_size=512, epochs=epochs, validation_split=0.05, callbacks=[schedule], verbose=2)
    board = build_model(tf, mean, var, batch_size=1)
    board.set_weights(train_model.get_weights())
    return board


def convert(tf, model, calibration: np.ndarray, int8: bool) -> bytes:
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if int8:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([c[None]] for c in calibration)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


def accuracy(path: Path, x: np.ndarray, y: np.ndarray) -> float:
    from runtime.models.inference import choose_backend
    model = choose_backend("litert").load(path, threads=1)
    hits = sum(int(np.argmax(model.run(w[None])[0][0]) == label) for w, label in zip(x, y))
    return hits / len(y)


def latency_ms(path: Path, sample: np.ndarray, runs: int = 3000) -> dict:
    from runtime.models.inference import choose_backend
    model = choose_backend("litert").load(path, threads=1)
    for w in sample[:200]:
        model.run(w[None])
    times = []
    for i in range(runs):
        t = time.perf_counter()
        model.run(sample[i % len(sample)][None])
        times.append((time.perf_counter() - t) * 1000)
    return {"p50": round(float(np.percentile(times, 50)), 4), "p95": round(float(np.percentile(times, 95)), 4)}


def write_manifest_entry(sha: str, size: int, evaluation: dict, names: tuple[str, str]) -> None:
    entry = f"""  # BEGIN recipe audio_visemes (written by models_quantized/recipes/audio_visemes/train.py)
  - id: audio-visemes-int8
    kind: tflite
    engine: tflite
    language: any
    location: {{path: .}}
    files:
      - {{path: {MODEL_FILE}, sha256: {sha}}}
    licence: "Apache-2.0 (this project's own model; trained on speech of the MIT/CC0 Piper voice joe)"
    source: "models_quantized/recipes/audio_visemes (Piper joe speech + alignments, seed {evaluation['seed']})"
    quantization: full int8 (TFLite converter, representative data set)
    size_bytes: {size}
    inputs: [{{name: '{names[0]}', shape: [1, {WINDOW}, {MELS}], dtype: int8}}]   # 10 ms log-mel frames
    outputs: [{{name: '{names[1]}', shape: [1, {len(VISEMES)}], dtype: int8}}]   # viseme probabilities
    accuracy: {{held_out_frame_accuracy_int8: {evaluation['int8_accuracy']}, float: {evaluation['float_accuracy']}, loudness_baseline: {evaluation['baseline_accuracy']}}}
    latency_ms_per_frame: {{litert_1_thread_p50: {evaluation['latency_ms']['p50']}, p95: {evaluation['latency_ms']['p95']}}}
  # END recipe audio_visemes
"""
    write_block("recipe audio_visemes", entry)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--eval-frames", type=int, default=40000, help="held-out frames to score (all: 0)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import tensorflow as tf
    data = np.load(args.data)
    held = data["held_out"].astype(bool)
    x_all = windows(data["features"], data["utterance"])
    y_all = data["labels"].astype(np.int64)
    x_train, y_train = x_all[~held], y_all[~held]
    x_test, y_test = x_all[held], y_all[held]
    base_test = data["loudness_baseline"][held]
    mean = data["features"][~held].mean(axis=0)
    var = data["features"][~held].var(axis=0)
    _LOGGER.info("train %d frames, held out %d frames", len(y_train), len(y_test))
    model = train(tf, x_train, y_train, mean, var, args.epochs, args.seed)
    rng = np.random.default_rng(args.seed)
    calibration = x_train[rng.choice(len(x_train), 1000, replace=False)]
    work = args.data.parent
    float_path, int8_path = work / "audio_visemes_float.tflite", MODELS / MODEL_FILE
    float_path.write_bytes(convert(tf, model, calibration, int8=False))
    int8_path.write_bytes(convert(tf, model, calibration, int8=True))
    pick = (rng.choice(len(y_test), args.eval_frames, replace=False) if 0 < args.eval_frames < len(y_test)
            else np.arange(len(y_test)))
    evaluation = {
        "seed": args.seed, "epochs": args.epochs, "dataset": json.loads(args.data.with_suffix(".json").read_text()),
        "train_frames": int(len(y_train)), "held_out_frames_scored": int(len(pick)),
        "float_accuracy": round(accuracy(float_path, x_test[pick], y_test[pick]), 4),
        "int8_accuracy": round(accuracy(int8_path, x_test[pick], y_test[pick]), 4),
        "baseline_accuracy": round(float(np.mean(base_test[pick] == y_test[pick])), 4),
        "latency_ms": latency_ms(int8_path, x_test[:500]),
        "size_bytes": int8_path.stat().st_size, "float_size_bytes": float_path.stat().st_size,
        "tensorflow": tf.__version__,
    }
    sha = hashlib.sha256(int8_path.read_bytes()).hexdigest()
    (HERE / "evaluation.json").write_text(json.dumps(evaluation, indent=2) + "\n")
    from runtime.models.inference import choose_backend
    shipped = choose_backend("litert").load(int8_path)
    write_manifest_entry(sha, evaluation["size_bytes"], evaluation, (shipped.inputs[0].name, shipped.outputs[0].name))
    _LOGGER.info("evaluation: %s", json.dumps(evaluation))


if __name__ == "__main__":
    main()
