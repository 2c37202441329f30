"""Files copied as they are into every export ZIP: ``predict.py`` and ``tokenizer.py``.

They import nothing from ModelDeck (a developer receives them alone); ModelDeck imports ``tokenizer``
itself only to check it against the in-graph layer.
"""
