"""Grid tasks for the spiking agent: a "mouse and cheese" maze and Gymnasium's FrozenLake.

A maze is a text map, one row a line: ``#`` wall, ``.`` free, ``S`` start (exactly one),
``C`` cheese (goal, at least one), ``T`` trap (any number). The mouse moves one cell per step
with FrozenLake's actions (0 left, 1 down, 2 right, 3 up) and the same state encoding,
s = row * cols + col, so one agent runs both tasks. Rewards per step:

    r = reward_goal    entering C   (terminated)
    r = reward_trap    entering T   (terminated)
    r = -step_cost     otherwise

Episodes are cut by Gymnasium's own ``TimeLimit`` (``max_episode_steps`` at registration and
in ``make_task``), the same mechanism as for FrozenLake: one time limit for every task.

Bumping into a wall or the edge leaves the mouse where it is and still costs the step.

>>> layout = parse_maze('''
... #####
... #S.C#
... #####
... ''')
>>> layout.rows, layout.cols, layout.start
(3, 5, (1, 1))
>>> shortest_path(layout)
[(1, 1), (1, 2), (1, 3)]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, SupportsFloat

import gymnasium
import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from meshes.files import StageError

Cell = tuple[int, int]

MAZE_ID = "neohebb/Maze-v0"
MAZE_CHARS = "#.SCT"
# FrozenLake's action meanings: (d_row, d_col) for 0 left, 1 down, 2 right, 3 up
MOVES: tuple[Cell, ...] = ((0, -1), (1, 0), (0, 1), (-1, 0))
OUTCOMES = ("goal", "trap")
DEFAULT_MAX_STEPS = 100

DEFAULT_MAZE = """
########
#S.....#
#.##.#.#
#.#T...#
#...#T.#
#.#....#
#...#.C#
########
"""


# a U-shaped corridor: right along the top, down, left along the bottom. Seen from the
# neighbouring cells the two corridors look alike but need opposite moves, so a policy of
# the view alone cannot walk it (task "u-maze"; the best such policy, right with probability
# 0.55 in the corridors, succeeds in 57 % of 40-step episodes: tests/snn/test_recurrent.py)
U_MAZE = """
########
#S.....#
######.#
#C.....#
########
"""


class MazeError(StageError):
    """A maze map, task name or environment setting is invalid; the message names it."""


@dataclass(frozen=True)
class MazeLayout:
    """A validated rectangular maze map: ``grid[row][col]`` is one of ``#.SCT``."""

    grid: tuple[str, ...]

    def __post_init__(self) -> None:
        _check_grid(self.grid, tuple(range(1, len(self.grid) + 1)), (0,) * len(self.grid))

    @property
    def rows(self) -> int:
        return len(self.grid)

    @property
    def cols(self) -> int:
        return len(self.grid[0])

    @property
    def start(self) -> Cell:
        """(row, col) of ``S``."""
        return self.cells("S")[0]

    def cells(self, char: str) -> list[Cell]:
        """All (row, col) holding ``char``, row-major."""
        return [(r, c) for r, row in enumerate(self.grid) for c, ch in enumerate(row) if ch == char]

    def state(self, cell: Cell) -> int:
        """Discrete state of a cell, row * cols + col (FrozenLake's encoding)."""
        return cell[0] * self.cols + cell[1]


def parse_maze(text: str) -> MazeLayout:
    """The layout of a text map; blank lines and whitespace around each row are dropped.

    Errors name the 1-based line and column of the offending character in ``text``.
    """
    rows: list[str] = []
    lines: list[int] = []
    offsets: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        row = line.strip()
        if row:
            rows.append(row)
            lines.append(number)
            offsets.append(len(line) - len(line.lstrip()))
    _check_grid(tuple(rows), tuple(lines), tuple(offsets))
    return MazeLayout(tuple(rows))


