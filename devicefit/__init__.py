"""devicefit/: compact thermal models and the switching model -> model_card.json.

``foster`` (shared-pole multi-port Foster networks: fit, evaluation, modal truncation),
``cauer`` (Foster <-> Cauer), ``switching`` (Arrhenius switching model and its CSV fitter),
``card`` (schema and validation), ``stage`` (``neohebb fit``). Imports without dolfinx or gmsh.
"""
