"""The recurrent (LSNN) actor and the partially observed maze (issue 13, part 4)."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from snn.agent import AgentConfig, AgentError, run_agent, run_agents
from snn.eprop import NeuronParams, Weights, eprop_gradients, forward
from snn.ideal_synapses import IdealSettings
from snn.maze import DEFAULT_MAZE, MOVES, VIEW_KINDS, neighbour_view, parse_maze, shortest_path
from snn.recurrent import FrameCarry, frame_eligibility


def _alif_params(n: int) -> NeuronParams:
    return NeuronParams(
        alpha=float(np.exp(-1 / 10)),
        rho=float(np.exp(-1 / 30)),
        beta=tuple([0.0] * (n // 2) + [0.3] * (n - n // 2)),
        gamma=0.3,
    )


def test_frame_eligibility_equals_eprop_over_the_whole_sequence() -> None:
    """Frame by frame with the carry, the sum of e-prop's eligibility over a frame's steps
    equals snn.eprop's over the whole sequence with a learning signal of 1 on that frame
    (adaptation eligibility from earlier frames included)."""
    rng = np.random.default_rng(3)
    n_in, n, n_t, frames = 5, 6, 7, 4
    p = _alif_params(n)
    w_rec = rng.normal(0, 0.6, (n, n))
    np.fill_diagonal(w_rec, 0.0)
    w = Weights(rng.normal(0.4, 0.5, (n, n_in)), w_rec, np.zeros((1, n)))
    x = (rng.random((n_t * frames, 1, n_in)) < 0.3).astype(float)
    whole = forward(w, x, p, 0.05)
    assert whole.z.sum() > 10 and whole.a[:, :, n // 2 :].max() > 0.5  # spiking, adapting
    state, carry = None, FrameCarry.rest(1, n_in, n)
    for k in range(frames):
        chunk = forward(w, x[k * n_t : (k + 1) * n_t], p, 0.05, state)
        state = chunk.final
        got, carry = frame_eligibility(chunk.x, chunk.z, chunk.psi, p, carry)
        learning = np.zeros_like(whole.v)
        learning[k * n_t : (k + 1) * n_t] = 1.0
        g_in, g_rec = eprop_gradients(whole, learning, p)
        want = np.concatenate([g_in, g_rec], axis=1)
        np.testing.assert_allclose(got[0], want, rtol=1e-10, atol=1e-12)
        assert np.abs(want[n // 2 :]).max() > 0  # the ALIF rows are not trivially zero


def test_forward_with_one_recurrent_matrix_per_stream() -> None:
    """W_rec [B, N, N]: each stream runs as if alone with its own matrix."""
    rng = np.random.default_rng(0)
    n_in, n = 4, 5
    p = _alif_params(n)
    w_in = rng.normal(0.5, 0.5, (2, n, n_in))
    w_rec = rng.normal(0, 0.8, (2, n, n))
    x = (rng.random((9, 2, n_in)) < 0.4).astype(float)
    both = forward(Weights(w_in, w_rec, np.zeros((1, n))), x, p)
    for b in range(2):
        alone = forward(Weights(w_in[b], w_rec[b], np.zeros((1, n))), x[:, b : b + 1], p)
        np.testing.assert_allclose(both.v[:, b], alone.v[:, 0], rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(both.z[:, b], alone.z[:, 0])


def test_neighbour_view_of_the_default_maze() -> None:
    layout = parse_maze(DEFAULT_MAZE)
    view = neighbour_view(layout.grid).reshape(-1, len(MOVES), len(VIEW_KINDS))
    assert np.all(view.sum(-1) == 1)  # one kind per direction
    start = layout.state(layout.start)  # (1, 1): wall left and up, free right and down
    assert [VIEW_KINDS[k] for k in view[start].argmax(-1)] == ["wall", "free", "free", "wall"]
    cheese = layout.cells("C")[0]
    left_of = layout.state((cheese[0], cheese[1] - 1))
    assert VIEW_KINDS[view[left_of][2].argmax()] == "cheese"  # cheese to the right
    # the maze is partially observed: free cells that look alike exist
    free = [layout.state(c) for c in layout.cells(".")]
    looks = {view[s].tobytes() for s in free}
    assert len(looks) < len(free)


def _recurrent(**kw: object) -> AgentConfig:
    base = AgentConfig(
        network="recurrent", eligibility="signed", observation="neighbours", episodes=6,
        max_steps=30, hidden_neurons=12,
    )  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def test_recurrent_batch_equals_single_runs_bit_for_bit() -> None:
    cfgs = [_recurrent(seed=s) for s in (4, 1, 7)]
    batch = run_agents(cfgs)
    for cfg, got in zip(cfgs, batch, strict=True):
        assert got.to_json() == run_agent(cfg).to_json()
    assert len({tuple(r.steps) for r in batch}) > 1  # the agents did different things


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"backend": "quantised"}, "network"),
        ({"eligibility": "nonnegative"}, "eligibility"),
        ({"observation": "eyes"}, "observation"),
        ({"network": "lstm"}, "network"),
        ({"alif_fraction": 1.5}, "alif_fraction"),
        ({"hidden_neurons": 0}, "hidden_neurons"),
        ({"adapt_beta": -1.0}, "adapt_beta"),
        ({"recurrent_lr": 0.0}, "recurrent_lr"),
        ({"synapses": IdealSettings(lr=0.5)}, "synapses"),
        ({"tau_adapt_steps": 1e17}, "tau_adapt_steps"),
        ({"policy_gain": 2.0}, "policy_gain"),
        ({"network": "feedforward", "eligibility": "nonnegative"}, "hidden_neurons"),
    ],
)
def test_bad_recurrent_settings_name_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(AgentError, match=field):
        _recurrent(**changes).validate()


def test_the_default_maze_seen_from_the_neighbours_needs_no_memory() -> None:
    """Along the shortest path, cells that look alike need the same move: a memoryless
    policy of the neighbour view walks it (so on this map memory is not what is tested)."""
    layout = parse_maze(DEFAULT_MAZE)
    view = neighbour_view(layout.grid)
    path = shortest_path(layout)
    move: dict[bytes, int] = {}
    for here, there in itertools.pairwise(path):
        action = MOVES.index((there[0] - here[0], there[1] - here[1]))
        seen = view[layout.state(here)].tobytes()
        assert move.setdefault(seen, action) == action


def test_without_memory_every_frame_starts_at_rest() -> None:
    """memory = False: an agent's frame is the same whatever came before it."""
    from snn.agent import _make_batch

    cfg = _recurrent(memory=False, observation="place")
    outs = []
    for before in (0, 3):  # frames acted before the one compared
        batch = _make_batch([cfg], None)
        rng = np.random.default_rng(9)
        x = (rng.random((1, 20, batch.backend.w_in.shape[-1])) < 0.1).astype(float)
        for _ in range(before):
            batch.backend.act(x, np.array([0.5]))
            batch.backend.update(np.array([0.0]))  # no weight change
        outs.append(batch.backend.act(x, np.array([0.5])))
    np.testing.assert_array_equal(outs[0][2], outs[1][2])
    with_memory = _make_batch([replace(cfg, memory=True)], None)
    first = with_memory.backend.act(x, np.array([0.5]))[2]
    with_memory.backend.update(np.array([0.0]))
    assert not np.array_equal(first, with_memory.backend.act(x, np.array([0.5]))[2])


