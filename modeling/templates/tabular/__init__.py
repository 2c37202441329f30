"""Table templates: gradient-boosted trees (the default), a Keras neural network, a linear model, and a blend.

Light on purpose: scikit-learn and Keras are imported inside the functions that build or run a model.
"""
