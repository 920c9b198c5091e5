"""Giving back what an upload held: the session's copies of the files, and the freed memory to the system.

Streamlit keeps every uploaded file's bytes twice over for as long as the session lives (its upload manager's record
and the uploader's value in the session), and glibc keeps the memory a load freed in the server's per-thread arenas:
25 upload sessions of a 53 MB file took the server from 228 MB to 1,259 MB and it was still 1,065 MB four minutes
after every browser closed (issue 23). After a load the page drops both copies and asks glibc to return free pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from sbp.ingest.reading import trim_heap


def release_uploads(key: str, uploads: Sequence[Any]) -> None:
    """Forget this session's uploaded files (Streamlit's records and the uploader's value, so the next run sees none
    of them) and return the freed memory to the system."""
    ctx = get_script_run_ctx()
    for upload in uploads:
        if ctx is not None and getattr(upload, "file_id", None):
            ctx.uploaded_file_mgr.remove_file(ctx.session_id, upload.file_id)
        upload.close()  # an UploadedFile is a BytesIO sharing the record's bytes
    # Each run of the page made its own UploadedFile objects over the same bytes, kept as the widget's value: the
    # bytes are freed only when those go too.
    if key in st.session_state:
        del st.session_state[key]
    trim_heap()
