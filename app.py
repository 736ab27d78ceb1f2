"""Streamlit entry point (thin): page setup and navigation only.

Run with ``make app`` (``streamlit run app.py``; settings in ``.streamlit/config.toml``: bound to
127.0.0.1, headless, no usage statistics). Each page lives in ``pages/`` and only calls the engine
(``advisor.decide``, ``advisor.perf``, ``advisor.fit.validate``, ``advisor.fit.claims``, ``advisor.catalog``)
and formats its numbers with ``advisor.report.charts`` / ``advisor.report.export``.
"""

import streamlit as st

st.set_page_config(page_title="Image-generation cost advisor", page_icon=":material/calculate:", layout="wide")

PAGES = [
    # Compare answers the studio's question (model vs model); first in the navigation. Recommend stays the landing
    # page (default=True) because the app and browser tests open on it.
    st.Page("pages/compare.py", title="Compare", icon=":material/compare:"),
    st.Page("pages/recommend.py", title="Recommend", icon=":material/recommend:", default=True),
    st.Page("pages/turnaround.py", title="Turnaround & risk", icon=":material/schedule:"),
    st.Page("pages/simulator.py", title="Simulator", icon=":material/speed:"),
    st.Page("pages/validation.py", title="Validation", icon=":material/fact_check:"),
    st.Page("pages/catalog.py", title="Catalog", icon=":material/menu_book:"),
    st.Page("pages/profiles.py", title="Profiles", icon=":material/upload_file:"),
]

st.navigation(PAGES).run()
