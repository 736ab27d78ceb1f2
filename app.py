"""Streamlit entry point (thin): page setup and named navigation only.

Run with ``make app`` (``streamlit run app.py``; settings in ``.streamlit/config.toml``: bound to
127.0.0.1, headless, no usage statistics). The pages live in ``views/`` (not in a folder named ``pages/``:
Streamlit would treat that as file-based navigation and list file names before ``st.navigation`` runs) and
only call the engine (``advisor.decide``, ``advisor.perf``, ``advisor.fit``, ``advisor.catalog``) and format
its numbers with ``advisor.report``. Every page has its own URL (``/compare``, ``/recommend``, ...); the root
URL opens Compare, the studio's question.
"""

import streamlit as st

st.set_page_config(page_title="Image-generation cost advisor", page_icon=":material/calculate:", layout="wide",
                   initial_sidebar_state="collapsed")

#: (script, title, icon, URL path) of every page, in navigation order
PAGE_SPECS = (
    ("views/compare.py", "Compare", ":material/compare:", "compare"),
    ("views/recommend.py", "Recommend", ":material/recommend:", "recommend"),
    ("views/turnaround.py", "Turnaround & risk", ":material/schedule:", "turnaround"),
    ("views/simulator.py", "Simulator", ":material/speed:", "simulator"),
    ("views/profiles.py", "Your GPU profile", ":material/upload_file:", "profiles"),
    ("views/catalog.py", "Catalog", ":material/menu_book:", "catalog"),
    ("views/validation.py", "Validation", ":material/fact_check:", "validation"),
)
PAGES = [st.Page(script, title=title, icon=icon, url_path=path) for script, title, icon, path in PAGE_SPECS]


def _start() -> None:
    """The root URL: open Compare (a page served at the root would lose its own URL path)."""
    st.switch_page(PAGES[0])


# The navigation sits in the top bar (it folds into a menu on narrow screens), so no sidebar takes width.
st.navigation([st.Page(_start, title="Start", url_path="start", default=True, visibility="hidden"), *PAGES],
              position="top").run()
