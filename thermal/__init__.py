"""thermal/: transient finite-element heat flow (dolfinx) -> thermal impedance Z[t, probe, heater].

``fe`` (assembly of K, M, loads and probes), ``reduce`` (rational-Krylov model reduction),
``modal`` (Foster networks and the leaky filter: numpy only), ``response`` (the stage's files
as a checked contract: numpy only), ``transient`` (direct backward-Euler reference),
``nonlinear`` (steady k(T) Newton), ``stage`` (``neohebb thermal``), ``plots``.
"""
