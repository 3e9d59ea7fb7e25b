"""Small helpers shared by thermal tests."""

from __future__ import annotations

from pathlib import Path

from mpi4py import MPI

import numpy as np

from meshes.cells import array_cells
from meshes.device import build_device
from meshes.info import read_device
from meshes.spec import LENGTH_UNIT_M, DeviceSpec
from thermal.config import material_table
from thermal.fe import Domain, assemble_heat_system, read_device_mesh, steady_state


def steady_r(spec: DeviceSpec, out: Path) -> np.ndarray:
    """Mesh ``spec`` into ``out`` and return the exact steady R[probe, heater] [K/W]."""
    build_device(spec, out, picture=False)
    device = read_device(out)
    mesh, cells, facets, groups = read_device_mesh(device.msh, LENGTH_UNIT_M, MPI.COMM_WORLD)
    domain = Domain(mesh, cells, facets, groups, material_table(device.groups, {}))
    array = array_cells(spec.array.rows, spec.array.cols)
    system = assemble_heat_system(domain, [c.heater for c in array], [c.reram for c in array])
    r, _, _ = steady_state(system)
    return r
