"""The maze task: map parsing, default layout, dynamics, Gymnasium API, FrozenLake parity."""

from __future__ import annotations

import itertools
import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from snn.maze import (
    DEFAULT_MAZE,
    MAZE_ID,
    MazeEnv,
    MazeError,
    MazeLayout,
    greedy_path,
    is_success,
    make_task,
    parse_maze,
    register_maze,
    shortest_path,
    task_grid,
)

LEFT, DOWN, RIGHT, UP = range(4)
CORRIDOR = """
######
#S.CT#
#.####
#T...#
######
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("###\n#SC#\n###", r"ragged rows: line 2"),
        ("#####\n#S.x#\n#C..#", r"'x' at line 2, column 4"),
        ("\n\n  #####\n  #S.C#\n  #.?.#\n", r"'\?' at line 5, column 5"),
        ("#####\n#S C#\n#####", r"' ' at line 2, column 3"),
        ("#####\n#..C#\n#####", "no start"),
        ("#####\n#S.S#\n#..C#", r"2 starts.*line 2, column 2; line 2, column 4"),
        ("#####\n#S..#\n#####", "no cheese"),
        ("\n   \n", "empty map"),
    ],
)
def test_bad_maps_are_rejected_with_their_position(text: str, message: str) -> None:
    with pytest.raises(MazeError, match=message):
        parse_maze(text)


def test_layout_built_directly_is_validated_too() -> None:
    with pytest.raises(MazeError, match="line 1, column 3"):
        MazeLayout(("S.!C",))


def test_parse_strips_blank_lines_and_indentation() -> None:
    layout = parse_maze("\n   ####\n   #SC#  \n\n   ####\n")
    assert layout.grid == ("####", "#SC#", "####")
    assert (layout.rows, layout.cols, layout.start) == (3, 4, (1, 1))


def test_default_maze_path_is_long_and_passes_traps() -> None:
    layout = parse_maze(DEFAULT_MAZE)
    path = shortest_path(layout)
    assert path[0] == layout.start
    assert layout.grid[path[-1][0]][path[-1][1]] == "C"
    (sr, sc), (cr, cc) = layout.start, layout.cells("C")[0]
    assert len(path) - 1 == abs(cr - sr) + abs(cc - sc) == 10  # 10 steps, no detour needed
    assert all(abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1 for a, b in itertools.pairwise(path))
    assert all(layout.grid[r][c] in ".SC" for r, c in path)
    near = {t for t in layout.cells("T") for r, c in path if abs(t[0] - r) + abs(t[1] - c) == 1}
    assert len(near) >= 2
    assert 6 <= layout.rows - 2 <= 7 and 6 <= layout.cols - 2 <= 7


def test_shortest_path_avoids_traps_and_fails_when_blocked() -> None:
    layout = parse_maze("#######\n#S.T.C#\n#.###.#\n#.....#\n#######")
    assert len(shortest_path(layout)) - 1 == 8  # the detour, not the 4-step route over T
    with pytest.raises(MazeError, match="reachable"):
        shortest_path(parse_maze("#####\n#S#C#\n#####"))


def test_walls_and_edges_block_but_cost_a_step() -> None:
    env = MazeEnv(CORRIDOR, step_cost=0.05)
    s0, _ = env.reset(seed=0)
    assert s0 == 1 * 6 + 1
    for action in (UP, LEFT):  # wall above and to the left of S
        s, r, term, trunc, info = env.step(action)
        assert (s, r, term, trunc, info["outcome"]) == (s0, -0.05, False, False, None)
    edge = MazeEnv("S.C")
    edge.reset()
    assert edge.step(UP)[0] == 0 and edge.step(LEFT)[0] == 0


def test_goal_and_trap_terminate_with_their_rewards() -> None:
    env = MazeEnv(CORRIDOR, reward_goal=2.0, reward_trap=-3.0)
    env.reset()
    env.step(RIGHT)
    s, r, term, trunc, info = env.step(RIGHT)
    assert (s, r, term, trunc, info["outcome"]) == (1 * 6 + 3, 2.0, True, False, "goal")
    assert is_success(float(r), term, info)
    env.reset()
    env.step(DOWN)
    s, r, term, trunc, info = env.step(DOWN)
    assert (s, r, term, trunc, info["outcome"]) == (3 * 6 + 1, -3.0, True, False, "trap")
    assert not is_success(float(r), term, info)


def test_timeout_is_gymnasiums_time_limit() -> None:
    """The maze is registered with a TimeLimit, like FrozenLake: one mechanism for both."""
    register_maze()
    assert gymnasium.registry[MAZE_ID].max_episode_steps == 100
    env = gymnasium.make(MAZE_ID, layout=CORRIDOR, max_episode_steps=5)
    assert isinstance(env, gymnasium.wrappers.TimeLimit)
    env.reset()
    for k in range(1, 6):
        _, _, term, trunc, info = env.step(UP)
        assert not term
        assert trunc == (k == 5)
        assert info["outcome"] is None  # no goal, no trap: the time limit cut it
    env.reset()
    assert not env.step(UP)[3]  # reset restarts the count
    assert make_task("maze", max_steps=7).spec.max_episode_steps == 7


def test_render_draws_the_mouse() -> None:
    env = MazeEnv(CORRIDOR, render_mode="ansi")
    env.reset()
    env.step(RIGHT)
    picture = env.render()
    assert picture is not None
    assert picture.splitlines()[1] == "#SMCT#"
    assert MazeEnv(CORRIDOR).render() is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"step_cost": -0.1}, "step_cost"),
        ({"reward_goal": float("nan")}, "reward_goal"),
        ({"reward_trap": float("inf")}, "reward_trap"),
        ({"render_mode": "human"}, "render_mode"),
    ],
)
def test_bad_settings_name_their_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(MazeError, match=field):
        MazeEnv(**kwargs)  # type: ignore[arg-type]


def test_passes_gymnasium_env_checker_without_warnings() -> None:
    register_maze()
    register_maze()  # idempotent
    assert MAZE_ID in gymnasium.registry
    env = gymnasium.make(MAZE_ID, render_mode="ansi")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)
    assert isinstance(env.unwrapped, MazeEnv)


def test_walking_the_shortest_path_reaches_the_cheese() -> None:
    env = make_task("maze", max_steps=50)
    layout = parse_maze(DEFAULT_MAZE)
    path = shortest_path(layout)
    state, _ = env.reset(seed=1)
    total = 0.0
    for (r0, c0), (r1, c1) in itertools.pairwise(path):
        action = [(0, -1), (1, 0), (0, 1), (-1, 0)].index((r1 - r0, c1 - c0))
        state, reward, term, trunc, info = env.step(action)
        total += float(reward)
        assert state == r1 * layout.cols + c1
    assert term and not trunc and is_success(float(reward), term, info)
    assert total == pytest.approx(1.0 - 0.01 * (len(path) - 2))
    assert task_grid(env) == layout.grid


def test_frozenlake_task_reaches_goal_with_known_actions() -> None:
    env = make_task("frozenlake", max_steps=20)
    env.reset(seed=0)
    for action in [DOWN, DOWN, RIGHT, RIGHT, DOWN, RIGHT]:
        state, reward, term, trunc, info = env.step(action)
    assert state == 15 and term and not trunc
    assert is_success(float(reward), term, info)
    env.reset(seed=0)
    state, reward, term, _, info = env.step(RIGHT)
    state, reward, term, _, info = env.step(DOWN)  # into the hole at (1, 1)
    assert term and not is_success(float(reward), term, info)


def test_frozenlake_grid_in_maze_characters() -> None:
    grid = task_grid(make_task("frozenlake"))
    assert grid == ("S...", ".T.T", "...T", "T..C")
    assert grid[3][3] == "C"
    assert {(r, c) for r, row in enumerate(grid) for c, ch in enumerate(row) if ch == "T"} == {
        (1, 1),
        (1, 3),
        (2, 3),
        (3, 0),
    }


def test_frozenlake_truncates_at_max_steps() -> None:
    env = make_task("frozenlake", max_steps=3)
    env.reset(seed=0)
    truncs = [env.step(UP)[3] for _ in range(3)]
    assert truncs == [False, False, True]


def test_unknown_task_lists_the_valid_names() -> None:
    with pytest.raises(MazeError, match="frozenlake, maze"):
        make_task("cartpole")


def test_greedy_path_follows_policy_and_stops_at_loops_and_ends() -> None:
    grid = parse_maze(CORRIDOR).grid
    policy = np.full(len(grid) * len(grid[0]), UP)
    policy[1 * 6 + 1] = RIGHT
    policy[1 * 6 + 2] = RIGHT
    assert greedy_path(grid, policy, (1, 1)) == [(1, 1), (1, 2), (1, 3)]
    policy[1 * 6 + 2] = LEFT  # ping-pong between two cells
    assert greedy_path(grid, policy, (1, 1)) == [(1, 1), (1, 2)]
    policy[1 * 6 + 1] = UP  # wall bump
    assert greedy_path(grid, policy, (1, 1)) == [(1, 1)]
    policy[1 * 6 + 1] = DOWN
    policy[2 * 6 + 1] = DOWN
    assert greedy_path(grid, policy, (1, 1)) == [(1, 1), (2, 1), (3, 1)]  # trap ends it
    with pytest.raises(MazeError, match="policy"):
        greedy_path(grid, policy[:-1], (1, 1))
