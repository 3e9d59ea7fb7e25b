"""Thermal boundary (Kapitza) resistance: the temperature jump across the faces between films.

Across an interface between materials A and B of resistance R_AB [m^2 K/W] the normal heat flux
is continuous and the temperature jumps by it times R_AB (Swartz & Pohl, Rev. Mod. Phys. 61,
605 (1989)):

    -k_A dtheta_A/dn = (theta_A - theta_B) / R_AB   on the interface (n from A into B).

Weak form: each side keeps its own field and every interface adds the energy of its jump,

    sum_m int_m k grad(theta).grad(v) dx + sum_AB int_AB (theta_A - theta_B)(v_A - v_B) / R_AB ds.

Discretisation: the Lagrange space of the whole mesh, split. A dof on an interface with R > 0
gets one copy per side (materials that meet in perfect contact share a copy); each material's
stiffness, mass, loads and probes act on its own copies, and the interface term couples the
copies through the facet mass matrix of the interface. With the lumped volume mass (P1) the
facet mass is row-sum lumped too, so the jump acts node by node and K stays an M-matrix. With
every R = 0 the split is empty and this is the continuous system.

Serial, like the periodic restriction, and composed with it: dofs are identified across the
periodic walls first, then split. Validated against the two-layer slab with an interface jump
(tests/thermal/test_interfaces.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import dolfinx
import dolfinx.fem.petsc
import numpy as np
import scipy.sparse as sp
import ufl
from dolfinx import fem
from petsc4py import PETSc

from meshes.materials import Material
from meshes.spec import interface_pair
from thermal.config import ThermalError


@dataclass
class SplitOperators:
    """The heat system on split dofs (``thermal.fe.HeatSystem`` takes these)."""

    stiffness: PETSc.Mat
    mass: PETSc.Mat
    loads: list[PETSc.Vec]
    probes: list[PETSc.Vec]
    to_full: PETSc.Mat
    """[mesh dofs x split dofs]: a mesh dof's value is the mean of its copies (for fields)."""
    interface_area_m2: dict[str, float]
    """Area of each interface "A/B" with R > 0 found in the mesh."""
    side_dofs: dict[str, np.ndarray]
    """Material name -> the split dof of every mesh dof on that material's side (-1 where the
    material is absent): a field's values as seen from inside one material (the heater's
    hottest point, say), where ``to_full`` averages the sides of an interface."""


def active_pairs(
    resistances: dict[frozenset[str], float], present: set[str]
) -> dict[frozenset[str], float]:
    """The pairs with R > 0 whose two materials are both in the mesh."""
    return {p: r for p, r in resistances.items() if r > 0 and p <= present}


def pair_name(pair: frozenset[str]) -> str:
    return "/".join(sorted(pair))


def check_interfaces(table: dict[str, float], area_m2: dict[str, float], error: type) -> None:
    """Refuse an ``interfaces`` entry with R > 0 whose two materials never touch in the mesh
    (a typo, or a pair of a material the design replaced, would otherwise pass silently)."""
    for key, r in table.items():
        name = pair_name(interface_pair(key))
        if r > 0 and area_m2.get(name, 0.0) <= 0.0:
            raise error(
                f"interfaces.{key}: no face of the mesh has these two materials on its two "
                f"sides (interfaces found: {', '.join(sorted(area_m2)) or 'none'})"
            )


