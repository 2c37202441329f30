"""Streamlit helpers shared by the pages: session state, sidebar, messages.

Only the app (``app.py`` and ``pages/``) imports this package; ``modeling`` stays UI-free.
"""
