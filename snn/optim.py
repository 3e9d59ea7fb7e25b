"""First-order optimisers over named numpy arrays, updated in place.

SGD:  p <- p - lr g
Adam: Kingma & Ba, ICLR 2015, Algorithm 1 (see ``Adam``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from snn.eprop import EpropError

FloatArray = NDArray[np.float64]


def _check_lr(lr: float) -> None:
    if not (np.isfinite(lr) and lr > 0):
        raise EpropError(f"lr: must be finite and > 0, got {lr}")


def _check_names(params: dict[str, FloatArray], grads: dict[str, FloatArray]) -> None:
    for name, g in grads.items():
        if name not in params:
            raise EpropError(f"grads[{name!r}]: no parameter of that name")
        if np.shape(g) != params[name].shape:
            raise EpropError(
                f"grads[{name!r}]: shape {np.shape(g)} != parameter shape {params[name].shape}"
            )


@dataclass
class SGD:
    """Plain gradient descent, p <- p - lr g."""

    lr: float

    def __post_init__(self) -> None:
        _check_lr(self.lr)

    def step(self, params: dict[str, FloatArray], grads: dict[str, FloatArray]) -> None:
        """Update every parameter that has a gradient, in place."""
        _check_names(params, grads)
        for name, g in grads.items():
            params[name] -= self.lr * g


@dataclass
class Adam:
    """Adam (Kingma & Ba, ICLR 2015, Algorithm 1), one step count t for all parameters:

        m <- beta1 m + (1 - beta1) g,      v <- beta2 v + (1 - beta2) g^2
        m_hat = m / (1 - beta1^t),         v_hat = v / (1 - beta2^t)
        p <- p - lr m_hat / (sqrt(v_hat) + eps)

    The first step moves each coordinate by lr sign(g) (for |g| >> eps).
    """

    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    t: int = field(default=0, init=False)
    m: dict[str, FloatArray] = field(default_factory=dict, init=False, repr=False)
    v: dict[str, FloatArray] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        _check_lr(self.lr)
        for name in ("beta1", "beta2"):
            if not 0 <= getattr(self, name) < 1:
                raise EpropError(f"{name}: must lie in [0, 1), got {getattr(self, name)}")
        if not self.eps > 0:
            raise EpropError(f"eps: must be > 0, got {self.eps}")

    def step(self, params: dict[str, FloatArray], grads: dict[str, FloatArray]) -> None:
        """One Adam step for every parameter that has a gradient, in place."""
        _check_names(params, grads)
        self.t += 1
        c1 = 1.0 - self.beta1**self.t
        c2 = 1.0 - self.beta2**self.t
        for name, g in grads.items():
            m = self.m.setdefault(name, np.zeros_like(params[name], dtype=float))
            v = self.v.setdefault(name, np.zeros_like(params[name], dtype=float))
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            v *= self.beta2
            v += (1.0 - self.beta2) * np.square(g)
            params[name] -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)


OPTIMISERS: dict[str, type[SGD] | type[Adam]] = {"adam": Adam, "sgd": SGD}


def make_optimiser(name: str, lr: float) -> SGD | Adam:
    """``"sgd"`` or ``"adam"`` (default betas) with learning rate ``lr``."""
    if name not in OPTIMISERS:
        raise EpropError(f"optimiser: unknown {name!r} (valid: {', '.join(sorted(OPTIMISERS))})")
    return OPTIMISERS[name](lr=lr)
