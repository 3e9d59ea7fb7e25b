"""devicefit/: compact Foster/Cauer thermal models and the switching model -> model_card.json.

Not implemented yet (issue 4).
"""
