"""Frame-wise phone classification with an LSNN trained online by e-prop, per dataframe.

Network (Bellec et al. 2020, TIMIT): ``n_lif`` LIF + ``n_alif`` ALIF neurons (``snn.eprop``),
tau_m 20 ms, tau_a 200 ms, dt 1 ms; each 10 ms feature frame is presented for
``steps_per_frame`` steps; a leaky readout y^t = kappa y^(t-1) + W_out z^t with a softmax over
the 61 phones, cross-entropy against the frame's label at every step.

The synapse array. W_in and W_rec are one array [N, N_in + N] on a synapse back-end
(``snn.backends``): column i < N_in is an input line, the rest the recurrent lines. Each
dataframe of ``frames_per_update`` frames, the back-end integrates the LIF eligibility
e_ji^t = psi_j^t eps_i^t (eps the presynaptic trace, carried across dataframes) into its
decaying trace E_ji (time constant ``trace_tau_s``, kappa's by default: the trace is e-prop's
filtered eligibility), and at the end of the dataframe applies the learning signal

    W_ji += lr * s_j * E_ji,   s_j = -mean_t L_j^t,   L^t = B (softmax(y^t) - onehot^t) + L_reg

(symmetric B = W_out^T, or random / adaptive feedback), i.e. e-prop with the learning signal
averaged over the dataframe, as a device can apply it: one signed third factor per row and
dataframe. The ALIF neurons' adaptation eligibility (eps_a) is not stored by the array (a heat
trace holds the LIF product only); their threshold adaptation still shapes psi.

Batch and the physical array. A device array learns online on one stream of speech. A batch of
``streams`` utterances runs as that many copies of the array, each with its own trace, whose
updates are summed into the one shared weight matrix after every dataframe (data-parallel
arrays in lock step); ``streams = 1`` is the single physical array. The neuron state and the
traces start from rest at each utterance.

The readout W_out is trained by its exact gradient over the dataframe with Adam (it sits off
the array, in the readout circuit).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from meshes.files import StageError
from snn.backends import backend_kind
from snn.eprop import (
    FEEDBACK_MODES,
    NetworkState,
    NeuronParams,
    Weights,
    feedback_matrix,
    forward,
    rate_regularisation_signal,
)
from snn.optim import make_optimiser
from snn.synapses import BuildContext, SynapseBackend
from snn.timit.features import SplitFeatures
from snn.timit.phones import fold_index
from thermal.modal import leaky_filter

if TYPE_CHECKING:
    from devicefit.card import ModelCard

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
N_PHONES = 61


class TimitError(StageError):
    """A TIMIT training setting is invalid; the message names the field."""


@dataclass(frozen=True)
class TimitConfig:
    """Everything a TIMIT run depends on besides the corpus, the card and the seed."""

    backend: str = "ideal"
    synapses: Any = None  # the back-end's settings (its defaults when None)
    n_lif: int = 300
    n_alif: int = 100
    tau_m_s: float = 0.02
    tau_a_s: float = 0.2
    beta_alif: float = 1.8  # threshold increase per unit of adaptation (ALIF)
    dt_s: float = 1e-3
    steps_per_frame: int = 5
    frames_per_update: int = 10  # one dataframe
    trace_tau_s: float | None = None  # None: the readout's tau_m (kappa)
    streams: int = 16
    epochs: int = 4
    feedback: str = "symmetric"
    lr_out: float = 3e-3  # Adam on the readout
    w_in_gain: float = 1.0
    w_rec_gain: float = 0.5
    reg_rate_hz: float = 10.0
    reg_strength: float = 0.5
    # eligibility psi eps that draws the thermal heater's nominal power; None: that of a neuron
    # at its threshold with one unit input held on, (gamma / v_th) / (1 - alpha)
    e_ref: float | None = None
    seed: int = 0

    def validate(self) -> None:
        for name in (
            "n_lif",
            "n_alif",
            "steps_per_frame",
            "frames_per_update",
            "streams",
            "epochs",
        ):
            value = getattr(self, name)
            low = 0 if name in ("n_lif", "n_alif") else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise TimitError(f"{name}: must be an integer >= {low}, got {value!r}")
        if self.n_lif + self.n_alif < 1:
            raise TimitError("n_lif, n_alif: the network needs at least one neuron")
        for name in ("tau_m_s", "tau_a_s", "dt_s", "lr_out", "w_in_gain", "reg_rate_hz"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise TimitError(f"{name}: must be a finite number > 0, got {value!r}")
        for name in ("beta_alif", "w_rec_gain", "reg_strength"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise TimitError(f"{name}: must be a finite number >= 0, got {value!r}")
        if self.trace_tau_s is not None and not (
            math.isfinite(self.trace_tau_s) and self.trace_tau_s > 0
        ):
            raise TimitError(f"trace_tau_s: must be > 0 (or unset), got {self.trace_tau_s!r}")
        if self.e_ref is not None and not (math.isfinite(self.e_ref) and self.e_ref > 0):
            raise TimitError(f"e_ref: must be > 0 (or unset), got {self.e_ref!r}")
        if self.feedback not in FEEDBACK_MODES:
            raise TimitError(f"feedback: {self.feedback!r} is not one of {FEEDBACK_MODES}")
        kind = backend_kind(self.backend, TimitError)
        settings: Any = self.settings()
        if type(settings) is not kind.settings_type:
            raise TimitError(f"synapses: settings of {type(settings).__name__}, not {self.backend}")
        validate = getattr(settings, "validate")  # noqa: B009  (every settings type has one)
        validate("synapses", TimitError)

    def settings(self) -> Any:
        if self.synapses is not None:
            return self.synapses
        kind = backend_kind(self.backend, TimitError)
        defaults = DEFAULT_SYNAPSES.get(self.backend)
        return defaults() if defaults else kind.settings_type()

    @property
    def n(self) -> int:
        return self.n_lif + self.n_alif

    def reference_eligibility(self) -> float:
        """``e_ref``, or (gamma / v_th) / (1 - alpha) when unset."""
        if self.e_ref is not None:
            return self.e_ref
        p = self.params()
        return p.gamma / p.v_th / (1 - p.alpha)

    def params(self) -> NeuronParams:
        beta = (0.0,) * self.n_lif + (self.beta_alif,) * self.n_alif
        kappa = math.exp(-self.dt_s / self.tau_m_s)
        return NeuronParams(
            alpha=kappa, rho=math.exp(-self.dt_s / self.tau_a_s), beta=beta, kappa=kappa
        )


def _ideal_defaults() -> Any:
    from snn.ideal_synapses import IdealSettings

    return IdealSettings(lr=2e-3)


def _quantised_defaults() -> Any:
    from snn.quantised_synapses import QuantisedSettings

    return QuantisedSettings(lr=2e-3, w_scale=1.0)


def _thermal_defaults() -> Any:
    from snn.thermal_synapses import ThermalSettings

    # |W| <= 1 (the input weights start at ~0.1); 0.2 mW at e_ref keeps the hottest cell near
    # +200 K on the default card; one pulse pair per 0.02 of mean learning signal
    return ThermalSettings(w_scale=1.0, heater_power_w=2e-4, signal_unit=0.02)


# the TIMIT task's own defaults of each back-end's settings (signals and weights differ in
# scale from the maze's)
DEFAULT_SYNAPSES: dict[str, Callable[[], Any]] = {
    "ideal": _ideal_defaults,
    "quantised": _quantised_defaults,
    "thermal": _thermal_defaults,
}


def timit_config_from_dict(data: dict[str, Any]) -> TimitConfig:
    """A checked ``TimitConfig`` from a TOML table (unknown keys are refused by name)."""
    known = {f.name for f in fields(TimitConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise TimitError(f"{unknown[0]}: not a TIMIT setting (known: {', '.join(sorted(known))})")
    values = dict(data)
    cfg = TimitConfig(**{k: v for k, v in values.items() if k != "synapses"})
    if "synapses" in values:
        kind = backend_kind(cfg.backend, TimitError)
        table = values["synapses"]
        if not isinstance(table, dict):
            raise TimitError("synapses: must be a table of the back-end's settings")
        names = {f.name for f in fields(kind.settings_type)}
        bad = sorted(set(table) - names)
        if bad:
            raise TimitError(f"synapses.{bad[0]}: not a setting of the {cfg.backend} back-end")
        base = cfg.settings()
        cfg = replace(cfg, synapses=replace(base, **table))
    cfg.validate()
    return cfg


@dataclass
class Network:
    """The trained state: the synapse array (W_in | W_rec) and the readout."""

    cfg: TimitConfig
    n_in: int
    array: SynapseBackend
    w_out: FloatArray
    feedback: FloatArray
    rng: np.random.Generator
    params: NeuronParams = field(init=False)

    def __post_init__(self) -> None:
        self.params = self.cfg.params()

    def weights(self) -> Weights:
        w = self.array.weights()
        return Weights(w[:, : self.n_in], w[:, self.n_in :], self.w_out)


def build_network(
    cfg: TimitConfig, n_features: int, rng: np.random.Generator, card: ModelCard | None = None
) -> Network:
    """Random initial weights (Gaussian, 1/sqrt(fan-in) x gain) on the configured back-end,
    with two input lines per feature (``on_off``)."""
    cfg.validate()
    n_in = 2 * n_features
    n = cfg.n
    w_in = rng.normal(0, cfg.w_in_gain / math.sqrt(n_in), (n, n_in))
    w_rec = rng.normal(0, cfg.w_rec_gain / math.sqrt(n), (n, n)) * (1 - np.eye(n))
    w_out = rng.normal(0, 1 / math.sqrt(n), (N_PHONES, n))
    kind = backend_kind(cfg.backend, TimitError)
    if kind.needs_card and card is None:
        raise TimitError(f"backend: {cfg.backend!r} needs a model card (--card)")
    trace_tau = cfg.trace_tau_s if cfg.trace_tau_s is not None else cfg.tau_m_s
    frame_s = cfg.frames_per_update * cfg.steps_per_frame * cfg.dt_s
    timing = kind.timing(cfg.settings(), card, trace_tau / frame_s, frame_s)
    context = BuildContext(
        w_init=np.hstack([w_in, w_rec]),
        timing=timing,
        steps_per_frame=cfg.frames_per_update * cfg.steps_per_frame,
        e_ref=cfg.reference_eligibility(),
        card=card,
        rng=rng,
    )
    array = kind.build(cfg.settings(), context)
    return Network(cfg, n_in, array, w_out, feedback_matrix(cfg.feedback, w_out, rng), rng)


@dataclass
class Streams:
    """Per-stream state carried across dataframes: neurons, presynaptic traces."""

    net: NetworkState
    eps: FloatArray  # [B, N_in + N]: the presynaptic traces of the array's columns
    z_out: FloatArray  # [B, N]: kappa-filtered spikes (for the readout gradient)


def _rest(net: Network, n_b: int) -> Streams:
    n, n_in = net.cfg.n, net.n_in
    zeros = np.zeros((n_b, n))
    return Streams(
        NetworkState(zeros, zeros, zeros, np.zeros((n_b, N_PHONES)), np.zeros((n_b, n), np.int64)),
        np.zeros((n_b, n_in + n)),
        zeros,
    )


def softmax(y: FloatArray) -> FloatArray:
    e = np.exp(y - y.max(-1, keepdims=True))
    out: FloatArray = e / e.sum(-1, keepdims=True)
    return out


def _batch_frames(
    feats: SplitFeatures, order: IntArray, steps: int
) -> tuple[FloatArray, IntArray, NDArray[np.bool_]]:
    """Utterances ``order`` padded to the longest: x [F * steps, B, D] (each frame repeated
    ``steps`` times), labels [F, B] and a mask [F, B] of real frames."""
    lengths = feats.offsets[order + 1] - feats.offsets[order]
    n_f, n_b, d = int(lengths.max()), len(order), feats.x.shape[1]
    x = np.zeros((n_f, n_b, d))
    labels = np.zeros((n_f, n_b), dtype=np.int64)
    mask = np.zeros((n_f, n_b), dtype=bool)
    for b, k in enumerate(order):
        xs, ys = feats.utterance(int(k))
        x[: len(ys), b], labels[: len(ys), b], mask[: len(ys), b] = xs, ys, True
    return np.repeat(on_off(x), steps, axis=0), labels, mask


def on_off(x: FloatArray) -> FloatArray:
    """[max(x, 0), max(-x, 0)] along the last axis: each normalised feature drives two
    non-negative input lines, so every presynaptic trace, and with it the heater power
    psi_j eps_i of a thermal cell, is >= 0 (heat cannot be negative)."""
    return np.concatenate([np.maximum(x, 0.0), np.maximum(-x, 0.0)], axis=-1)


@dataclass
class EpochResult:
    loss: float
    train_accuracy39: float
    frames: int


def train_epoch(
    net: Network,
    feats: SplitFeatures,
    rng: np.random.Generator,
    progress: Callable[[int], None] | None = None,
) -> EpochResult:
    """One pass over ``feats`` in random order, ``streams`` utterances at a time."""
    cfg = net.cfg
    opt = make_optimiser("adam", cfg.lr_out)
    order = rng.permutation(len(feats.uids))
    fold = fold_index()
    loss_sum, correct, counted, frames = 0.0, 0, 0, 0
    for start in range(0, len(order), cfg.streams):
        batch = order[start : start + cfg.streams]
        x, labels, mask = _batch_frames(feats, batch, cfg.steps_per_frame)
        state = _rest(net, len(batch))
        net.array.reset_trace()
        chunk = cfg.frames_per_update
        for f0 in range(0, labels.shape[0], chunk):
            f1 = min(f0 + chunk, labels.shape[0])
            xs = x[f0 * cfg.steps_per_frame : f1 * cfg.steps_per_frame]
            state, out = _dataframe(net, opt, state, xs, labels[f0:f1], mask[f0:f1])
            loss_sum += out[0]
            pred = out[1]
            m = mask[f0:f1]
            folded_true, folded_pred = fold[labels[f0:f1]], fold[pred]
            scored = m & (folded_true >= 0)
            correct += int(np.sum((folded_true == folded_pred) & scored))
            counted += int(scored.sum())
            frames += int(m.sum())
        if progress is not None:
            progress(len(batch))
    return EpochResult(loss_sum / max(frames, 1), correct / max(counted, 1), frames)


def _dataframe(
    net: Network,
    opt: Any,
    streams: Streams,
    x: FloatArray,
    labels: IntArray,
    mask: NDArray[np.bool_],
) -> tuple[Streams, tuple[float, IntArray]]:
    """Run one dataframe, update the array and the readout; returns the carried state and
    (summed cross-entropy of the real frames, predicted 61-class label per frame [F, B])."""
    cfg, p = net.cfg, net.params
    steps = cfg.steps_per_frame
    w = net.weights()
    traj = forward(w, x, p, state=streams.net)
    prob = softmax(traj.y)  # [T, B, 61]
    step_labels = np.repeat(labels, steps, axis=0)
    step_mask = np.repeat(mask, steps, axis=0)[..., None]
    target = np.zeros_like(prob)
    np.put_along_axis(target, step_labels[..., None], 1.0, axis=-1)
    err = (prob - target) * step_mask  # dE/dy^t of the cross-entropy, padding masked
    learning = err @ net.feedback.T  # [T, B, N]
    if cfg.reg_strength > 0:
        learning = (
            learning
            + rate_regularisation_signal(traj.z, cfg.reg_rate_hz * cfg.dt_s, cfg.reg_strength)
            * step_mask
        )
    # presynaptic traces of the array's columns, carried across dataframes
    pre = np.concatenate([x, np.concatenate([streams.net.z[None], traj.z[:-1]])], axis=2)
    eps = leaky_filter(pre, p.alpha, streams.eps)
    net.array.accumulate(traj.psi, eps)
    valid = np.maximum(step_mask.sum(0), 1)  # [B, 1]
    signal = -learning.sum(0) / valid  # [B, N]: the dataframe's mean learning signal
    net.array.update(signal / x.shape[1], net.rng)
    # readout: exact gradient over the dataframe (kappa-filtered spikes carried across)
    z_f = leaky_filter(traj.z, p.kappa, streams.z_out)
    g_out = err.reshape(-1, N_PHONES).T @ z_f.reshape(-1, cfg.n) / x.shape[1]
    old = net.w_out.copy()
    params = {"w_out": net.w_out}
    opt.step(params, {"w_out": g_out})
    if cfg.feedback == "adaptive":
        net.feedback += (net.w_out - old).T
    elif cfg.feedback == "symmetric":
        net.feedback = net.w_out.T.copy()
    log_p = np.log(np.maximum(prob, 1e-12))
    loss = -float(np.sum(target * log_p * step_mask)) / steps
    frame_y = traj.y.reshape(len(labels), steps, *traj.y.shape[1:]).mean(1)  # [F, B, 61]
    new = Streams(traj.final, eps[-1], z_f[-1]) if traj.final is not None else streams
    return new, (loss, frame_y.argmax(-1))


def predict(net: Network, feats: SplitFeatures, batch: int = 32) -> IntArray:
    """61-class prediction of every frame of ``feats`` (no learning): mean readout over the
    frame's steps, argmax."""
    cfg = net.cfg
    out = np.zeros(feats.n_frames, dtype=np.int64)
    w = net.weights()
    for start in range(0, len(feats.uids), batch):
        order = np.arange(start, min(start + batch, len(feats.uids)))
        x, labels, _ = _batch_frames(feats, order, cfg.steps_per_frame)
        traj = forward(w, x, net.params)
        frame_y = traj.y.reshape(len(labels), cfg.steps_per_frame, *traj.y.shape[1:]).mean(1)
        pred = frame_y.argmax(-1)
        for b, k in enumerate(order):
            a, e = feats.offsets[k], feats.offsets[k + 1]
            out[a:e] = pred[: e - a, b]
    return out


