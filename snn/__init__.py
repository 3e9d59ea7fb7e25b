"""snn/: numpy e-prop spiking-network simulator with ideal and thermal neoHebbian synapses.

* ``snn.eprop``: LIF/ALIF forward pass (refractoriness, bias), e-prop eligibility traces and
  gradients, learning signals (symmetric, random, adaptive feedback), firing-rate
  regularisation, and an adjoint BPTT reference (exactness tested to 1e-10).
* ``snn.encoders``: Poisson rate, time-to-first-spike and place-cell encoders.
* ``snn.optim``: SGD and Adam.
* ``snn.traces``: end-of-frame ideal and thermal traces (card kernel, crosstalk).
* ``snn.weights``: quantised differential conductance pairs programmed by the card's switching
  model at each cell's temperature.
* ``snn.synapses``: the synapse back-end protocol and its ``ideal`` and ``thermal`` back-ends.
* ``snn.maze``: the Gymnasium mouse-and-cheese maze and FrozenLake-v1 task registry.
* ``snn.agent``: reward-based e-prop spiking actor-critic; ``snn.supervised``: the
  pattern-generation task; ``snn.stage``: ``run_maze`` and ``run_sweep`` (files and plots).

Nothing here imports dolfinx or gmsh.
"""
