"""Recipe: an int8 variant of each shipped Piper voice (onnxruntime's quantization tools).

Runs in the kiosk's own venv (onnx + onnxruntime are already there); a few
seconds per voice, on the build machine, never on a board.

Static QDQ quantization of the convolutions only (per-channel int8 weights, uint8
activations calibrated on kiosk sentences): the vocoder's and encoder's Conv
layers are ~95 % of the compute; MatMul/attention and the flow stay float.
Measured here: dynamic (ConvInteger) quantization made the voice 2.2x *slower* on
x86, so the recipe does not use it.

    python -m models_quantized.recipes.piper_int8.quantize

The voice samples noise inside its own graph while it is calibrated; onnxruntime's seed is fixed,
so re-running with the same onnxruntime gives the same file.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import shutil
import tempfile
from pathlib import Path

import numpy as np

from runtime.models.manifest import ModelCatalog

from ..manifest_block import write_block

_LOGGER = logging.getLogger("piper_int8")
MODELS = Path(__file__).resolve().parents[2]
VOICES = MODELS / "voices"
CALIBRATION = [
    "Hello! I am the digital guide of the Star River Science Museum. How can I help you?",
    "The cinema is on the fourth floor, next to the food court.",
    "Tickets cost forty yuan for adults; children under twelve go in for free.",
    "Where is the nearest toilet, please? Walk straight ahead, then turn left.",
    "The planetarium show starts at a quarter past six, every evening except Monday.",
    "Thank you for visiting, have a wonderful day!",
    "Sorry, I did not catch that. Could you say it again?",
    "Quick brown foxes jump over lazy dogs while zebras watch the vivid sky.",
]


# Which convolutions become int8 (node-name prefixes of the VITS graph); chosen by bench/models.py.
QUANTIZED_PARTS = ("/enc_p/", "/dp/", "/flow/", "/dec/")


def _feeds(voice) -> list[dict]:
    cfg = voice.config
    scales = np.array([cfg.noise_scale, cfg.length_scale, cfg.noise_w_scale], dtype=np.float32)
    feeds = []
    for text in CALIBRATION:
        for sentence in voice.phonemize(text):
            ids = voice.phonemes_to_ids(sentence)
            feeds.append({"input": np.array([ids], dtype=np.int64),
                          "input_lengths": np.array([len(ids)], dtype=np.int64), "scales": scales})
    return feeds


def conv_nodes(src: Path, prefixes: tuple[str, ...]) -> list[str]:
    import onnx
    graph = onnx.load(str(src)).graph
    return [n.name for n in graph.node if n.op_type == "Conv" and n.name.startswith(prefixes)]


def quantize_voice(src: Path, dst: Path, prefixes: tuple[str, ...] = QUANTIZED_PARTS) -> None:
    import onnxruntime
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process
    from piper import PiperVoice
    onnxruntime.set_seed(20261126)   # the voice samples noise inside its graph: same noise, same ranges
    feeds = iter(_feeds(PiperVoice.load(src)))

    class Reader(CalibrationDataReader):
        def get_next(self):
            return next(feeds, None)

    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(src), str(prepared), skip_symbolic_shape=True)
        quantize_static(str(prepared), str(dst), Reader(), quant_format=QuantFormat.QDQ,
                        op_types_to_quantize=["Conv"], nodes_to_quantize=conv_nodes(src, prefixes),
                        per_channel=True,
                        weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8)
    shutil.copyfile(f"{src}.json", f"{dst}.json")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_manifest_entry(float_id: str, language: str, onnx: Path) -> None:
    marker = f"recipe piper_int8 {float_id}"
    entry = f"""  # BEGIN {marker} (written by models_quantized/recipes/piper_int8/quantize.py)
  - id: {float_id}-int8
    kind: tts
    engine: piper
    language: {language}
    precision: int8
    location: {{path: voices}}
    files:
      - {{path: {onnx.name}, sha256: {_sha(onnx)}}}
      - {{path: {onnx.name}.json, sha256: {_sha(Path(f"{onnx}.json"))}}}
    licence: "MIT (Piper voice), trained on the CC0 NabuCasa voice-datasets 'joe'; int8 variant made here"
    source: "models_quantized/recipes/piper_int8 from {float_id} (static QDQ, Conv only, per-channel)"
    quantization: int8 weights and activations in every Conv (QDQ); MatMul, attention and the other ops float32
    size_bytes: {onnx.stat().st_size + Path(f"{onnx}.json").stat().st_size}
    inputs: [{{name: input, shape: [1, phonemes], dtype: int64}}, {{name: input_lengths, shape: [1], dtype: int64}}, {{name: scales, shape: [3], dtype: float32}}]
    outputs: [{{name: output, shape: [1, 1, 1, samples], dtype: float32, rate: 22050}}]
    accuracy: see bench/results/models.json (pocketsphinx WER on its speech, distance from the float voice)
    latency: see bench/results/models.json (RTF, first chunk, 1 and 2 threads)
  # END {marker}
"""
    write_block(marker, entry)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voice", action="append", help="float voice id (default: every shipped Piper voice)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    catalog = ModelCatalog.load()
    voices = [e for e in catalog.entries if e.kind == "tts" and e.engine == "piper" and e.available
              and not e.id.endswith("-int8") and (not args.voice or e.id in args.voice)]
    VOICES.mkdir(exist_ok=True)
    for entry in voices:
        catalog.verify(entry)
        src = next(f.path for f in entry.files if f.path.suffix == ".onnx")
        dst = VOICES / f"{src.stem}-int8.onnx"
        quantize_voice(src, dst)
        write_manifest_entry(entry.id, entry.language, dst)
        _LOGGER.info("%s -> %s (%.1f MB, was %.1f MB)", entry.id, dst, dst.stat().st_size / 1e6,
                     src.stat().st_size / 1e6)


if __name__ == "__main__":
    main()
