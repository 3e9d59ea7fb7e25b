"""The registry of synapse back-ends (``snn.synapses.BackendKind``), by name.

A new device model is one new module with a ``KIND`` and one entry here.
"""

from __future__ import annotations

from meshes.files import StageError
from snn import ideal_synapses, quantised_synapses, thermal_synapses
from snn.synapses import BackendKind

BACKENDS: dict[str, BackendKind] = {
    m.KIND.name: m.KIND for m in (ideal_synapses, quantised_synapses, thermal_synapses)
}


def backend_kind(name: str, error: type[StageError] = StageError) -> BackendKind:
    """The registered back-end ``name``; ``error`` lists the valid ones otherwise."""
    if name not in BACKENDS:
        raise error(f"backend: {name!r} is not one of {', '.join(sorted(BACKENDS))}")
    return BACKENDS[name]