def split_operators(
    space: fem.FunctionSpace,
    cell_tags: dolfinx.mesh.MeshTags,
    facet_tags: dolfinx.mesh.MeshTags,
    groups: dict[str, tuple[int, int]],
    materials: dict[str, Material],
    resistances: dict[frozenset[str], float],
    *,
    coefficients: dict[str, fem.Function],
    h_top_w_per_m2k: float,
    lumped_mass: bool,
    sink_dofs: np.ndarray,
    functionals: dict[str, np.ndarray],
    loads: list[str],
    probes: list[str],
    columns: np.ndarray | None,
) -> SplitOperators:
    """Assemble K, M, loads and probes on split dofs (collective on one rank only).

    ``coefficients``: the DG0 ``k_w_per_m_k``, ``rho_kg_per_m3``, ``cp_j_per_kg_k``;
    ``functionals``: group name -> its assembled load/probe vector on the mesh dofs (no
    boundary condition applied); ``columns``: the periodic identification (mesh dof ->
    independent dof), None for none.
    """
    mesh = space.mesh
    if mesh.comm.size > 1:
        raise ThermalError(
            "interfaces: thermal boundary resistances are solved serially (run without mpiexec)"
        )
    tdim = mesh.topology.dim
    n_cells = mesh.topology.index_map(tdim).size_local
    n_dofs = space.dofmap.index_map.size_local
    col = np.arange(n_dofs) if columns is None else np.asarray(columns)
    n_ind = int(col.max()) + 1

    names = sorted({m.name for m in materials.values()})
    cell_material = np.full(n_cells, -1)
    for group, material in materials.items():
        cell_material[cell_tags.find(groups[group][1])] = names.index(material.name)
    if (cell_material < 0).any():
        raise ThermalError("cells without a material: every volume group needs one")
    pairs = active_pairs(resistances, set(names))

    dofs = space.dofmap.list[:n_cells]
    n_mat = len(names)
    present = np.zeros((n_mat, n_ind), dtype=bool)
    present[np.broadcast_to(cell_material[:, None], dofs.shape), col[dofs]] = True

    copy = _copies(present, names, pairs)
    n_split = int(copy.max()) + 1

    # --- volume terms, one material at a time (same compiled forms, indicator swapped) ---
    indicator = fem.Function(coefficients["k_w_per_m_k"].function_space)
    u, v = ufl.TrialFunction(space), ufl.TestFunction(space)
    dx = ufl.Measure("dx", domain=mesh)
    ds = ufl.Measure("ds", domain=mesh, subdomain_data=facet_tags)
    k, rho, cp = (coefficients[n] for n in ("k_w_per_m_k", "rho_kg_per_m3", "cp_j_per_kg_k"))
    stiffness_ufl = indicator * k * ufl.inner(ufl.grad(u), ufl.grad(v)) * dx
    if h_top_w_per_m2k > 0:
        h = fem.Constant(mesh, dolfinx.default_scalar_type(h_top_w_per_m2k))
        stiffness_ufl += indicator * h * u * v * ds(groups["top"][1])
    stiffness_form = fem.form(stiffness_ufl)
    mass_form = fem.form(indicator * rho * cp * u * v * dx)

    k_parts, m_parts = [], []
    for m in range(n_mat):
        indicator.x.array[:] = 0.0
        indicator.x.array[:n_cells][cell_material == m] = 1.0
        indicator.x.scatter_forward()
        keep = present[m]
        k_parts.append(_mapped(_assembled(stiffness_form), col, copy[m], keep, n_split))
        mass = _mapped(_assembled(mass_form), col, copy[m], keep, n_split)
        if lumped_mass:
            sums = np.asarray(mass.sum(axis=1)).ravel()
            mass = sp.coo_matrix((sums, (np.arange(n_split), np.arange(n_split))), (n_split,) * 2)
        m_parts.append(mass)

    # --- interface terms: (theta_A - theta_B)(v_A - v_B) / R over each interface ---
    interface_tags = _interface_facets(mesh, cell_material, names, pairs)
    areas: dict[str, float] = {}
    if pairs:
        dS = ufl.Measure("dS", domain=mesh, subdomain_data=interface_tags)
        one = fem.Constant(mesh, dolfinx.default_scalar_type(1.0))
        for tag, (pair, r) in enumerate(pairs.items(), start=1):
            a, b = (names.index(n) for n in sorted(pair))
            facet_mass = _assembled(fem.form(u("+") * v("+") * dS(tag)))
            if lumped_mass:
                sums = np.asarray(facet_mass.sum(axis=1)).ravel()
                facet_mass = sp.diags(sums).tocoo()
            rows, cols, vals = facet_mass.row, facet_mass.col, facet_mass.data / r
            ok = present[a][col[rows]] & present[b][col[rows]]
            ok &= present[a][col[cols]] & present[b][col[cols]]
            rows, cols, vals = rows[ok], cols[ok], vals[ok]
            ra, ca = copy[a][col[rows]], copy[a][col[cols]]
            rb, cb = copy[b][col[rows]], copy[b][col[cols]]
            k_parts.append(
                sp.coo_matrix(
                    (
                        np.concatenate([vals, vals, -vals, -vals]),
                        (np.concatenate([ra, rb, ra, rb]), np.concatenate([ca, cb, cb, ca])),
                    ),
                    (n_split,) * 2,
                )
            )
            area = fem.assemble_scalar(fem.form(one * dS(tag)))
            areas[pair_name(pair)] = float(np.real(area))

    stiffness = _summed(k_parts, n_split)
    # M on K's pattern (explicit zeros), so K + s M and M + dt K keep one pattern
    pattern = stiffness.tocoo()
    zeros = sp.coo_matrix((np.zeros(pattern.nnz), (pattern.row, pattern.col)), pattern.shape)
    mass = _summed([zeros, *m_parts], n_split)
    assert mass.nnz == stiffness.nnz, "the mass matrix leaves the stiffness pattern"

    # heatsink: every copy of a heatsink dof is eliminated (unit diagonal in K, zero in M)
    at_sink = col[sink_dofs]
    sink = np.unique(np.concatenate([copy[m][at_sink][present[m][at_sink]] for m in range(n_mat)]))
    _eliminate(stiffness, sink, 1.0)
    _eliminate(mass, sink, 0.0)

    def split_vector(group: str) -> PETSc.Vec:
        values = functionals[group]
        m = names.index(materials[group].name)
        nz = np.flatnonzero(values)
        out = np.zeros(n_split)
        np.add.at(out, copy[m][col[nz]], values[nz])
        out[sink] = 0.0
        return PETSc.Vec().createWithArray(out, comm=PETSc.COMM_SELF)  # type: ignore[arg-type]

    return SplitOperators(
        _petsc(stiffness),
        _petsc(mass),
        [split_vector(g) for g in loads],
        [split_vector(g) for g in probes],
        _petsc(_mean_of_copies(copy, present, col, n_split)),
        areas,
        {name: np.where(present[m][col], copy[m][col], -1) for m, name in enumerate(names)},
    )


