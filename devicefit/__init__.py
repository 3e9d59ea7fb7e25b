"""devicefit/: compact thermal models and the switching model -> model_card.json (issue 4).

So far: ``devicefit.foster`` (shared-pole multi-port Foster networks: evaluation, exact
zero-order-hold update, fit to Z[t, probe, heater], modal truncation). Still to come: Cauer
form, switching model, the model card and ``neohebb fit``. Imports without dolfinx or gmsh.
"""
