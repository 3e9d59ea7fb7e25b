"""neohebb: thermal co-design of neoHebbian (heater + ReRAM) synapses.

This package only wires the stages together (CLI, run configuration, pipeline); the work is
done by the stage packages ``meshes``, ``thermal``, ``devicefit`` and ``snn``.
"""

from meshes.files import package_version

__version__ = package_version()