def _check_grid(rows: tuple[str, ...], lines: tuple[int, ...], offsets: tuple[int, ...]) -> None:
    """Raise MazeError for an empty, ragged or malformed map (positions as given)."""
    if not rows:
        raise MazeError("maze: empty map (no rows)")
    for row, line, off in zip(rows, lines, offsets, strict=True):
        if len(row) != len(rows[0]):
            raise MazeError(
                f"maze: ragged rows: line {line} has {len(row)} columns, "
                f"line {lines[0]} has {len(rows[0])}"
            )
        for c, ch in enumerate(row):
            if ch not in MAZE_CHARS:
                raise MazeError(
                    f"maze: bad character {ch!r} at line {line}, column {off + c + 1} "
                    f"(allowed: {' '.join(MAZE_CHARS)})"
                )
    where = {
        ch: [
            f"line {line}, column {off + c + 1}"
            for row, line, off in zip(rows, lines, offsets, strict=True)
            for c, x in enumerate(row)
            if x == ch
        ]
        for ch in "SC"
    }
    if not where["S"]:
        raise MazeError("maze: no start 'S'")
    if len(where["S"]) > 1:
        raise MazeError(f"maze: {len(where['S'])} starts 'S' ({'; '.join(where['S'])}), need one")
    if not where["C"]:
        raise MazeError("maze: no cheese 'C'")


def _neighbour(grid: tuple[str, ...], cell: Cell, action: int) -> Cell:
    """The cell after ``action``: unchanged when the move hits a wall or leaves the grid."""
    r, c = cell[0] + MOVES[action][0], cell[1] + MOVES[action][1]
    if 0 <= r < len(grid) and 0 <= c < len(grid[0]) and grid[r][c] != "#":
        return (r, c)
    return cell


def shortest_path(layout: MazeLayout) -> list[Cell]:
    """Cells from the start to the nearest cheese, inclusive, by BFS around walls and traps."""
    start = layout.start
    parent: dict[Cell, Cell | None] = {start: None}
    queue = deque([start])
    while queue:
        cell = queue.popleft()
        if layout.grid[cell[0]][cell[1]] == "C":
            path = [cell]
            while (prev := parent[path[-1]]) is not None:
                path.append(prev)
            return path[::-1]
        for action in range(len(MOVES)):
            nxt = _neighbour(layout.grid, cell, action)
            if nxt not in parent and layout.grid[nxt[0]][nxt[1]] != "T":
                parent[nxt] = cell
                queue.append(nxt)
    raise MazeError("maze: no cheese 'C' reachable from the start without crossing a trap")


def greedy_path(grid: tuple[str, ...], policy: NDArray[np.integer[Any]], start: Cell) -> list[Cell]:
    """Cells visited following ``policy`` [rows * cols] (actions) from ``start``.

    Stops after entering ``C`` or ``T``, or before revisiting a cell (a loop or a wall bump).
    """
    rows, cols = len(grid), len(grid[0])
    policy = np.asarray(policy)
    if policy.shape != (rows * cols,):
        raise MazeError(f"policy: shape {policy.shape}, need ({rows * cols},) = rows * cols")
    if np.any((policy < 0) | (policy >= len(MOVES))):
        raise MazeError(f"policy: actions must lie in 0..{len(MOVES) - 1}")
    path = [start]
    seen = {start}
    while grid[path[-1][0]][path[-1][1]] not in "CT":
        r, c = path[-1]
        nxt = _neighbour(grid, (r, c), int(policy[r * cols + c]))
        if nxt in seen:
            break
        path.append(nxt)
        seen.add(nxt)
    return path


