"""Material library: the one registry of material names and their thermal properties.

A device spec may only name materials listed here (checked before Gmsh runs); ``thermal/``
reads the properties from here and lets a run configuration override any value.

All values are SI at room temperature: thermal conductivity ``k`` [W/m/K], density ``rho``
[kg/m^3], specific heat ``c_p`` [J/kg/K]. Thin-film values are used where a film of the
thickness used in ReRAM stacks (5-50 nm) conducts heat markedly worse than the bulk; the
``thin_film`` flag says which, and ``source`` says where each number comes from.
"""

from __future__ import annotations

from dataclasses import dataclass

LORENZ_W_OHM_PER_K2 = 2.44e-8  # Sommerfeld value of the Lorenz number


@dataclass(frozen=True)
class Material:
    """Thermal properties of one material (SI units)."""

    name: str
    k_w_per_m_k: float
    rho_kg_per_m3: float
    cp_j_per_kg_k: float
    thin_film: bool
    source: str
    k_exponent: float = 0.0
    """n of the optional k(T) = k (T / 300 K)^n used by thermal's nonlinear solve (0: constant)."""
    conductor: bool = False
    """A metal (or metallic nitride): it has an electrical resistivity."""

    @property
    def diffusivity_m2_per_s(self) -> float:
        """Thermal diffusivity a = k / (rho c_p) [m^2/s]."""
        return self.k_w_per_m_k / (self.rho_kg_per_m3 * self.cp_j_per_kg_k)

    @property
    def resistivity_ohm_m(self) -> float | None:
        """Electrical resistivity [Ohm m] of a conductor, consistent with its film k by
        Wiedemann-Franz: rho = L0 T / k, L0 = 2.44e-8 W Ohm/K^2, T = 300 K (None for an
        insulator). For TiN this is 1.0e-6 Ohm m, inside the 2e-7 to 4e-6 of sputtered and
        ALD films; for alloys (NiCr) the lattice share of k makes it an underestimate."""
        return LORENZ_W_OHM_PER_K2 * 300.0 / self.k_w_per_m_k if self.conductor else None


MATERIALS: dict[str, Material] = {
    m.name: m
    for m in (
        # Substrate is bulk-like (hundreds of nm and more): handbook single-crystal Si.
        Material(
            "Si",
            148.0,
            2329.0,
            705.0,
            False,
            "bulk Si, CRC Handbook (k 148, c_p 705); k ~ T^-1.3 near 300 K "
            "(Glassbrenner & Slack, Phys. Rev. 134, A1058 (1964))",
            k_exponent=-1.3,
        ),
        # Amorphous SiO2 films are close to fused silica; values of the public COMSOL ReRAM model.
        Material("SiO2", 1.38, 2203.0, 703.0, False, "fused silica; COMSOL ReRAM model values"),
        Material(
            "Si3N4",
            2.0,
            3100.0,
            700.0,
            True,
            "amorphous SiNx films 1.5-3 W/m/K (Lee & Cahill, J. Appl. Phys. 81, 2590 (1997))",
        ),
        Material(
            "AlN",
            5.0,
            3260.0,
            738.0,
            True,
            "sputtered AlN films of 50-300 nm: 1.4-17.6 W/m/K, set by grain size and the "
            "film/substrate interface (Bogner et al., Thin Solid Films 591, 267 (2015); Zhao et "
            "al., J. Appl. Phys. 96, 4563 (2004): 7-8e-8 m^2K/W at the interface); bulk rho, c_p",
        ),
        Material(
            "Al2O3",
            1.6,
            3100.0,
            780.0,
            True,
            "ALD alumina 1.5-1.8 W/m/K (Gorham et al., Appl. Phys. Lett. 104, 253107 (2014))",
        ),
        Material(
            "HfO2",
            0.5,
            9680.0,
            286.0,
            True,
            "thin-film HfO2 0.49-0.95 W/m/K (Panzer et al., IEEE EDL 30, 1269 (2009)); "
            "c_p = 60.3 J/mol/K at 298 K (NIST-JANAF; Zhou et al., J. Chem. Thermodyn. 43, 970 "
            "(2011) measure monoclinic hafnia to 300 K) / 210.49 g/mol = 286 J/kg/K; "
            "rho 9.68 g/cm^3 monoclinic (ALD films 9.0-9.7)",
        ),
        Material(
            "TaOx",
            0.6,
            8200.0,
            306.0,
            True,
            "amorphous Ta2O5 films 0.2-0.6 W/m/K (representative); bulk Ta2O5 rho and c_p",
        ),
        Material(
            "TiN",
            7.0,
            5220.0,
            545.0,
            True,
            "Wiedemann-Franz on typical film resistivity (~1e-6 Ohm m) gives ~7 W/m/K; "
            "rho, c_p of the public COMSOL ReRAM model",
            conductor=True,
        ),
        Material(
            "Pt",
            40.0,
            21450.0,
            133.0,
            True,
            "20-50 nm Pt films ~30-50 W/m/K (bulk 72; size effect, Wiedemann-Franz)",
            conductor=True,
        ),
        Material(
            "W",
            100.0,
            19300.0,
            132.0,
            True,
            "sputtered W films ~50-120 W/m/K (bulk 174; size effect, Wiedemann-Franz)",
            conductor=True,
        ),
        Material(
            "Cu",
            300.0,
            8960.0,
            385.0,
            True,
            "narrow Cu interconnect ~250-350 W/m/K (bulk 401; size effect)",
            conductor=True,
        ),
        Material("Ti", 21.9, 4506.0, 523.0, False, "bulk Ti, CRC Handbook", conductor=True),
        Material(
            "Ta",
            10.0,
            16650.0,
            140.0,
            True,
            "beta-Ta films (high resistivity) ~10 W/m/K by Wiedemann-Franz (bulk alpha-Ta 57.5)",
            conductor=True,
        ),
        Material(
            "NiCr",
            11.3,
            8400.0,
            450.0,
            False,
            "Nichrome 80/20 alloy, bulk-like in films",
            conductor=True,
        ),
    )
}


def known_materials() -> list[str]:
    """Names a spec may use, sorted."""
    return sorted(MATERIALS)
