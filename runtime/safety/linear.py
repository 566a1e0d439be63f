"""A small multinomial logistic regression (softmax) on sentence embeddings: pure numpy, deterministic.

Fitted in well under a second on a few hundred exemplars, so the kiosk fits it at start-up from the
exemplar file rather than shipping weights (the exemplars stay the one source of truth). Features are
standardised; classes are weighted by their inverse frequency so a rare class is not drowned out;
plain gradient descent from zeros (no randomness: the same exemplars give the same model).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LinearModel:
    classes: tuple[str, ...]
    mean: np.ndarray     # [dim]
    scale: np.ndarray    # [dim]
    weights: np.ndarray  # [dim, classes]
    bias: np.ndarray     # [classes]

    def proba(self, x: np.ndarray) -> np.ndarray:
        """[n, dim] embeddings -> [n, classes] probabilities (rows sum to 1)."""
        z = ((np.atleast_2d(x) - self.mean) / self.scale) @ self.weights + self.bias
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


def fit_softmax(x: np.ndarray, labels: list[str], classes: tuple[str, ...], l2: float = 0.05,
                iterations: int = 300, step: float = 0.5) -> LinearModel:
    """Fit on `x` [n, dim] with one label per row, each one of `classes`."""
    unknown = sorted(set(labels) - set(classes))
    if unknown:
        raise ValueError(f"labels {unknown}: expected one of {list(classes)}")
    y = np.array([classes.index(label) for label in labels])
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    xs = (x - mean) / scale
    n, dim = xs.shape
    k = len(classes)
    counts = np.bincount(y, minlength=k).astype(np.float64)
    weight = (n / (k * np.maximum(counts, 1.0)))[y][:, None]
    target = np.eye(k)[y]
    w, b = np.zeros((dim, k)), np.zeros(k)
    for _ in range(iterations):
        z = xs @ w + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        grad = (p - target) * weight / n
        w -= step * (xs.T @ grad + l2 * w)
        b -= step * grad.sum(axis=0)
    return LinearModel(tuple(classes), mean.astype(np.float32), scale.astype(np.float32),
                       w.astype(np.float32), b.astype(np.float32))