class MazeEnv(gymnasium.Env[Any, Any]):
    """The mouse-and-cheese maze as a Gymnasium environment (deterministic moves)."""

    metadata: dict[str, Any] = {"render_modes": ["ansi"], "render_fps": 4}  # noqa: RUF012

    def __init__(
        self,
        layout: MazeLayout | str = DEFAULT_MAZE,
        *,
        reward_goal: float = 1.0,
        reward_trap: float = -1.0,
        step_cost: float = 0.01,
        render_mode: str | None = None,
    ) -> None:
        self.layout = parse_maze(layout) if isinstance(layout, str) else layout
        for name, value in (("reward_goal", reward_goal), ("reward_trap", reward_trap)):
            if not np.isfinite(value):
                raise MazeError(f"{name}: must be finite, got {value}")
        if not (np.isfinite(step_cost) and step_cost >= 0):
            raise MazeError(f"step_cost: must be finite and >= 0, got {step_cost}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise MazeError(
                f"render_mode: {render_mode!r} not supported (allowed: None, "
                f"{', '.join(self.metadata['render_modes'])})"
            )
        self.reward_goal = float(reward_goal)
        self.reward_trap = float(reward_trap)
        self.step_cost = float(step_cost)
        self.render_mode = render_mode
        self.observation_space = spaces.Discrete(self.layout.rows * self.layout.cols)
        self.action_space = spaces.Discrete(len(MOVES))
        self.cell: Cell = self.layout.start

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Mouse back at ``S``; moves are deterministic, so ``seed`` only seeds ``np_random``."""
        super().reset(seed=seed)
        self.cell = self.layout.start
        return self.layout.state(self.cell), {"outcome": None}

    def step(self, action: int) -> tuple[int, SupportsFloat, bool, bool, dict[str, Any]]:
        """One move; info["outcome"] is "goal", "trap" or None (still running; a time-out is
        the TimeLimit wrapper's truncation)."""
        if not self.action_space.contains(action):
            raise MazeError(f"action: {action!r} not in 0..{len(MOVES) - 1}")
        self.cell = _neighbour(self.layout.grid, self.cell, int(action))
        ch = self.layout.grid[self.cell[0]][self.cell[1]]
        outcome: str | None = None
        if ch == "C":
            reward, terminated, outcome = self.reward_goal, True, "goal"
        elif ch == "T":
            reward, terminated, outcome = self.reward_trap, True, "trap"
        else:
            reward, terminated = -self.step_cost, False
        return self.layout.state(self.cell), reward, terminated, False, {"outcome": outcome}

    def render(self) -> str | None:  # type: ignore[override]
        """With render_mode "ansi": the map with the mouse drawn as ``M``."""
        if self.render_mode != "ansi":
            return None
        rows = [list(row) for row in self.layout.grid]
        rows[self.cell[0]][self.cell[1]] = "M"
        return "\n".join("".join(row) for row in rows) + "\n"


def register_maze() -> None:
    """Register ``neohebb/Maze-v0`` with Gymnasium (kwargs go to MazeEnv; a TimeLimit of
    ``DEFAULT_MAX_STEPS``); safe to repeat."""
    if MAZE_ID not in gymnasium.registry:
        gymnasium.register(
            id=MAZE_ID, entry_point="snn.maze:MazeEnv", max_episode_steps=DEFAULT_MAX_STEPS
        )


def _make_maze(max_steps: int) -> gymnasium.Env[Any, Any]:
    register_maze()
    return gymnasium.make(MAZE_ID, max_episode_steps=max_steps)


def _make_u_maze(max_steps: int) -> gymnasium.Env[Any, Any]:
    register_maze()
    return gymnasium.make(MAZE_ID, max_episode_steps=max_steps, layout=U_MAZE)


def _make_frozenlake(max_steps: int) -> gymnasium.Env[Any, Any]:
    return gymnasium.make(
        "FrozenLake-v1", map_name="4x4", is_slippery=False, max_episode_steps=max_steps
    )


TASKS: dict[str, Callable[[int], gymnasium.Env[Any, Any]]] = {
    "maze": _make_maze,
    "u-maze": _make_u_maze,
    "frozenlake": _make_frozenlake,
}


def make_task(name: str, *, max_steps: int = 100) -> gymnasium.Env[Any, Any]:
    """A fresh environment for task ``name`` ("maze": DEFAULT_MAZE, "u-maze": U_MAZE,
    "frozenlake": 4x4, not slippery), episodes cut after ``max_steps`` steps."""
    if name not in TASKS:
        raise MazeError(f"task: unknown {name!r} (valid: {', '.join(sorted(TASKS))})")
    if isinstance(max_steps, bool) or int(max_steps) != max_steps or max_steps < 1:
        raise MazeError(f"max_steps: must be an integer >= 1, got {max_steps}")
    return TASKS[name](int(max_steps))


FROZENLAKE_CHARS = {"F": ".", "S": "S", "H": "T", "G": "C"}


def task_grid(env: gymnasium.Env[Any, Any]) -> tuple[str, ...]:
    """The task's map in maze characters (FrozenLake: F -> '.', H -> 'T', G -> 'C')."""
    base = env.unwrapped
    if isinstance(base, MazeEnv):
        return base.layout.grid
    desc = getattr(base, "desc", None)
    if desc is None:
        raise MazeError(
            f"env: {type(base).__name__} is neither a MazeEnv nor has a FrozenLake desc"
        )
    rows = []
    for row in np.asarray(desc):
        chars = [x.decode() if isinstance(x, bytes) else str(x) for x in row]
        unknown = sorted(set(chars) - set(FROZENLAKE_CHARS))
        if unknown:
            raise MazeError(f"env.desc: unknown FrozenLake characters {unknown}")
        rows.append("".join(FROZENLAKE_CHARS[x] for x in chars))
    return tuple(rows)


VIEW_KINDS = ("wall", "free", "trap", "cheese")  # what a neighbouring cell can hold
_VIEW_KIND = {"#": 0, ".": 1, "S": 1, "T": 2, "C": 3}


def neighbour_view(grid: tuple[str, ...]) -> NDArray[np.bool_]:
    """What the mouse sees of every state in a partially observed task: the 4 neighbouring
    cells (in ``MOVES`` order: left, down, right, up), each one-hot over ``VIEW_KINDS``
    (outside the grid is a wall; the start is free). [n_states, 4 * len(VIEW_KINDS)],
    direction-major. Cells that look alike can be told apart only by memory; whether a task
    needs that depends on the map (on the default one, the cells of its shortest path that
    look alike need the same move).

    >>> v = neighbour_view(("#####", "#S.C#", "#####"))
    >>> v[6].reshape(4, 4).argmax(1).tolist()  # (1, 1): wall left, below, free right, wall up
    [0, 0, 1, 0]
    """
    rows, cols = len(grid), len(grid[0])
    out = np.zeros((rows * cols, len(MOVES), len(VIEW_KINDS)), bool)
    for r in range(rows):
        for c in range(cols):
            for d, (dr, dc) in enumerate(MOVES):
                rr, cc = r + dr, c + dc
                inside = 0 <= rr < rows and 0 <= cc < cols
                out[r * cols + c, d, _VIEW_KIND[grid[rr][cc]] if inside else 0] = True
    return out.reshape(rows * cols, -1)


@dataclass(frozen=True)
class TransitionTable:
    """A deterministic grid task as arrays, [n_states, n_actions]: the next state, the reward,
    whether the step terminates the episode and whether it ends at a goal, and the start
    state. Steps a whole batch of agents at once (``step``); the same transitions as the
    Gymnasium environment it was read from (``transition_table``)."""

    next_state: NDArray[np.int64]
    reward: NDArray[np.float64]
    terminated: NDArray[np.bool_]
    goal: NDArray[np.bool_]
    start: int

    def step(
        self, states: NDArray[np.int64], actions: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_]]:
        """Every agent's move at once: (next states, rewards, terminated, reached a goal)."""
        return (
            self.next_state[states, actions],
            self.reward[states, actions],
            self.terminated[states, actions],
            self.goal[states, actions],
        )


