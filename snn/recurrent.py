"""A recurrent actor: an LSNN hidden layer trained online by reward-based e-prop.

The maze agent's alternative to its feed-forward action layer (``snn.agent``, ``network =
"recurrent"``), for tasks that may need memory (a partially observed maze). Bellec et al.,
Nat Commun 11, 3625 (2020), Methods "Reward-based e-prop"; the dynamics are ``snn.eprop``'s:

    observation spikes x -> N_h recurrent LIF and ALIF neurons (W_in, W_rec; v, a, z carried
    from frame to frame within an episode: the memory) -> logits l_k = sum_j W_out,kj r_j,
    r = (the input cells' and the hidden neurons' spike counts over the frame);  pi = softmax(l)

The readout sees the observation too (a skip connection): without it a random hidden layer's
counts share a large state-independent part, and the readout's first thing to learn is a
bias towards one action everywhere (measured at learning rate 0.01: 6 of 6 seeds stuck
against a wall). With it the
actor can do what the feed-forward one does, and the hidden layer adds memory.

Per frame, with the sampled action a and g_k = 1[a = k] - pi_k = d log pi(a) / d l_k:

    readout  E_out,kj <- lambda E_out,kj + g_k r_j                         (exact)
    hidden   E_ji     <- lambda E_ji + L_j sum_t e_ji^t / e_ref,  L_j = sum_k W_out,k(N_in+j) g_k
    W <- W + lr delta E + lr c_H dH/dW   at the end of the frame (delta: the critic's TD
    error; dH/dW the same two rules with g replaced by dH/dl_k = -pi_k (log pi_k + H), the
    gradient of the policy's entropy H, not traced: an entropy bonus c_H keeps the policy
    from locking into one action, as in Bellec et al.'s reward-based e-prop)

e_ji^t = psi_j^t (eps_v,i^t - beta_j eps_a,ji^t) is e-prop's eligibility of W_in and W_rec
(``frame_eligibility``: eps_v and eps_a carried across frames, so a frame's sum equals the
whole sequence's e-prop over its steps), L_j the learning signal through the readout
(symmetric feedback, B = W_out^T), e_ref = gamma / v_th as the ideal back-end's.
lambda = exp(-frame / tau) per frame, tau / frame the agent's decay ratio (the ideal
back-end's trace taken per frame). The hidden learning signal has both signs, so the traces
are float (the ideal back-end's): heat cannot store them.

Every operation is per agent (elementwise, or a matrix product per agent), so a batch of
agents gives each the run it has alone, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from snn.eprop import NetworkState, NeuronParams, Weights, forward, rest_state
from snn.synapses import AgentStreams, Energy
from thermal.modal import leaky_filter

FloatArray = NDArray[np.float64]


@dataclass
class FrameCarry:
    """What the e-prop eligibility carries from one frame to the next, per agent: the last
    step's presynaptic traces eps_v of the inputs [B, N_in] and of the hidden neurons [B, N_h],
    the last step's spikes z [B, N_h] (they enter the next step's recurrent trace) and the
    adaptation eligibility eps_a [B, N_h, N_in + N_h] of the next step."""

    eps_in: FloatArray
    eps_rec: FloatArray
    z: FloatArray
    eps_a: FloatArray

    @classmethod
    def rest(cls, n_b: int, n_in: int, n_h: int) -> FrameCarry:
        return cls(
            np.zeros((n_b, n_in)), np.zeros((n_b, n_h)), np.zeros((n_b, n_h)),
            np.zeros((n_b, n_h, n_in + n_h)),
        )  # fmt: skip


def frame_eligibility(
    x: FloatArray, z: FloatArray, psi: FloatArray, p: NeuronParams, carry: FrameCarry
) -> tuple[FloatArray, FrameCarry]:
    """sum_t e_ji^t over one frame for the input and recurrent weights, [B, N_h, N_in + N_h],
    and the carry into the next frame. x [T, B, N_in], z and psi [T, B, N_h] the frame's.

    eps_v: eps_in^t = alpha eps_in^(t-1) + x^t, eps_rec^t = alpha eps_rec^(t-1) + z^(t-1);
    eps_a^(t+1) = c^t eps_a^t + psi^t eps_v^t, c = rho - beta psi (``snn.eprop``). Unrolled
    over the frame's steps 0..T-1 from eps_a^0 = A:

        sum_t psi^t eps_a^t = G A + sum_s psi^s q^s eps_v^s
        eps_a^T             = C A + sum_s psi^s P^s eps_v^s
        q^(T-1) = 0, q^s = psi^(s+1) + c^(s+1) q^(s+1);  G = psi^0 + c^0 q^0
        P^(T-1) = 1, P^s = c^(s+1) P^(s+1);              C = c^0 P^0

    matrix products per agent over time instead of a loop over [B, N_h, N_pre] (the same sum
    as ``snn.eprop.eprop_gradients`` over the whole sequence, tested).
    """
    n_t, _, n_h = psi.shape
    beta = p.beta_array(n_h)
    eps_in = leaky_filter(x, p.alpha, carry.eps_in)
    z_before = np.concatenate([carry.z[None], z[:-1]])  # z^(t-1) enters eps_rec^t
    eps_rec = leaky_filter(z_before, p.alpha, carry.eps_rec)
    eps = np.concatenate([eps_in, eps_rec], axis=-1)  # [T, B, N_pre]
    eps_b = np.ascontiguousarray(eps.transpose(1, 0, 2))  # [B, T, N_pre]
    lif = np.matmul(np.ascontiguousarray(psi.transpose(1, 2, 0)), eps_b)  # [B, N_h, N_pre]
    if not np.any(beta):
        return lif, FrameCarry(eps_in[-1], eps_rec[-1], z[-1].copy(), carry.eps_a)
    c = p.rho - beta * psi  # [T, B, N_h]
    q, tail = np.zeros_like(psi), np.zeros_like(psi)
    tail[-1] = 1.0
    for s in range(n_t - 2, -1, -1):
        q[s] = psi[s + 1] + c[s + 1] * q[s + 1]
        tail[s] = c[s + 1] * tail[s + 1]
    g, whole = psi[0] + c[0] * q[0], c[0] * tail[0]  # [B, N_h]
    adapt = g[:, :, None] * carry.eps_a + np.matmul(
        np.ascontiguousarray((psi * q).transpose(1, 2, 0)), eps_b
    )
    eps_a = whole[:, :, None] * carry.eps_a + np.matmul(
        np.ascontiguousarray((psi * tail).transpose(1, 2, 0)), eps_b
    )
    out: FloatArray = lif - beta[None, :, None] * adapt
    return out, FrameCarry(eps_in[-1], eps_rec[-1], z[-1].copy(), eps_a)


@dataclass
class RecurrentActor:
    """B agents' LSNN actors (module docstring): weights, network state, e-prop carries and
    traces, all [B, ...]. Stands in for a synapse back-end in the agent's loop (``weights``,
    ``update``, ``reset_trace``, ``select``, ``energy``, ``peak_rise_k``)."""

    w_in: FloatArray  # [B, N_h, N_in]
    w_rec: FloatArray  # [B, N_h, N_h], zero diagonal
    w_out: FloatArray  # [B, A, N_in + N_h]: from the input cells and the hidden neurons
    params: NeuronParams
    bias: float  # constant input current per step
    lr: float
    entropy_bonus: float  # c_H
    memory: bool  # False: the state and the carries start at rest every frame (a control)
    decay: float  # lambda, the traces' decay per frame
    e_ref: float
    energy: Energy
    state: NetworkState
    carry: FrameCarry
    trace_hidden: FloatArray  # [B, N_h, N_in + N_h]
    trace_out: FloatArray  # [B, A, N_in + N_h]
    # this frame's (E_hidden, E_out) and the entropy gradients (dH/dW_hidden, dH/dW_out)
    _pending: tuple[FloatArray, FloatArray, FloatArray, FloatArray] | None = None

    def weights(self) -> FloatArray:
        """The readout W_out [B, A, N_in + N_h] (the weights a learned policy is read from)."""
        return self.w_out

    def act(self, x: FloatArray, u: FloatArray) -> tuple[NDArray[np.int64], FloatArray, FloatArray]:
        """Run the frame x [B, T, N_in] from the carried state, sample each agent's action
        with its uniform draw u [B] (inverse CDF, as ``Generator.choice``) and book the
        frame's eligibility (module docstring). Returns the actions, pi [B, A] and the readout's
        spike counts r [B, N_in + N_h]."""
        n_b, n_h = self.w_rec.shape[:2]
        if not self.memory:  # the same actor without memory: every frame from rest
            self.state = rest_state(n_b, n_h, 1)
            self.carry = FrameCarry.rest(n_b, self.w_in.shape[-1], n_h)
        xt = np.ascontiguousarray(x.transpose(1, 0, 2))  # [T, B, N_in]
        traj = forward(
            Weights(self.w_in, self.w_rec, np.zeros((1, n_h))), xt, self.params, self.bias,
            self.state,
        )  # fmt: skip
        assert traj.final is not None
        self.state = traj.final
        counts = np.concatenate([xt.sum(0), traj.z.sum(0)], axis=-1)  # r [B, N_in + N_h]
        logits = np.matmul(self.w_out, counts[:, :, None])[:, :, 0]  # [B, A]
        pi = np.exp(logits - logits.max(-1, keepdims=True))
        pi /= pi.sum(-1, keepdims=True)
        cdf = np.cumsum(pi, axis=-1)
        cdf /= cdf[:, -1:]
        actions = np.sum(cdf <= u[:, None], axis=-1)
        g = (np.arange(pi.shape[1])[None, :] == actions[:, None]) - pi  # [B, A]
        log_pi = np.log(np.maximum(pi, 1e-300))
        grad_h = -pi * (log_pi - np.sum(pi * log_pi, axis=-1, keepdims=True))  # dH/dl [B, A]
        feedback = self.w_out[:, :, self.w_in.shape[-1] :].transpose(0, 2, 1)  # [B, N_h, A]
        signal = np.matmul(feedback, g[:, :, None])[:, :, 0]  # L [B, N_h]
        signal_h = np.matmul(feedback, grad_h[:, :, None])[:, :, 0]
        frame, self.carry = frame_eligibility(xt, traj.z, traj.psi, self.params, self.carry)
        frame /= self.e_ref
        self._pending = (
            signal[:, :, None] * frame,
            g[:, :, None] * counts[:, None],
            signal_h[:, :, None] * frame,
            grad_h[:, :, None] * counts[:, None],
        )
        return actions, pi, counts

    def update(self, signal: FloatArray, rng: AgentStreams | None = None) -> None:
        """Fold the frame's eligibility into the traces and apply lr delta E (``signal`` the
        TD error per agent [B])."""
        if self._pending is None:
            raise RuntimeError("update: no frame acted since the last update")
        hidden, out, entropy_hidden, entropy_out = self._pending
        self._pending = None
        self.trace_hidden = self.decay * self.trace_hidden + hidden
        self.trace_out = self.decay * self.trace_out + out
        step = self.lr * np.asarray(signal, float)[:, None, None]
        bonus = self.lr * self.entropy_bonus
        n_in = self.w_in.shape[-1]
        change = step * self.trace_hidden + bonus * entropy_hidden
        self.w_in = self.w_in + change[:, :, :n_in]
        w_rec = self.w_rec + change[:, :, n_in:]
        idx = np.arange(w_rec.shape[-1])
        w_rec[:, idx, idx] = 0.0  # no self-connection
        self.w_rec = w_rec
        self.w_out = self.w_out + step * self.trace_out + bonus * entropy_out
        self.energy.updates += 1

    def reset_trace(self, agents: NDArray[np.intp]) -> None:
        """A new episode for ``agents``: network at rest, carries and traces zero (the
        weights stay)."""
        s = self.state
        v, a, z, y, r = s.v.copy(), s.a.copy(), s.z.copy(), s.y.copy(), s.refractory.copy()
        for arr in (v, a, z, y, r):
            arr[agents] = 0
        self.state = NetworkState(v, a, z, y, r)
        c = self.carry
        fields = [np.array(t, copy=True) for t in (c.eps_in, c.eps_rec, c.z, c.eps_a)]
        for arr in fields:
            arr[agents] = 0.0
        self.carry = FrameCarry(*fields)
        self.trace_hidden, self.trace_out = self.trace_hidden.copy(), self.trace_out.copy()
        self.trace_hidden[agents] = 0.0
        self.trace_out[agents] = 0.0
        if self._pending is not None:  # a frame acted but not yet applied: not theirs any more
            for part in self._pending:  # this frame's own arrays, made in ``act``
                part[agents] = 0.0

    def select(self, agents: NDArray[np.intp]) -> None:
        """Keep agents ``agents`` only, in that order."""
        self.w_in, self.w_rec = self.w_in[agents], self.w_rec[agents]
        self.w_out = self.w_out[agents]
        s = self.state
        self.state = NetworkState(
            s.v[agents], s.a[agents], s.z[agents], s.y[agents], s.refractory[agents]
        )
        c = self.carry
        self.carry = FrameCarry(*(t[agents] for t in (c.eps_in, c.eps_rec, c.z, c.eps_a)))
        self.trace_hidden, self.trace_out = self.trace_hidden[agents], self.trace_out[agents]
        if self._pending is not None:
            h, o, eh, eo = self._pending
            self._pending = (h[agents], o[agents], eh[agents], eo[agents])
        self.energy.select(agents)

    def peak_rise_k(self) -> None:
        return None


def build_actor(
    streams: AgentStreams,
    *,
    n_in: int,
    n_hidden: int,
    n_actions: int,
    params: NeuronParams,
    bias: float,
    input_scale: float,
    lr: float,
    entropy_bonus: float,
    decay: float,
    memory: bool = True,
) -> RecurrentActor:
    """Fresh actors, one per stream: W_in ~ N(0, input_scale^2), W_rec ~ N(0, 1 / N_h) (zero
    diagonal), W_out ~ N(0, 0.01 / (N_in + N_h)), each agent's from its own stream in that
    order."""
    n_b = len(streams)
    w_in = input_scale * streams.standard_normal((n_b, n_hidden, n_in))
    w_rec = streams.standard_normal((n_b, n_hidden, n_hidden)) / np.sqrt(n_hidden)
    idx = np.arange(n_hidden)
    w_rec[:, idx, idx] = 0.0
    n_read = n_in + n_hidden
    w_out = 0.1 * streams.standard_normal((n_b, n_actions, n_read)) / np.sqrt(n_read)
    return RecurrentActor(
        w_in=w_in,
        w_rec=w_rec,
        w_out=w_out,
        params=params,
        bias=bias,
        lr=lr,
        entropy_bonus=entropy_bonus,
        memory=memory,
        decay=decay,
        e_ref=params.gamma / params.v_th,
        energy=Energy(np.zeros(n_b), np.zeros(n_b), 0),
        state=rest_state(n_b, n_hidden, 1),
        carry=FrameCarry.rest(n_b, n_in, n_hidden),
        trace_hidden=np.zeros((n_b, n_hidden, n_in + n_hidden)),
        trace_out=np.zeros((n_b, n_actions, n_read)),
    )
