"""thermal/: transient finite-element heat flow (dolfinx) -> thermal impedance Z[t, probe, heater].

Not implemented yet (issue 3); the package exists so the layout matches the design card.
"""