def transition_table(env: gymnasium.Env[Any, Any]) -> TransitionTable:
    """The transitions of a ``MazeEnv`` or of a non-slippery FrozenLake, read from the
    environment (every free cell and action stepped; FrozenLake's own table ``P``). A wall
    cell, never entered, stays put."""
    base = env.unwrapped
    n_s, n_a = int(base.observation_space.n), int(base.action_space.n)  # type: ignore[attr-defined]
    nxt = np.tile(np.arange(n_s)[:, None], (1, n_a))
    reward, term, goal = (
        np.zeros((n_s, n_a)),
        np.zeros((n_s, n_a), bool),
        np.zeros((n_s, n_a), bool),
    )
    if isinstance(base, MazeEnv):
        layout = base.layout
        for r, row in enumerate(layout.grid):
            for c, ch in enumerate(row):
                if ch == "#":
                    continue
                for a in range(n_a):
                    base.cell = (r, c)
                    state, rew, terminated, _, info = base.step(a)
                    s = layout.state((r, c))
                    nxt[s, a], reward[s, a], term[s, a] = state, float(rew), terminated
                    goal[s, a] = is_success(float(rew), terminated, info)
        base.cell = layout.start
        return TransitionTable(nxt, reward, term, goal, layout.state(layout.start))
    table = getattr(base, "P", None)
    if table is None:
        raise MazeError(f"env: {type(base).__name__} has no transition table to batch")
    for s in range(n_s):
        for a in range(n_a):
            outcomes = table[s][a]
            if len(outcomes) != 1 or outcomes[0][0] != 1.0:
                raise MazeError("env: a slippery (stochastic) task cannot be batched")
            _, state, rew, terminated = outcomes[0]
            nxt[s, a], reward[s, a], term[s, a] = state, float(rew), terminated
            goal[s, a] = is_success(float(rew), terminated, {})
    start, _ = env.reset(seed=0)
    return TransitionTable(nxt, reward, term, goal, int(start))


def is_success(reward: float, terminated: bool, info: dict[str, Any]) -> bool:
    """Whether the step ended the episode at a goal (MazeEnv: outcome "goal"; FrozenLake:
    terminated with reward > 0)."""
    if "outcome" in info:
        return info["outcome"] == "goal"
    return bool(terminated) and reward > 0
