"""Finite-element heat equation on a tagged mesh (dolfinx), assembled once.

    rho c_p dT/dt = div(k grad T) + q,   q = P / V_heater in a heater,
    T = T_ambient on ``heatsink``,  -k dT/dn = h (T - T_ambient) on ``top`` (h = 0: adiabatic),
    adiabatic elsewhere,
    -k_A dT_A/dn = (T_A - T_B) / R_AB between materials A and B of a listed pair
    (thermal boundary resistance: ``thermal.interfaces`` builds the split system).

For the temperature *rise* theta = T - T_ambient the weak form gives the semi-discrete system
M dtheta/dt + K theta = sum_h b_h P_h(t) with

    K = int k grad(u).grad(v) dx + int_top h u v ds,
    M = int rho c_p u v dx,
    b_h = int_h v / V_h dx,

and the mean rise of probe region p is c_p . theta with c_p = int_p v / V_p dx. Material
properties are DG0 functions filled from the cell tags (FEniCSx tutorial habit). ``heatsink``
rows are eliminated symmetrically (K: unit diagonal, M: zero diagonal, loads: zero), so those
dofs carry no modes.

Mass matrix: P1 uses the row-sum *lumped* mass M_ii = sum_j int rho c_p u_j v_i dx (Thomée,
Galerkin Finite Element Methods for Parabolic Problems, 2nd ed., ch. 15). The consistent mass
has a dense inverse with negative entries, so the semi-discrete response of a probe to a
disjoint heater starts with slope c^T M^-1 b < 0: on the default device Z(t) dipped to
-2e-4 R_self before rising. With the lumped mass that slope is 0 and, where K is an M-matrix
(non-obtuse meshes), the step response is non-negative and non-decreasing (Fujii, in Finite
Element Methods in Flow Problems, 1973: discrete maximum principle). Delaunay meshes are close
to that: the default device's Z(t) stays above -1e-6 R_self (tests/thermal). P2 keeps the
consistent mass (row sums of P2 vertex functions on tetrahedra are not positive).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mpi4py import MPI

import dolfinx
import dolfinx.fem.petsc
import numpy as np
import ufl
from dolfinx import fem
from dolfinx.io import gmsh as dolfinx_gmsh
from petsc4py import PETSc

from meshes.materials import Material
from thermal.config import ThermalError
from thermal.interfaces import active_pairs, split_operators


@dataclass
class Domain:
    """A tagged mesh in metres with a material per volume group."""

    mesh: dolfinx.mesh.Mesh
    cell_tags: dolfinx.mesh.MeshTags
    facet_tags: dolfinx.mesh.MeshTags
    groups: dict[str, tuple[int, int]]  # name -> (dim, tag)
    materials: dict[str, Material]  # volume group name -> material
    periodic: bool = False  # opposite side walls (x, y) identified: a tile of an infinite array
    interfaces: dict[frozenset[str], float] = field(default_factory=dict)
    """Thermal boundary resistance [m^2 K/W] by material-name pair (``thermal.interfaces``)."""

    def volume_m3(self, name: str) -> float:
        """Mesh volume of a volume group [m^3] (collective)."""
        dx = ufl.Measure("dx", domain=self.mesh, subdomain_data=self.cell_tags)
        one = fem.Constant(self.mesh, dolfinx.default_scalar_type(1.0))
        local = fem.assemble_scalar(fem.form(one * dx(self.groups[name][1])))
        return float(self.mesh.comm.allreduce(local, op=MPI.SUM))


def read_device_mesh(
    msh: str | Path, length_unit_m: float, comm: MPI.Comm
) -> tuple[
    dolfinx.mesh.Mesh, dolfinx.mesh.MeshTags, dolfinx.mesh.MeshTags, dict[str, tuple[int, int]]
]:
    """Read a Gmsh file on rank 0, distribute it, scale coordinates to metres.

    What ``dolfinx.io.gmsh.read_from_msh`` does, but with Gmsh quiet and initialised
    non-interruptible: its default sets SIGINT to kill the process at once, so Ctrl-C could
    not remove the stage's staged output.
    """
    import gmsh

    if comm.rank == 0:
        gmsh.initialize(interruptible=False)
        try:
            gmsh.option.setNumber("General.Verbosity", 2)
            gmsh.model.add("device")
            try:
                gmsh.merge(str(msh))
            except Exception as exc:  # Gmsh raises a bare Exception for unreadable files
                raise ThermalError(f"{msh}: not a readable Gmsh mesh ({exc})") from None
            data = dolfinx_gmsh.model_to_mesh(gmsh.model, comm, 0, gdim=3)
        finally:
            gmsh.finalize()
    else:
        data = dolfinx_gmsh.model_to_mesh(gmsh.model, comm, 0, gdim=3)
    mesh = data.mesh
    mesh.geometry.x[:] *= length_unit_m
    if data.cell_tags is None or data.facet_tags is None:
        raise ThermalError(f"{msh}: the mesh has no volume or no boundary physical groups")
    groups = {name: (g.dim, g.tag) for name, g in data.physical_groups.items()}
    return mesh, data.cell_tags, data.facet_tags, groups


@dataclass
class HeatSystem:
    """Assembled FE operators of one domain: K, M (PETSc), unit-power loads and probe rows."""

    domain: Domain
    space: fem.FunctionSpace
    stiffness: PETSc.Mat
    mass: PETSc.Mat
    loads: list[PETSc.Vec]
    probes: list[PETSc.Vec]
    heater_names: tuple[str, ...]
    probe_names: tuple[str, ...]
    h_top_w_per_m2k: float
    heatsink_bc: fem.DirichletBC
    prolongation: PETSc.Mat | None = None  # periodic or split: mesh dofs = P @ system dofs
    interface_area_m2: dict[str, float] = field(default_factory=dict)  # per "A/B" with R > 0
    side_dofs: dict[str, np.ndarray] | None = None  # split system: ``SplitOperators.side_dofs``

    def values_in(self, vec: PETSc.Vec, material: str, mesh_dofs: np.ndarray) -> np.ndarray:
        """A system vector's values at ``mesh_dofs`` (owned) as seen from inside ``material``:
        its own side of an interface with a thermal boundary resistance (``function_from``
        averages the sides)."""
        if self.side_dofs is None:
            return self.function_from(vec).x.array[mesh_dofs]
        return vec.getArray(readonly=True)[self.side_dofs[material][mesh_dofs]]

    @property
    def comm(self) -> MPI.Comm:
        return self.domain.mesh.comm

    def probe_matrix(self, fields: list[PETSc.Vec]) -> np.ndarray:
        """C x for a list of dof vectors: [probe, vector] mean rises (collective)."""
        return np.array([[p.dot(x) for x in fields] for p in self.probes])

    def heatsink_flux_w(self, theta: PETSc.Vec) -> float:
        """Heat leaving through ``heatsink``, int k grad(theta).n ds over it [W] (collective).

        Evaluated from the FE gradient in the boundary cells, not from the reaction of the
        eliminated rows, so it is an independent check of conservation.
        """
        d = self.domain
        field = self.function_from(theta)
        n = ufl.FacetNormal(d.mesh)
        ds = ufl.Measure("ds", domain=d.mesh, subdomain_data=d.facet_tags)
        k = material_function(d, "k_w_per_m_k")
        flux = fem.form(-k * ufl.dot(ufl.grad(field), n) * ds(d.groups["heatsink"][1]))
        return float(d.mesh.comm.allreduce(fem.assemble_scalar(flux), op=MPI.SUM))

    def function_from(self, vec: PETSc.Vec) -> fem.Function:
        """A dolfinx Function holding a dof vector (ghosts updated); a periodic system's
        vector of independent dofs is expanded to every dof first."""
        f = fem.Function(self.space)
        if self.prolongation is not None:
            full = self.prolongation.createVecLeft()
            self.prolongation.mult(vec, full)
            vec = full
        f.x.array[: vec.getLocalSize()] = vec.getArray(readonly=True)
        f.x.scatter_forward()
        return f


def material_function(domain: Domain, prop: str) -> fem.Function:
    """DG0 function of one material property (``k_w_per_m_k``, ...) from the cell tags."""
    space = fem.functionspace(domain.mesh, ("DG", 0))
    f = fem.Function(space)
    f.x.array[:] = np.nan
    for name, material in domain.materials.items():
        cells = domain.cell_tags.find(domain.groups[name][1])
        f.x.array[cells] = getattr(material, prop)
    f.x.scatter_forward()
    n_local = domain.mesh.topology.index_map(3).size_local
    if np.isnan(f.x.array[:n_local]).any():
        raise ThermalError("cells without a material: every volume group needs one")
    return f


def assemble_heat_system(
    domain: Domain,
    heaters: list[str],
    probes: list[str],
    *,
    degree: int = 1,
    h_top_w_per_m2k: float = 0.0,
    lumped_mass: bool = True,
) -> HeatSystem:
    """Assemble K, M, the heater loads and the probe functionals (once; collective).

    ``lumped_mass`` (P1 only): the row-sum lumped M of the module docstring.
    """
    for name in [*heaters, *probes]:
        if name not in domain.groups or domain.groups[name][0] != 3:
            raise ThermalError(f"{name}: not a volume group of the mesh")
    if "heatsink" not in domain.groups:
        raise ThermalError("heatsink: the mesh has no 'heatsink' boundary group")
    if h_top_w_per_m2k < 0:
        raise ThermalError(f"h_top_w_per_m2k: must be >= 0, got {h_top_w_per_m2k}")
    if h_top_w_per_m2k > 0 and "top" not in domain.groups:
        raise ThermalError("h_top_w_per_m2k: the mesh has no 'top' boundary group")
    if lumped_mass and degree != 1:
        raise ThermalError(
            "thermal.mass_matrix: 'lumped' needs degree 1; use 'consistent' with degree 2"
        )
    mesh = domain.mesh
    space = fem.functionspace(mesh, ("Lagrange", degree))
    u, v = ufl.TrialFunction(space), ufl.TestFunction(space)
    dx = ufl.Measure("dx", domain=mesh, subdomain_data=domain.cell_tags)
    ds = ufl.Measure("ds", domain=mesh, subdomain_data=domain.facet_tags)
    k = material_function(domain, "k_w_per_m_k")
    rho = material_function(domain, "rho_kg_per_m3")
    cp = material_function(domain, "cp_j_per_kg_k")

    stiffness_form = k * ufl.inner(ufl.grad(u), ufl.grad(v)) * dx
    if h_top_w_per_m2k > 0:
        h = fem.Constant(mesh, dolfinx.default_scalar_type(h_top_w_per_m2k))
        stiffness_form += h * u * v * ds(domain.groups["top"][1])
    mesh.topology.create_connectivity(2, 3)
    sink_dofs = fem.locate_dofs_topological(
        space, 2, domain.facet_tags.find(domain.groups["heatsink"][1])
    )
    bc = fem.dirichletbc(0.0, sink_dofs, space)

    def raw_functional(name: str) -> PETSc.Vec:
        """int_name v / V dx on the mesh dofs (no boundary condition)."""
        volume = domain.volume_m3(name)
        if volume <= 0:
            raise ThermalError(f"{name}: group has no cells")
        w = fem.Constant(mesh, dolfinx.default_scalar_type(1.0 / volume))
        vec = dolfinx.fem.petsc.assemble_vector(fem.form(w * v * dx(domain.groups[name][1])))
        vec.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        return vec

    present = {m.name for m in domain.materials.values()}
    if active_pairs(domain.interfaces, present):
        n_local = space.dofmap.index_map.size_local
        split = split_operators(
            space,
            domain.cell_tags,
            domain.facet_tags,
            domain.groups,
            domain.materials,
            domain.interfaces,
            coefficients={"k_w_per_m_k": k, "rho_kg_per_m3": rho, "cp_j_per_kg_k": cp},
            h_top_w_per_m2k=h_top_w_per_m2k,
            lumped_mass=lumped_mass,
            sink_dofs=sink_dofs[sink_dofs < n_local],
            functionals={
                g: raw_functional(g).getArray(readonly=True)[:n_local].copy()
                for g in dict.fromkeys([*heaters, *probes])
            },
            loads=heaters,
            probes=probes,
            columns=periodic_columns(space) if domain.periodic else None,
        )
        for mat in (split.stiffness, split.mass):
            mat.setOption(PETSc.Mat.Option.SYMMETRIC, True)  # type: ignore[arg-type]
        return HeatSystem(
            domain,
            space,
            split.stiffness,
            split.mass,
            split.loads,
            split.probes,
            tuple(heaters),
            tuple(probes),
            h_top_w_per_m2k,
            bc,
            split.to_full,
            split.interface_area_m2,
            split.side_dofs,
        )

    K = dolfinx.fem.petsc.assemble_matrix(fem.form(stiffness_form), bcs=[bc], diag=1.0)
    K.assemble()
    mass_form = fem.form(rho * cp * u * v * dx)
    if lumped_mass:
        M = _lumped(mass_form, sink_dofs, K)
    else:
        M = dolfinx.fem.petsc.assemble_matrix(mass_form, bcs=[bc], diag=0.0)
        M.assemble()
    for mat in (K, M):
        mat.setOption(PETSc.Mat.Option.SYMMETRIC, True)  # type: ignore[arg-type]  # stubs: int

    def functional(name: str) -> PETSc.Vec:
        vec = raw_functional(name)
        dolfinx.fem.petsc.set_bc(vec, [bc])
        out = K.createVecRight()
        out.setArray(vec.getArray(readonly=True)[: out.getLocalSize()])
        return out

    loads = [functional(h) for h in heaters]
    probe_rows = [functional(p) for p in probes]
    prolongation = None
    if domain.periodic:
        # K_r = P^T K P, M_r = P^T M P, b_r = P^T b, c_r = P^T c: the same energy and the same
        # probe means on the subspace of periodic fields (P: 0/1, one 1 per row)
        prolongation = periodic_prolongation(space)
        K, M = K.ptap(prolongation), M.ptap(prolongation)
        loads, probe_rows = (
            [_restrict(prolongation, v) for v in loads],
            [_restrict(prolongation, v) for v in probe_rows],
        )
        for mat in (K, M):
            mat.setOption(PETSc.Mat.Option.SYMMETRIC, True)  # type: ignore[arg-type]
    return HeatSystem(
        domain,
        space,
        K,
        M,
        loads,
        probe_rows,
        tuple(heaters),
        tuple(probes),
        h_top_w_per_m2k,
        bc,
        prolongation,
    )


def assemble_device(
    msh: str | Path,
    materials: dict[str, Material],
    heaters: list[str],
    probes: list[str],
    *,
    periodic: bool,
    degree: int,
    h_top_w_per_m2k: float,
    lumped_mass: bool,
    comm: MPI.Comm,
    interfaces: dict[frozenset[str], float] | None = None,
) -> HeatSystem:
    """Read a device mesh (nm, scaled to m) and assemble its heat system: the one route of
    the thermal stage and of steady screening."""
    from meshes.spec import LENGTH_UNIT_M

    mesh, cell_tags, facet_tags, groups = read_device_mesh(msh, LENGTH_UNIT_M, comm)
    return assemble_heat_system(
        Domain(mesh, cell_tags, facet_tags, groups, materials, periodic, dict(interfaces or {})),
        heaters,
        probes,
        degree=degree,
        h_top_w_per_m2k=h_top_w_per_m2k,
        lumped_mass=lumped_mass,
    )


def periodic_prolongation(space: fem.FunctionSpace) -> PETSc.Mat:
    """P [all dofs x independent dofs], 0/1 with one 1 per row (``periodic_columns``)."""
    cols = periodic_columns(space)
    n = len(cols)
    P = PETSc.Mat().createAIJ(  # type: ignore[arg-type]
        size=(n, int(cols.max()) + 1),
        csr=(np.arange(n + 1, dtype=PETSc.IntType), cols.astype(PETSc.IntType), np.ones(n)),
        comm=PETSc.COMM_SELF,
    )
    P.assemble()
    return P


def periodic_columns(space: fem.FunctionSpace) -> np.ndarray:
    """The independent dof of every dof: a dof on the wall x = x_max (y = y_max) takes the
    value of its partner one period back at x_min (y_min), found by coordinates (the mesher
    made the walls translates of each other, ``meshes.geometry``); edges and corners follow
    the chain to the one independent dof. Serial only."""
    from scipy.spatial import cKDTree

    comm = space.mesh.comm
    if comm.size > 1:
        raise ThermalError(
            "array.boundary: a periodic array is solved serially (run without mpiexec)"
        )
    x = space.tabulate_dof_coordinates()
    n = x.shape[0]
    lo, hi = x.min(axis=0), x.max(axis=0)
    tol = 1e-6 * float(np.max(hi - lo))
    tree = cKDTree(x)
    master = np.arange(n)
    for axis in (0, 1):
        on_wall = np.flatnonzero(np.abs(x[:, axis] - hi[axis]) < tol)
        partner = x[on_wall].copy()
        partner[:, axis] -= hi[axis] - lo[axis]
        dist, index = tree.query(partner)
        if dist.size and dist.max() > tol:
            raise ThermalError(
                "array.boundary: the mesh's opposite side walls do not match node for node; "
                "re-run `neohebb mesh` with this neohebb version"
            )
        master[on_wall] = index
    for _ in range(3):  # an edge dof maps to an edge, a corner to a corner: two steps at most
        master = master[master]
    independent = np.flatnonzero(master == np.arange(n))
    column = np.full(n, -1)
    column[independent] = np.arange(len(independent))
    cols = column[master]
    assert np.all(cols >= 0)
    return cols


def _restrict(prolongation: PETSc.Mat, vec: PETSc.Vec) -> PETSc.Vec:
    out = prolongation.createVecRight()
    prolongation.multTranspose(vec, out)
    return out


def _lumped(mass_form: fem.Form, sink_dofs: np.ndarray, pattern: PETSc.Mat) -> PETSc.Mat:
    """Row-sum lumped mass, diagonal, in ``pattern``'s sparsity (so K + s M keeps K's
    pattern); zero on the eliminated heatsink rows. Row sums are taken before elimination,
    so a node next to the heatsink keeps its full share of heat capacity."""
    full = dolfinx.fem.petsc.assemble_matrix(mass_form)
    full.assemble()
    diag = full.createVecRight()
    full.getRowSum(diag)
    full.destroy()
    values = diag.getArray()
    values[sink_dofs[sink_dofs < len(values)]] = 0.0
    lumped = pattern.duplicate(copy=False)
    lumped.zeroEntries()
    lumped.setDiagonal(diag)
    lumped.assemble()
    return lumped


def direct_solver(matrix: PETSc.Mat, comm: MPI.Comm, *, symmetric: bool = True) -> PETSc.KSP:
    """Sparse Cholesky by MUMPS: exact to round-off, distributed under MPI.

    PETSc here has no hypre; MUMPS factorises an 83k-dof stack in seconds where PETSc's
    built-in LU took minutes (docs/architecture.md), and one factorisation serves every heater.
    ``symmetric=False`` (LU) for non-symmetric matrices such as the k(T) Newton Jacobian.
    """
    ksp = PETSc.KSP().create(comm)  # type: ignore[arg-type]  # stubs omit mpi4py comms
    ksp.setOperators(matrix)
    ksp.setType("preonly")
    pc = ksp.getPC()
    pc.setType("cholesky" if symmetric else "lu")
    pc.setFactorSolverType("mumps")
    ksp.setUp()
    return ksp


def factorised_shifts(
    stiffness: PETSc.Mat, mass: PETSc.Mat, shifts_per_s: np.ndarray, comm: MPI.Comm
) -> Iterator[PETSc.KSP]:
    """A MUMPS Cholesky solver of K + s M for each shift in turn (collective).

    K + s M has K's sparsity for every s, so the symbolic analysis (ordering) is done once and
    each further shift costs only a numeric factorisation (a third less on the default device).
    """
    shifted = stiffness.duplicate(copy=True)
    ksp: PETSc.KSP | None = None
    try:
        for s in shifts_per_s:
            stiffness.copy(shifted, structure=PETSc.Mat.Structure.SAME_NONZERO_PATTERN)  # type: ignore[arg-type]
            shifted.axpy(
                float(s),
                mass,
                structure=PETSc.Mat.Structure.SUBSET_NONZERO_PATTERN,  # type: ignore[arg-type]
            )
            if ksp is None:
                ksp = direct_solver(shifted, comm)
            else:
                ksp.setOperators(shifted)
                ksp.setUp()
            yield ksp
    finally:
        if ksp is not None:
            ksp.destroy()
        shifted.destroy()


def combine(a: PETSc.Mat, alpha: float, b: PETSc.Mat) -> PETSc.Mat:
    """A new matrix a + alpha b (K + s M for a shift, M + dt K for a time step)."""
    out = a.duplicate(copy=True)
    structure = PETSc.Mat.Structure.SUBSET_NONZERO_PATTERN  # b's pattern lies within a's
    out.axpy(alpha, b, structure=structure)  # type: ignore[arg-type]  # stubs: enum as int
    return out


def steady_state(system: HeatSystem) -> tuple[np.ndarray, list[PETSc.Vec], list[float]]:
    """Exact steady solve K theta_h = b_h for every heater (one factorisation).

    Returns R[probe, heater] [K/W], the fields theta_h, and for each heater the heat leaving
    through ``heatsink`` per watt put in (1 when energy is conserved).
    """
    ksp = direct_solver(system.stiffness, system.comm)
    fields: list[PETSc.Vec] = []
    for load in system.loads:
        x = system.stiffness.createVecRight()
        ksp.solve(load, x)
        fields.append(x)
    ksp.destroy()
    return steady_from_fields(system, fields)


def steady_from_fields(
    system: HeatSystem, fields: list[PETSc.Vec]
) -> tuple[np.ndarray, list[PETSc.Vec], list[float]]:
    """``steady_state``'s figures from already solved fields theta_h = K^-1 b_h (e.g. the
    s = 0 solves of the model reduction)."""
    r = system.probe_matrix(fields)
    balance = [system.heatsink_flux_w(x) for x in fields]
    return r, fields, balance


def slowest_time_constants_s(system: HeatSystem, count: int) -> np.ndarray:
    """The ``count`` largest time constants tau = 1 / lambda of the system's own modes,
    K x = lambda M x (the slowest poles of every response), descending [s] (collective).

    SLEPc Krylov-Schur with shift-and-invert at 0 (one MUMPS factorisation of K); the
    eliminated heatsink rows (M = 0) have infinite lambda and are not found.
    """
    from slepc4py import SLEPc

    eps = SLEPc.EPS().create(system.comm)  # type: ignore[arg-type]
    eps.setOperators(system.stiffness, system.mass)
    eps.setProblemType(SLEPc.EPS.ProblemType.GHEP)
    eps.setDimensions(count)
    eps.setWhichEigenpairs(SLEPc.EPS.Which.TARGET_MAGNITUDE)
    eps.setTarget(0.0)
    st = eps.getST()
    st.setType(SLEPc.ST.Type.SINVERT)
    ksp = st.getKSP()
    ksp.setType("preonly")
    pc = ksp.getPC()
    pc.setType("cholesky")
    pc.setFactorSolverType("mumps")
    eps.setTolerances(1e-10, 200)
    eps.solve()
    found = eps.getConverged()
    if found < count:
        raise ThermalError(f"slowest modes: {found} of {count} eigenvalues converged")
    lam = np.sort([eps.getEigenvalue(i).real for i in range(found)])[:count]
    eps.destroy()
    return 1.0 / lam


def solver_settings() -> dict[str, Any]:
    """What ``direct_solver`` does, for provenance files."""
    return {"ksp_type": "preonly", "pc_type": "cholesky", "pc_factor_mat_solver_type": "mumps"}