def _copies(
    present: np.ndarray, names: list[str], pairs: dict[frozenset[str], float]
) -> np.ndarray:
    """copy[m, j]: the split dof of independent dof j on material m's side (-1: m not at j).

    Materials at a dof share a copy when joined by a chain of perfect contacts (pairs not in
    ``pairs``); the copy holding the dof's lowest label keeps the dof's own number, the others
    are numbered after all dofs."""
    n_mat, n = present.shape
    label = np.where(present, np.arange(n_mat)[:, None], n_mat)
    perfect = [
        (a, b)
        for a in range(n_mat)
        for b in range(a + 1, n_mat)
        if frozenset((names[a], names[b])) not in pairs
    ]
    for _ in range(n_mat):  # labels spread along chains of perfect contact; n_mat passes suffice
        changed = False
        for a, b in perfect:
            both = present[a] & present[b]
            la, lb = label[a].copy(), label[b].copy()
            low = np.minimum(la, lb)
            for c in range(n_mat):
                hit = both & present[c] & ((label[c] == la) | (label[c] == lb)) & (label[c] != low)
                if hit.any():
                    label[c, hit] = low[hit]
                    changed = True
        if not changed:
            break
    primary = label.min(axis=0)
    has = np.zeros((n_mat, n), dtype=bool)  # has[l, j]: label l is a copy at j
    for m in range(n_mat):
        has[label[m, present[m]], np.flatnonzero(present[m])] = True
    extra = has & (np.arange(n_mat)[:, None] != primary[None, :])
    numbers = np.full((n_mat, n), -1)
    numbers[extra] = n + np.arange(int(extra.sum()))
    copy = np.full((n_mat, n), -1)
    for m in range(n_mat):
        j = np.flatnonzero(present[m])
        lab = label[m, j]
        copy[m, j] = np.where(lab == primary[j], j, numbers[lab, j])
    return copy


