"""Files copied as they are into the export ZIPs: ``predict.py`` (texts, images; a text export also ships
``modeling/templates/text_prep.py``, the app's own text preparation, as ``tokenizer.py``), and
``predict_table.py`` (shipped as ``predict.py``) with ``prepare_table.py`` (tables).

They import nothing from ModelDeck (a developer receives them alone); ModelDeck imports ``prepare_table``
itself only to check it against its own table preparation, and embeds
``prepare_table``'s cell reading in the code behind a table run.
"""
