"""Benchmark: compact model (model card) vs FE transient solve of the same pulse train.

Default device, centre heater driven by 1000 hold intervals of dt = 1 ns (100 uW pulses of
5 ns every 20 ns, the eligibility phase), every filament observed. FE: backward Euler with
10 sub-steps per interval (one MUMPS factorisation, 10,000 solves). Compact: the card's
shared-pole Foster network, exact zero-order hold, the whole window at once.

    .venv/bin/python tests/benchmarks/bench_compact.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from mpi4py import MPI

import numpy as np

from devicefit.card import read_card
from devicefit.stage import run_fit
from meshes.cells import array_cells, centre_cell
from meshes.device import build_device
from meshes.info import read_device
from meshes.spec import LENGTH_UNIT_M, default_spec
from thermal.config import material_table
from thermal.fe import Domain, assemble_heat_system, read_device_mesh
from thermal.stage import run_thermal
from thermal.transient import fe_transient, zero_order_hold


def main() -> None:
    n, dt, sub = 1000, 1e-9, 10
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "dev"
        build_device(default_spec(), out, picture=False)
        run_thermal(out, plots=False, progress=False)
        run_fit(out, plots=False)
        card = read_card(out / "model_card.json")
        device = read_device(out)
        mesh, cells, facets, groups = read_device_mesh(device.msh, LENGTH_UNIT_M, MPI.COMM_WORLD)
    domain = Domain(mesh, cells, facets, groups, material_table(device.groups, {}))
    array = array_cells(device.spec.array.rows, device.spec.array.cols)
    heaters, probes = [c.heater for c in array], [c.reram for c in array]
    centre = array.index(centre_cell(device.spec.array.rows, device.spec.array.cols))
    power = np.zeros((n, len(heaters)))
    power[(np.arange(n) % 20) < 5, centre] = 1e-4

    net = card.thermal.network
    repeats = 20
    start = time.perf_counter()
    for _ in range(repeats):
        compact = net.respond(power, dt)
    t_compact = (time.perf_counter() - start) / repeats

    system = assemble_heat_system(domain, heaters, probes)
    start = time.perf_counter()
    steps = np.full(n * sub, dt / sub)
    _, fe = fe_transient(system, steps, zero_order_hold(power, dt))
    t_fe = time.perf_counter() - start
    fe = fe[sub::sub]
    peak = np.abs(fe[:, centre]).max()
    err = np.abs(compact - fe).max() / peak
    print(
        f"pulse train: {n} intervals of {dt:g} s, {len(net.tau_s)}-pole card, "
        f"{system.space.dofmap.index_map.size_global} FE dofs"
    )
    print(f"FE backward Euler ({sub} sub-steps/interval): {t_fe:8.2f} s")
    print(f"compact model (exact ZOH, all probes):       {t_compact * 1e3:8.3f} ms")
    print(
        f"speed-up {t_fe / t_compact:.3g}x; max |T_compact - T_FE| / peak self rise = {err:.2e} "
        f"(peak {peak:.1f} K)"
    )


if __name__ == "__main__":
    main()