def _interface_facets(
    mesh: dolfinx.mesh.Mesh,
    cell_material: np.ndarray,
    names: list[str],
    pairs: dict[frozenset[str], float],
) -> dolfinx.mesh.MeshTags:
    """Facet tags 1, 2, ... for the interior facets between the materials of each pair."""
    tdim = mesh.topology.dim
    mesh.topology.create_entities(tdim - 1)
    mesh.topology.create_connectivity(tdim - 1, tdim)
    f2c = mesh.topology.connectivity(tdim - 1, tdim)
    n_facets = mesh.topology.index_map(tdim - 1).size_local
    offsets = f2c.offsets[: n_facets + 1]
    interior = np.flatnonzero(np.diff(offsets) == 2)
    first = cell_material[f2c.array[offsets[interior]]]
    second = cell_material[f2c.array[offsets[interior] + 1]]
    values = np.zeros(len(interior), dtype=np.int32)
    for tag, pair in enumerate(pairs, start=1):
        a, b = (names.index(n) for n in sorted(pair))
        values[((first == a) & (second == b)) | ((first == b) & (second == a))] = tag
    keep = values > 0
    return dolfinx.mesh.meshtags(mesh, tdim - 1, interior[keep].astype(np.int32), values[keep])


def _assembled(form: fem.Form) -> sp.coo_matrix:
    """A dolfinx bilinear form as a scipy COO matrix (serial)."""
    mat = dolfinx.fem.petsc.assemble_matrix(form)
    mat.assemble()
    indptr, indices, data = mat.getValuesCSR()
    shape = mat.getSize()
    mat.destroy()
    return sp.csr_matrix((data, indices, indptr), shape=shape).tocoo()


def _mapped(
    mat: sp.coo_matrix, col: np.ndarray, copy: np.ndarray, keep: np.ndarray, n_split: int
) -> sp.coo_matrix:
    """A material's matrix on mesh dofs, moved to its split dofs (entries off its dofs dropped)."""
    ok = keep[col[mat.row]] & keep[col[mat.col]]
    rows, cols = copy[col[mat.row[ok]]], copy[col[mat.col[ok]]]
    return sp.coo_matrix((mat.data[ok], (rows, cols)), shape=(n_split, n_split))


def _summed(parts: list[sp.coo_matrix], n: int) -> sp.csr_matrix:
    """Sum of COO parts as a canonical CSR (explicit zeros kept: they carry the pattern)."""
    rows = np.concatenate([p.row for p in parts])
    cols = np.concatenate([p.col for p in parts])
    data = np.concatenate([p.data for p in parts])
    out = sp.coo_matrix((data, (rows, cols)), shape=(n, n)).tocsr()
    out.sum_duplicates()
    out.sort_indices()
    return out


def _eliminate(mat: sp.csr_matrix, dofs: np.ndarray, diagonal: float) -> None:
    """Zero the rows and columns of ``dofs`` in place (pattern kept), ``diagonal`` on them."""
    mask = np.zeros(mat.shape[0], dtype=bool)
    mask[dofs] = True
    rows = np.repeat(np.arange(mat.shape[0]), np.diff(mat.indptr))
    hit = mask[rows] | mask[mat.indices]
    mat.data[hit] = 0.0
    mat.data[hit & (rows == mat.indices)] = diagonal


def _mean_of_copies(
    copy: np.ndarray, present: np.ndarray, col: np.ndarray, n_split: int
) -> sp.csr_matrix:
    """[mesh dofs x split dofs]: each mesh dof is the mean of its distinct copies."""
    n_mat = copy.shape[0]
    full = np.arange(len(col))
    pairs = np.concatenate(
        [
            np.stack([full[present[m][col]], copy[m][col][present[m][col]]], axis=1)
            for m in range(n_mat)
        ]
    )
    pairs = np.unique(pairs, axis=0)
    count = np.bincount(pairs[:, 0], minlength=len(col))
    return sp.csr_matrix(
        (1.0 / count[pairs[:, 0]], (pairs[:, 0], pairs[:, 1])), shape=(len(col), n_split)
    )


def _petsc(mat: sp.csr_matrix) -> PETSc.Mat:
    mat = mat.tocsr()
    mat.sort_indices()
    out = PETSc.Mat().createAIJ(  # type: ignore[arg-type]
        size=mat.shape,
        csr=(
            mat.indptr.astype(PETSc.IntType),
            mat.indices.astype(PETSc.IntType),
            mat.data.astype(PETSc.ScalarType),
        ),
        comm=PETSc.COMM_SELF,
    )
    out.assemble()
    return out
