"""Lesson 09: what the Streamlit app computes, so that its page only lays results out.

:mod:`.scan_input` reads an upload safely, :mod:`.ood` says whether it looks like a brain
MRI at all (tried on the images :mod:`.not_mri` makes), :mod:`.analysis` classifies a scan,
maps where the model looked and gathers the report, and :mod:`.backoff` spares a failing
Gemini the page's reruns. The page is ``app/streamlit_app.py``.
"""
