"""snn/: numpy e-prop spiking-network simulator with ideal and thermal synapses (issue 5).

So far: ``snn.eprop`` (recurrent LIF/ALIF forward pass, e-prop eligibility traces and an
adjoint BPTT reference; exact agreement with the true learning signal is tested). Weight
back-ends, optimisers, the maze task and ``neohebb maze`` are still to come.
``snn.traces``: end-of-frame ideal and thermal (card kernel, crosstalk) traces, vectorised.
"""
