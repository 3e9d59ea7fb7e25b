"""snn/: numpy e-prop spiking-network simulator with ideal and thermal synapses.

Not implemented yet (issue 5).
"""
