"""Files copied as they are into the export ZIPs: ``predict.py`` and ``tokenizer.py`` (texts, images), and
``predict_table.py`` (shipped as ``predict.py``) with ``prepare_table.py`` (tables).

They import nothing from ModelDeck (a developer receives them alone); ModelDeck imports ``tokenizer`` and
``prepare_table`` itself only to check them against its own layer and table preparation, and embeds
``prepare_table``'s cell reading in the code behind a table run.
"""
