"""Small telemetry charts for the device page: inline SVG polylines, drawn from the samples the
console kept (pure: samples in, SVG text out). The fields are those of fleet/metrics.py."""

from __future__ import annotations

from markupsafe import Markup, escape

from fleet.metrics import TELEMETRY_FIELDS

WIDTH, HEIGHT = 240, 48


def series(history: list[dict], path: tuple[str, ...]) -> list[tuple[float, float]]:
    out = []
    for sample in history:
        value = sample
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append((float(sample["t"]), float(value)))
    return out


def sparkline(points: list[tuple[float, float]], width: int = WIDTH, height: int = HEIGHT) -> Markup:
    if not points:
        return Markup(f'<svg class="spark" width="{width}" height="{height}"><text x="4" y="{height // 2}" '
                      'class="muted" font-size="11">no samples yet</text></svg>')
    t0, t1 = points[0][0], points[-1][0]
    lo, hi = min(v for _, v in points), max(v for _, v in points)
    span_t, span_v = (t1 - t0) or 1.0, (hi - lo) or 1.0
    xy = " ".join(f"{(t - t0) / span_t * (width - 2) + 1:.1f},{height - 1 - (v - lo) / span_v * (height - 2):.1f}"
                  for t, v in points)
    return Markup(f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
                  f'<polyline fill="none" stroke="#1f6feb" stroke-width="1.5" points="{xy}"/></svg>')


def device_charts(history: list[dict]) -> list[dict]:
    """[{name, help, last, svg}] for every telemetry field of fleet/metrics.py with samples."""
    out = []
    for name, text, path in TELEMETRY_FIELDS:
        pts = series(history, path)
        out.append({"name": name.removeprefix("edge_avatar_device_").removesuffix("_total"), "help": escape(text),
                    "last": pts[-1][1] if pts else None, "count": len(pts), "svg": sparkline(pts)})
    return out