def test_the_recurrent_actor_learns_the_partially_observed_maze() -> None:
    """Seeing only its 4 neighbouring cells, the recurrent actor reaches the criterion and the
    feed-forward one mostly does not (20 seeds in docs/learning.md: 20/20 against 4/20)."""
    base = AgentConfig(observation="neighbours", episodes=150, decay_ratio=2.7)
    seeds = (1, 2, 3, 4)
    rec = run_agents(
        [replace(base, network="recurrent", eligibility="signed", seed=s) for s in seeds]
    )
    ff = run_agents([replace(base, seed=s) for s in seeds])
    reached_rec = sum(r.episodes_to_criterion is not None for r in rec)
    reached_ff = sum(r.episodes_to_criterion is not None for r in ff)
    assert reached_rec >= 3, [r.episodes_to_criterion for r in rec]
    assert reached_ff <= 2, [r.episodes_to_criterion for r in ff]


def test_the_u_maze_cannot_be_walked_without_memory() -> None:
    """On "u-maze" the two corridors look alike but need opposite moves. Every other cell of
    the shortest path takes its own move; in the corridors a memoryless policy can only mix
    right (q) and left: the best q reaches the cheese within 40 steps in < 60 % of episodes
    (exact, by propagating the state distribution), where the 12-step path always does."""
    from snn.maze import U_MAZE, make_task, transition_table

    layout = parse_maze(U_MAZE)
    view = neighbour_view(layout.grid)
    path = shortest_path(layout)
    table = transition_table(make_task("u-maze", max_steps=40))
    moves: dict[bytes, set[int]] = {}
    for here, there in itertools.pairwise(path):
        action = MOVES.index((there[0] - here[0], there[1] - here[1]))
        moves.setdefault(view[layout.state(here)].tobytes(), set()).add(action)
    conflicting = [seen for seen, acts in moves.items() if len(acts) > 1]
    assert len(conflicting) == 1 and moves[conflicting[0]] == {0, 2}  # left and right
    assert len(path) - 1 == 12

    def success(q: float, steps: int) -> float:
        n = len(table.next_state)
        policy = np.zeros((n, 4))
        for s in range(n):
            seen = view[s].tobytes()
            if seen == conflicting[0]:
                policy[s, 2], policy[s, 0] = q, 1 - q
            elif seen in moves:
                policy[s, next(iter(moves[seen]))] = 1.0
            else:
                policy[s] = 0.25  # off the path: never reached by these policies
        p = np.zeros(n)
        p[table.start] = 1.0
        reached = 0.0
        for _ in range(steps):
            nxt = np.zeros(n)
            for a in range(4):
                flow = p * policy[:, a]
                reached += float(flow[table.goal[:, a]].sum())
                np.add.at(nxt, table.next_state[:, a], np.where(table.terminated[:, a], 0, flow))
            p = nxt
        return reached

    best = max(success(q, 40) for q in np.linspace(0, 1, 101))
    assert 0.5 < best < 0.6
    assert success(0.55, 100) > 0.9  # with 100 steps it is only slow
