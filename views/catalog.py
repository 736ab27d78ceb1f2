"""Catalog page: every number of the catalog with its source and as-of date; stale numbers flagged."""

import datetime as dt

import pandas as pd
import streamlit as st

from advisor.catalog import STALE_AFTER_DAYS
from advisor.fmt import number
from advisor.report.export import catalog_rows
from views import common

st.title("Catalog")
st.caption(f"Every number the advisor uses, with where it comes from and when it was checked. "
           f"A number older than {STALE_AFTER_DAYS} days is flagged stale. Edit `profiles/*.yaml` to change one "
           f"(or override it in a scenario's `overrides`).")

cat = common.catalog()
if cat is None:
    st.stop()

rows = catalog_rows(cat, dt.date.today())
df = pd.DataFrame(rows, columns=["section", "entry", "field", "value", "low", "high", "source", "as_of", "derived",
                                 "stale", "note"])
n_stale = int(df["stale"].sum()) if len(df) else 0

m1, m2, m3 = st.columns(3)
m1.metric("Numbers", len(df))
m2.metric("Stale", n_stale)
m3.metric("Entries", int(df[["section", "entry"]].drop_duplicates().shape[0]) if len(df) else 0)
if n_stale:
    st.warning(f"{n_stale} numbers are older than {STALE_AFTER_DAYS} days: check their sources before relying on them.",
               icon=":material/schedule:")

c1, c2, c3 = st.columns([1, 1, 2])
section = c1.selectbox("Section", ["all", "gpus", "pipelines", "apis", "rentals", "defaults"], key="cat_section")
only_stale = c2.toggle("Only stale", key="cat_only_stale")
query = c3.text_input("Filter (entry, field or source contains)", key="cat_query")

view = df
if section != "all":
    view = view[view["section"] == section]
if only_stale:
    view = view[view["stale"]]
if query.strip():
    q = query.strip().lower()
    view = view[view["entry"].str.lower().str.contains(q, regex=False)
                | view["field"].str.lower().str.contains(q, regex=False)
                | view["source"].str.lower().str.contains(q, regex=False)]

st.session_state["catalog_view_rows"] = len(view)


def _num(v) -> str:
    """A catalog number as text, 6 significant digits, never scientific notation (parameter counts, tiny prices)."""
    return "" if v is None or v != v else number(float(v), 6, trim=True)


st.dataframe(
    view.assign(stale=view["stale"].map({True: "⚠ stale", False: ""}),
                **{c: view[c].map(_num) for c in ("value", "low", "high")}),
    key="catalog_table",
    hide_index=True,
    width="stretch",
    column_config={
        "as_of": st.column_config.DateColumn("as of"),
        "source": st.column_config.TextColumn("source", width="large"),
    },
)
from advisor.fmt import csv_cell  # noqa: E402  (cells starting with = + - @ neutralised)

st.download_button("Download catalog numbers (CSV)", view.map(csv_cell).to_csv(index=False).encode(), "catalog.csv", "text/csv",
                   key="cat_csv", on_click="ignore")
