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
    """n of k(T) = k (T / 300 K)^n, used by thermal's nonlinear solves (0: constant)."""
    cp_exponent: float = 0.0
    """m of c_p(T) = c_p (T / 300 K)^m, used by thermal's nonlinear transient (0: constant)."""
    conductor: bool = False
    """A metal (or metallic nitride): it has an electrical resistivity."""
    tcr_per_k: float | None = None
    """Temperature coefficient of a conductor film's resistance, rho(T) = rho (1 + tcr dT)."""
    current_density_limit_a_per_m2: float | None = None
    """A conductor's long-life current-density limit (None: none on file)."""
    max_temperature_k: float | None = None
    """The film's highest safe temperature in a BEOL stack (None: none on file)."""
    limits_source: str = ""
    """Where tcr, the current-density limit and the temperature limit come from."""
    t_dependence_source: str = ""
    """Where k_exponent and cp_exponent come from ("estimate": from physics, not measured)."""
    k_range_w_per_m_k: tuple[float, float] | None = None
    """Range of k [W/m/K] measured in films of this material (``source`` says where); None
    for bulk values. A design's sensitivity to k is found by overriding it across this range
    (``[thermal.materials.NAME]``)."""

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
            cp_exponent=0.34,
            t_dependence_source=(
                "c_p: NASA/CEA thermodynamic fits (McBride, Gordon & Reno 1993; NIST-JANAF) at 300"
                " and 500 K"
            ),
        ),
        Material(
            "SiO2",
            1.38,
            2203.0,
            703.0,
            False,
            "amorphous SiO2: fused-silica values of the public COMSOL ReRAM model; thermal oxide "
            "films 1.3-1.4 W/m/K (Kato & Hatta, Int. J. Thermophys. 27, 42 (2006), the VAMAS "
            "reference within 4 %), PECVD films lower, down to 0.9 (3-omega, 300 nm)",
            k_range_w_per_m_k=(0.9, 1.4),
            k_exponent=0.31,
            cp_exponent=0.51,
            t_dependence_source=(
                "k: TPRC recommended fused-silica values 1.38 / 1.51 / 1.62 W/m/K at 300 / 400 / "
                "500 K; c_p: NASA/CEA thermodynamic fits (McBride, Gordon & Reno 1993; NIST-JANAF)"
                " at 300 and 500 K (glass)"
            ),
        ),
        Material(
            "lowk",
            0.3,
            1350.0,
            1000.0,
            True,
            "representative dense SiCOH ILD (dielectric constant ~2.7-3.0): k 0.3 W/m/K, porous "
            "ultra-low-k ~0.1-0.3 and dense 0.25-0.45. NOT read from a measurement: Hu et al., "
            "Appl. Phys. Lett. 77, 145 (2000), Costescu et al., Phys. Rev. B 65, 094205 (2002) "
            "and Kuwahara et al., Microelectron. Eng. 85, 796 (2008) measure such films, but "
            "their tables were not retrieved; rho and c_p are estimates. Override from your "
            "process's data ([thermal.materials.lowk])",
            k_range_w_per_m_k=(0.1, 0.45),
            k_exponent=0.2,
            cp_exponent=0.5,
            t_dependence_source=(
                "estimate: SiCOH k rises gradually up to 300 C (Kuwahara et al. 2008, abstract), "
                "c_p as a-SiO2"
            ),
        ),
        Material(
            "Si3N4",
            2.0,
            3100.0,
            700.0,
            True,
            "LPCVD stoichiometric Si3N4 films: 1.6 as deposited (cross-plane) to 2.7 "
            "(membranes, in-plane); 2.1 for a 180 nm membrane (Stojanovic et al., J. "
            "Microelectromech. Syst. 16, 1269 (2007)); amorphous SiNx 1.5-3 (Lee & Cahill, J. "
            "Appl. Phys. 81, 2590 (1997)); bulk rho, c_p",
            k_range_w_per_m_k=(1.5, 3.0),
            k_exponent=0.35,
            cp_exponent=0.45,
            t_dependence_source=(
                "k: estimate (Cahill-Pohl minimum conductivity); c_p: NASA/CEA thermodynamic fits "
                "(McBride, Gordon & Reno 1993; NIST-JANAF) at 300 and 500 K (two tables: +21 % and"
                " +32 %)"
            ),
        ),
        Material(
            "SiNx",
            1.0,
            2500.0,
            730.0,
            True,
            "PECVD SiNx:H films: 0.8-1.7 W/m/K rising with thickness over 300-1000 nm "
            "(Bogner et al., Thin Solid Films 591, 267 (2015), differential 3-omega), ~0.7 "
            "for 200-500 nm films (thermoreflectance, Materialia 26, 101574 (2022)); c_p from "
            "the heat capacity of a 70 ng SiN membrane (Ftouni et al., Phys. Rev. B 92, 125439 "
            "(2015)); rho of PECVD films 2300-2800",
            k_range_w_per_m_k=(0.7, 1.7),
            k_exponent=0.3,
            cp_exponent=0.5,
            t_dependence_source="estimate: amorphous nitride like Si3N4 and a-SiO2",
        ),
        Material(
            "BN",
            5.0,
            2100.0,
            740.0,
            True,
            "sputtered, vertically ordered h-BN film: 5.1 W/m/K (Cometto et al., Nanoscale 7, "
            "18984 (2015), TDTR); amorphous/turbostratic BN films lower (0.5-3). Layered h-BN is "
            "strongly anisotropic: cross-plane ~4-5, in-plane 220-420 W/m/K (Yuan et al., "
            "Commun. Phys. 2, 43 (2019); c_p 740 J/kg/K there). This isotropic entry cannot "
            "carry the in-plane spreading of crystalline h-BN",
            k_range_w_per_m_k=(0.5, 5.1),
            k_exponent=-0.3,
            cp_exponent=0.9,
            t_dependence_source=(
                "k: estimate for through-plane / nanocrystalline films (bulk in-plane ~T^-1); c_p:"
                " NASA/CEA thermodynamic fits (McBride, Gordon & Reno 1993; NIST-JANAF) at 300 and"
                " 500 K"
            ),
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
            k_range_w_per_m_k=(1.4, 17.6),
            k_exponent=-0.1,
            cp_exponent=0.6,
            t_dependence_source=(
                "k: estimate for sputtered films (bulk crystal ~T^-1.3); c_p: NASA/CEA "
                "thermodynamic fits (McBride, Gordon & Reno 1993; NIST-JANAF) at 300 and 500 K"
            ),
        ),
        Material(
            "Al2O3",
            1.6,
            3100.0,
            780.0,
            True,
            "ALD alumina ~1.5-1.8 W/m/K (Gorham et al., Appl. Phys. Lett. 104, 253107 (2014)); "
            "Al2O3/HfO2 nanolaminates of 100 nm 1.0-1.2 (Gabriel & Talghader, J. Appl. Phys. "
            "110, 043526 (2011))",
            k_range_w_per_m_k=(1.0, 1.8),
            k_exponent=0.35,
            cp_exponent=0.57,
            t_dependence_source=(
                "k: estimate (Cahill-Pohl; ALD a-Al2O3 k rises with T, Cappella et al.); c_p: "
                "NASA/CEA thermodynamic fits (McBride, Gordon & Reno 1993; NIST-JANAF) at 300 and "
                "500 K"
            ),
        ),
        Material(
            "HfO2",
            0.5,
            9680.0,
            286.0,
            True,
            "thin-film HfO2 0.49-0.95 W/m/K (Panzer et al., IEEE EDL 30, 1269 (2009), TDTR on "
            "5.6-20 nm films); c_p = 60.3 J/mol/K at 298 K (NIST-JANAF; Zhou et al., J. Chem. "
            "Thermodyn. 43, 970 (2011) measure monoclinic hafnia to 300 K) / 210.49 g/mol = "
            "286 J/kg/K; rho 9.68 g/cm^3 monoclinic (ALD films 9.0-9.7)",
            k_range_w_per_m_k=(0.49, 0.95),
            k_exponent=0.15,
            cp_exponent=0.33,
            t_dependence_source=(
                "estimate: glass-like film k (Cahill-Pohl); c_p from the monoclinic ZrO2 table "
                "(+20 %); no measured 500 K value found"
            ),
        ),
        Material(
            "TaOx",
            0.6,
            8200.0,
            306.0,
            True,
            "amorphous Ta2O5 films 0.2-0.6 W/m/K: a representative range, NOT from a retrieved "
            "measurement; bulk Ta2O5 rho and c_p",
            k_range_w_per_m_k=(0.2, 0.6),
            k_exponent=0.12,
            cp_exponent=0.3,
            t_dependence_source=(
                "k: estimate (Cahill-Pohl); c_p: NASA/CEA thermodynamic fits (McBride, Gordon & "
                "Reno 1993; NIST-JANAF) at 300 and 500 K (Ta2O5)"
            ),
        ),
        Material(
            "TiN",
            7.0,
            5220.0,
            545.0,
            True,
            "Wiedemann-Franz on a typical film resistivity (~1e-6 Ohm m) gives ~7 W/m/K; films "
            "5-35 (arc-deposited TiN 35, falling to 5 as oxygen is added, Thin Solid Films 549, "
            "232 (2013); ~19 from Reifenberg et al., IEEE EDL 31, 56 (2010)); rho, c_p of the "
            "public COMSOL ReRAM model",
            conductor=True,
            k_range_w_per_m_k=(5.0, 35.0),
            tcr_per_k=0.0,
            current_density_limit_a_per_m2=2.4e11,
            max_temperature_k=681.0,
            limits_source="TCR: 0 to -2e-5 /K for high-resistivity films (Igasaki & Mitsuhashi, "
            "Jpn. J. Appl. Phys. 17, 85 (1978)), ~+9e-6 for sputtered films; TiN shows no "
            "measurable electromigration, its failure is thermal (Ea 1.5 eV): a hottest spot "
            "below 408 C (681 K) lasts 10 years, which allows ~2.4e7 A/cm^2 at a typical hot-"
            "spot thermal impedance (Tao, Cheung & Hu, IEEE EDL and IRPS 1995); TiN oxidises "
            "in air at 350-450 C (Tompkins, J. Appl. Phys. 71, 980 (1992))",
            k_exponent=0.6,
            cp_exponent=0.46,
            t_dependence_source=(
                "k: estimate: Wiedemann-Franz electrons (k ~ T at a TCR of 0) with ~29 % phonon "
                "share falling as 1/T; c_p: NASA/CEA thermodynamic fits (McBride, Gordon & Reno "
                "1993; NIST-JANAF) at 300 and 500 K"
            ),
        ),
        Material(
            "Pt",
            40.0,
            21450.0,
            133.0,
            True,
            "20-50 nm Pt films ~17-40 W/m/K (bulk 72; size effect, Wiedemann-Franz); 21 for a "
            "100 nm nanowire (Voelklein et al., Nanotechnology 20, 325706 (2009))",
            conductor=True,
            tcr_per_k=2.0e-3,
            max_temperature_k=873.0,
            limits_source="TCR 1.98e-3 /K for a 164 nm film as deposited (bulk 3.85e-3; lower "
            "in thinner films); grains double at 600 C and 50 nm Pt heaters coarsen like a "
            "600 C anneal under high power (Eliasson et al. 2018); no electromigration limit "
            "on file (AC stress lasts >= 1000x DC, Rev. Sci. Instrum. 85, 114709 (2014))",
            k_range_w_per_m_k=(17.0, 50.0),
            k_exponent=0.34,
            cp_exponent=0.08,
            t_dependence_source=(
                "k: estimate: Wiedemann-Franz on the film TCR (k ~ T / (1 + tcr dT)); c_p: "
                "Furukawa, J. Phys. Chem. Ref. Data 3, 163 (1974)"
            ),
        ),
        Material(
            "W",
            100.0,
            19300.0,
            132.0,
            True,
            "sputtered alpha-W films ~50-120 W/m/K (bulk 174; size effect, Wiedemann-Franz); "
            "beta-W films several times lower",
            conductor=True,
            max_temperature_k=793.0,
            limits_source="200 nm W forms WO2.9 at 793 K and WO3 at 840 K in oxidising anneals "
            "(Logacheva 2007); thin (< 10 nm) W has a negative TCR (Siniscalchi et al., Appl. "
            "Phys. Lett. 117, 043104 (2020)); no electromigration limit on file",
            k_range_w_per_m_k=(20.0, 120.0),
            k_exponent=0.0,
            cp_exponent=0.08,
            t_dependence_source=(
                "k: estimate for films (bulk -0.28, Milner 2024 fit; residual resistivity pushes "
                "films up); c_p: NIST-JANAF Shomate fit"
            ),
        ),
        Material(
            "Cu",
            300.0,
            8960.0,
            385.0,
            True,
            "narrow Cu interconnect ~250-350 W/m/K at >= 100 nm width (bulk 401; size effect), "
            "150-250 below 50 nm (Wiedemann-Franz on line resistivity; no measurement retrieved)",
            conductor=True,
            tcr_per_k=3.9e-3,
            current_density_limit_a_per_m2=1e10,
            max_temperature_k=723.0,
            limits_source="bulk TCR 3.9e-3 /K (thin lines higher); ~1 MA/cm^2 at 105 C is the "
            "usual DC electromigration design rule of Cu interconnect (not read from a "
            "standard here); 450 C: the BEOL thermal budget, and Cu needs a diffusion barrier",
            k_range_w_per_m_k=(150.0, 350.0),
            k_exponent=-0.1,
            cp_exponent=0.115,
            t_dependence_source=(
                "k: Wiedemann-Franz on the TCR (bulk -0.07, NIST Monograph 177); c_p: NASA/CEA "
                "thermodynamic fits (McBride, Gordon & Reno 1993; NIST-JANAF) at 300 and 500 K"
            ),
        ),
        Material(
            "Ti",
            21.9,
            4506.0,
            523.0,
            False,
            "bulk Ti, CRC Handbook",
            conductor=True,
            tcr_per_k=2.0e-3,
            limits_source="films 1.5e-3 to 2.6e-3 /K (Besnard 2013; NANOCON 2017); no limits "
            "on file (Ti getters oxygen: keep it encapsulated)",
            k_exponent=-0.23,
            cp_exponent=0.17,
            t_dependence_source=(
                "k: Ho, Powell & Liley, J. Phys. Chem. Ref. Data 1, 279 (1972) (bulk); c_p: "
                "NASA/CEA thermodynamic fits (McBride, Gordon & Reno 1993; NIST-JANAF) at 300 and "
                "500 K"
            ),
        ),
        Material(
            "Ta",
            10.0,
            16650.0,
            140.0,
            True,
            "Ta films by Wiedemann-Franz on resistivity: mixed alpha/beta at 68 uOhm cm ~11 "
            "W/m/K (resistivity from Kumar et al., Phys. Rev. B 98, 104403 (2018)), beta-Ta "
            "(170-220 uOhm cm) 3-4 (bulk alpha-Ta 57.5)",
            conductor=True,
            tcr_per_k=-6e-5,
            limits_source="amorphous Ta films -6e-5 /K, beta-Ta negative, alpha-Ta positive "
            "(Schaefer & Menzel 1977; Weng 2016); beta-Ta is metastable (to alpha at 400-750 C "
            "in sputtered films); no limits on file",
            k_range_w_per_m_k=(3.0, 12.0),
            k_exponent=1.0,
            cp_exponent=0.08,
            t_dependence_source=(
                "k: estimate: Wiedemann-Franz electrons at a TCR of ~0 (k ~ T); c_p: NASA/CEA "
                "thermodynamic fits (McBride, Gordon & Reno 1993; NIST-JANAF) at 300 and 500 K"
            ),
        ),
        Material(
            "NiCr",
            11.3,
            8400.0,
            450.0,
            False,
            "Nichrome 80/20 alloy, bulk-like in films",
            conductor=True,
            tcr_per_k=0.0,
            max_temperature_k=773.0,
            limits_source="TCR -2e-4 to +1e-4 /K set by process and anneal, ~0 for annealed "
            "resistor films; an 80 nm film is stable for 8 h at 500 C, 18-46 nm films oxidise",
            k_exponent=0.6,
            cp_exponent=0.19,
            t_dependence_source=(
                "estimate: Wiedemann-Franz on the measured rho(T) (ISA-CHROM 80 datasheet) plus a "
                "constant lattice part; c_p estimate"
            ),
        ),
    )
}


def known_materials() -> list[str]:
    """Names a spec may use, sorted."""
    return sorted(MATERIALS)
