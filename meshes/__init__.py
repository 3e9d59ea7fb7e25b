"""meshes/: parametric Gmsh geometry of heater + ReRAM arrays (first pipeline stage).

>>> from meshes.spec import default_spec
>>> default_spec().array.rows
3
"""

from meshes.spec import DeviceSpec, SpecError, default_spec, load_spec, validate

__all__ = ["DeviceSpec", "SpecError", "default_spec", "load_spec", "validate"]
# meshes.device (build_device) imports gmsh: import it from there, so that the spec and the
# material library stay importable without gmsh (devicefit/ and snn/ use them).
