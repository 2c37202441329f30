"""The views of texts: Automatic's choice, the pretrained encoder, explanations, scoring a column of texts.

The pages reach them through :class:`ui.text.view.TextView` (registered in :mod:`ui.kinds`).
"""
