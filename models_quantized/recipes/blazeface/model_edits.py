"""Make the shipped BlazeFace model quantizable: float32 constants and a signature.

MediaPipe's file keeps its weights as float16 constants, each behind a
DEQUANTIZE op, and has no SignatureDef; ai-edge-quantizer needs float32
constants and a signature. This rewrites the flatbuffer (LiteRT's own schema
bindings): each fp16 constant becomes the float32 constant its DEQUANTIZE would
have produced, the DEQUANTIZE ops go, each RELU that follows a convolution or an addition becomes
that op's fused activation, and a `serving_default` signature names the
model's input and outputs. The arithmetic is unchanged (checked by the recipe).
"""

from __future__ import annotations

from pathlib import Path

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as schema


def _dequantize_code(model) -> int | None:
    for i, op in enumerate(model.operatorCodes):
        if max(op.builtinCode, op.deprecatedBuiltinCode) == schema.BuiltinOperator.DEQUANTIZE:
            return i
    return None


def _op_name(model, op) -> str:
    code = model.operatorCodes[op.opcodeIndex]
    value = max(code.builtinCode, code.deprecatedBuiltinCode)
    return next(k for k, v in vars(schema.BuiltinOperator).items() if v == value and not k.startswith("_"))


def _fuse_relus(model, graph) -> int:
    """CONV_2D/DEPTHWISE_CONV_2D/ADD followed by a lone RELU: the RELU moves into the op as its fused
    activation (the same arithmetic; int8 then clamps at the op's output, with one scale fewer)."""
    producers = {o: op for op in graph.operators for o in op.outputs}
    consumers: dict[int, int] = {}
    for op in graph.operators:
        for i in op.inputs:
            consumers[i] = consumers.get(i, 0) + 1
    kept, fused = [], 0
    for op in graph.operators:
        if _op_name(model, op) == "RELU":
            src = producers.get(op.inputs[0])
            if (src is not None and consumers.get(op.inputs[0]) == 1 and op.inputs[0] not in graph.outputs
                    and _op_name(model, src) in ("CONV_2D", "DEPTHWISE_CONV_2D", "ADD")
                    and src.builtinOptions.fusedActivationFunction == schema.ActivationFunctionType.NONE):
                src.builtinOptions.fusedActivationFunction = schema.ActivationFunctionType.RELU
                src.outputs = [op.outputs[0]]
                fused += 1
                continue
        kept.append(op)
    graph.operators = kept
    return fused


def _drop_unused_tensors(graph) -> None:
    """Tensors no op reads or writes any more (the fp16 originals, the RELUs' old outputs) go, and
    every index is renumbered: the quantizer's calibration reads every tensor of the graph."""
    used = sorted({i for op in graph.operators for i in (*op.inputs, *op.outputs) if i >= 0}
                  | set(graph.inputs) | set(graph.outputs))
    new = {old: n for n, old in enumerate(used)}
    graph.tensors = [graph.tensors[i] for i in used]
    for op in graph.operators:
        op.inputs = [new[i] if i >= 0 else i for i in op.inputs]
        op.outputs = [new[i] for i in op.outputs]
    graph.inputs = [new[i] for i in graph.inputs]
    graph.outputs = [new[i] for i in graph.outputs]


def float32_with_signature(src: Path, dst: Path) -> None:
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(src.read_bytes(), 0))
    graph = model.subgraphs[0]
    code = _dequantize_code(model)
    kept = []
    for op in graph.operators:
        source = graph.tensors[op.inputs[0]] if op.opcodeIndex == code else None
        if source is None or source.type != schema.TensorType.FLOAT16:
            kept.append(op)
            continue
        data = model.buffers[source.buffer].data
        values = np.frombuffer(bytes(data), dtype=np.float16).astype(np.float32)
        target = graph.tensors[op.outputs[0]]
        buffer = schema.BufferT()
        buffer.data = np.frombuffer(values.tobytes(), dtype=np.uint8)
        model.buffers.append(buffer)
        target.buffer = len(model.buffers) - 1
    graph.operators = kept
    _fuse_relus(model, graph)
    _drop_unused_tensors(graph)

    def mapping(index: int):
        t = schema.TensorMapT()
        t.name, t.tensorIndex = graph.tensors[index].name, index
        return t
    signature = schema.SignatureDefT()
    signature.signatureKey, signature.subgraphIndex = b"serving_default", 0
    signature.inputs = [mapping(i) for i in graph.inputs]
    signature.outputs = [mapping(i) for i in graph.outputs]
    model.signatureDefs = [signature]
    builder = flatbuffers.Builder(1 << 20)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    dst.write_bytes(bytes(builder.Output()))


def _load_inlined(path: Path):
    """The model as objects, with buffers stored after the flatbuffer (offset/size) moved inside it."""
    raw = path.read_bytes()
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(raw, 0))
    for buffer in model.buffers:
        if buffer.offset > 1:
            buffer.data = np.frombuffer(raw[buffer.offset:buffer.offset + buffer.size], dtype=np.uint8)
            buffer.offset = buffer.size = 0
    return model


def widen_int8_range(path: Path, tensor_names: list[str], low: float, high: float) -> None:
    """Give int8 tensors the range [low, high]. The calibrator keeps a moving average of each
    tensor's range, which clips the face score's logit at the typical face's (scores capped near
    0.7); int8 kernels derive their rescaling from the tensors' parameters when the model is
    prepared, so a wider range on an op's output is exact, only coarser."""
    model = _load_inlined(path)
    graph = model.subgraphs[0]
    scale = (high - low) / 255.0
    zero_point = int(round(-128 - low / scale))
    names = {name.encode() for name in tensor_names}
    changed = 0
    for tensor in graph.tensors:
        if tensor.name in names:
            tensor.quantization.scale = [scale]
            tensor.quantization.zeroPoint = [zero_point]
            changed += 1
    if changed != len(names):
        raise ValueError(f"{path}: expected tensors {tensor_names}, found {changed} of them")
    builder = flatbuffers.Builder(1 << 20)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    path.write_bytes(bytes(builder.Output()))
