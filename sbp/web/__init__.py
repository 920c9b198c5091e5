"""The app side: the only part of sbp that imports Streamlit."""
