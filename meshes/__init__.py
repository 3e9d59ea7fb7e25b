"""meshes/: parametric Gmsh geometry of heater + ReRAM arrays (first pipeline stage).

>>> from meshes.spec import default_spec
>>> default_spec().array.rows
3
"""

from meshes.device import build_device
from meshes.spec import DeviceSpec, SpecError, default_spec, load_spec, validate

__all__ = ["DeviceSpec", "SpecError", "build_device", "default_spec", "load_spec", "validate"]
