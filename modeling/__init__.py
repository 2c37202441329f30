"""ModelDeck's UI-free core: data, models, training, evaluation and prediction.

Nothing in this package imports Streamlit, and heavy libraries (TensorFlow,
Keras, scikit-learn) are imported inside the functions that need them, so that
``import modeling`` stays cheap and the app paints fast.
"""

from modeling.errors import ConfigError, DataError, ModelDeckError

__all__ = ["ConfigError", "DataError", "ModelDeckError"]
