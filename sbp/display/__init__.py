"""Display: every formatter, badge, sentence and chart builder, free of Streamlit."""
