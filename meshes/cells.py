"""The cells of an array: one home for their group names, their (row, col) and the centre.

Cell (row i, column j) owns the volume groups ``heater_r{i}_c{j}`` and ``reram_r{i}_c{j}``;
cells are listed row-major (row 0 at the most negative y, column 0 at the most negative x).
The **centre cell** is (rows // 2, cols // 2): the middle cell of an odd size, the cell just
past the middle of an even one. Every stage that picks "the" cell (thermal's field output,
the card's derived figures, snn's translation-invariant kernel) uses ``centre_cell``.

>>> centre_cell(3, 3), centre_cell(2, 2)
(Cell(row=1, col=1), Cell(row=1, col=1))
>>> cell_of("reram_r0_c2").heater
'heater_r0_c2'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from meshes.files import StageError

_NAME = re.compile(r"^(heater|reram)_r(\d+)_c(\d+)$")


@dataclass(frozen=True, order=True)
class Cell:
    """One cell of the array by its (row, col)."""

    row: int
    col: int

    @property
    def heater(self) -> str:
        """Name of its heater's volume group."""
        return f"heater_r{self.row}_c{self.col}"

    @property
    def reram(self) -> str:
        """Name of its filament's (the probe's) volume group."""
        return f"reram_r{self.row}_c{self.col}"

    def moved(self, d_row: int, d_col: int) -> Cell:
        """The cell ``d_row`` rows and ``d_col`` columns away (it may lie outside the array)."""
        return Cell(self.row + d_row, self.col + d_col)


def array_cells(rows: int, cols: int) -> list[Cell]:
    """Every cell of a rows x cols array, row-major."""
    return [Cell(i, j) for i in range(rows) for j in range(cols)]


def centre_cell(rows: int, cols: int) -> Cell:
    """(rows // 2, cols // 2): see the module docstring."""
    return Cell(rows // 2, cols // 2)


def cell_of(name: str, error: type[StageError] = StageError) -> Cell:
    """The cell of a group name ``heater_r{i}_c{j}`` or ``reram_r{i}_c{j}``."""
    match = _NAME.match(name)
    if match is None:
        raise error(f"group name {name!r} is not heater_r<i>_c<j> or reram_r<i>_c<j>")
    return Cell(int(match.group(2)), int(match.group(3)))


def inside(cell: Cell, rows: int, cols: int) -> bool:
    """Whether ``cell`` lies in a rows x cols array."""
    return 0 <= cell.row < rows and 0 <= cell.col < cols


def reference_neighbours(rows: int, cols: int) -> tuple[Cell, Cell | None, Cell | None]:
    """The centre cell, a nearest neighbour and a diagonal neighbour of it (None where the
    array has none): the first that exists of (0, +1), (0, -1), (+1, 0), (-1, 0) and of
    (-1, -1), (-1, +1), (+1, -1), (+1, +1). By symmetry any of them gives the same figures
    in an array symmetric about its centre cell; the x and y neighbours differ when the cell
    is not square-symmetric (a 100 x 40 nm heater, lines along x: ``column_neighbour``)."""
    centre = centre_cell(rows, cols)

    def first(offsets: tuple[tuple[int, int], ...]) -> Cell | None:
        cells = [centre.moved(*o) for o in offsets]
        return next((c for c in cells if inside(c, rows, cols)), None)

    nearest = first(((0, 1), (0, -1), (1, 0), (-1, 0)))
    diagonal = first(((-1, -1), (-1, 1), (1, -1), (1, 1)))
    return centre, nearest, diagonal


def column_neighbour(rows: int, cols: int) -> Cell | None:
    """The centre cell's nearest neighbour along y (the next row): (+1, 0), else (-1, 0)."""
    centre = centre_cell(rows, cols)
    cells = [centre.moved(1, 0), centre.moved(-1, 0)]
    return next((c for c in cells if inside(c, rows, cols)), None)


def neighbour_kind(d_row: int, d_col: int) -> str:
    """ "self", "nearest", "diagonal" or "further" for a cell offset."""
    if d_row == d_col == 0:
        return "self"
    if abs(d_row) + abs(d_col) == 1:
        return "nearest"
    if abs(d_row) == abs(d_col) == 1:
        return "diagonal"
    return "further"