@dataclass(frozen=True)
class Scores:
    accuracy39: float
    accuracy61: float
    majority39: float  # accuracy of always answering the training set's commonest class
    confusion39: IntArray  # [true, predicted]
    frames: int


def score(pred: IntArray, labels: IntArray, majority_class39: int) -> Scores:
    """Frame accuracies: 61 labels, and folded onto the 39 classes (q frames not scored)."""
    fold = fold_index()
    t39, p39 = fold[labels], fold[pred]
    scored = t39 >= 0
    confusion = np.zeros((39, 39), dtype=np.int64)
    np.add.at(confusion, (t39[scored], np.maximum(p39[scored], 0)), 1)
    n = int(scored.sum())
    return Scores(
        accuracy39=float(np.mean(t39[scored] == p39[scored])) if n else float("nan"),
        accuracy61=float(np.mean(pred == labels)) if len(labels) else float("nan"),
        majority39=float(np.mean(t39[scored] == majority_class39)) if n else float("nan"),
        confusion39=confusion,
        frames=n,
    )


def majority_class39(train: SplitFeatures) -> int:
    """The commonest scored 39-class of the training frames."""
    fold = fold_index()
    t39 = fold[train.labels]
    return int(np.bincount(t39[t39 >= 0], minlength=39).argmax())


def config_to_json(cfg: TimitConfig) -> dict[str, Any]:
    out = asdict(replace(cfg, synapses=None))
    out["synapses"] = asdict(cfg.settings())
    return out
