"""snn/: numpy e-prop spiking-network simulator with ideal and thermal synapses (issue 5).

So far: ``snn.eprop`` (recurrent LIF/ALIF forward pass, e-prop eligibility traces and an
adjoint BPTT reference; exact agreement with the true learning signal is tested). Network
back-end protocol, optimisers, the maze task and ``neohebb maze`` are still to come.
``snn.traces``: end-of-frame ideal and thermal (card kernel, crosstalk) traces, vectorised.
``snn.weights``: quantised differential conductance pairs programmed by the card's switching
model at each cell's temperature.
"""
