"""Data: what is loaded, where it came from, and (for the admin) loading a new extract."""

import secrets

import pandas as pd
import streamlit as st

from sbp.web import appdata, auth, context, memory, partnerdata
from sbp import store
from sbp.store import objective_edits, partner_edits
from sbp.display import partner_view
from sbp.ingest.partner import template_csv
from sbp.ingest.partner_entry import enter_value
from sbp.display.htmltable import table_html
from sbp.errors import ConfirmationNeeded, SbpError, StoreWriteError
from sbp.ingest import ingest, save_uploads
from sbp.display.formatting import data_stamp, literal, then
from sbp.config.settings import too_large, upload_limit_mb

ctx = context.current()
info = ctx.info

st.title("Data")
failure = store.last_failure()
if failure:
    st.warning(f"The last refresh failed at {failure['failed_at']}: {literal(failure['message'])}. "
               f"Showing the last good data, to {info.last_month:%b %Y}.", icon=":material/warning:")
if note := appdata.cube_note(ctx.inputs):
    st.warning(note, icon=":material/speed:")
st.markdown(f"**{data_stamp(info.last_month, info.loaded_at)}.** "
            + ("This store holds the **synthetic demo data**." if info.is_synthetic else ""))

st.subheader("Months loaded")
st.markdown("\n".join(f"- {literal(line)}" for line in appdata.coverage_lines(ctx.inputs)))

st.subheader("Files loaded")
# A static table, not a grid: every cell is on the page (a canvas grid cuts headers and hides cells), a file with no
# months (populations, lookups) says so, and the SHA-256 (which `python -m sbp forget` takes) wraps instead of cutting.
st.markdown(table_html(appdata.files_table(appdata.loaded_files(ctx.inputs)), numeric=("Rows", "Months replaced"),
                       cell_style=appdata.files_cell_style),
            unsafe_allow_html=True)

st.subheader("Objective status changes")
changes = objective_edits.audit_log()
if not changes:
    st.caption("No objective or sub-objective status has been changed on the dashboard; the statuses are as shipped "
               "in data/objectives.toml.")
else:
    titles = {p.id: p.title for p in ctx.config.priorities}
    st.markdown(table_html(pd.DataFrame({
        "When": [c["changed_at"].replace("T", " ") for c in changes], "Who": [c["changed_by"] for c in changes],
        "Priority": [titles.get(c["priority"], c["priority"]) for c in changes],
        "Objective": [c["number"] for c in changes],
        "Status": [f"{c['old_status']} -> {c['new_status']}" if c["old_status"] != c["new_status"] else c["new_status"]
                   for c in changes],
        "Evidence changed": ["Yes" if c["old_evidence"] != c["new_evidence"] else "No" for c in changes],
    })), unsafe_allow_html=True)

st.subheader("Partner measures")
st.caption("What partners count (CCTV, Trading Standards, council services) is loaded as a partner-measures file: one "
           "row per measure, period, area and source, in the measure's own unit (count, pounds, people or percent). "
           "Fill in the template (CSV; Excel opens it, and a workbook saved as .xlsx loads too) and load it below. The "
           "measures are defined in data/partner_measures.toml; docs/data-formats.md describes every column.")
st.download_button("Download the partner-measures template (CSV)", template_csv().encode("utf-8"),
                   file_name="partner_measures_template.csv", mime="text/csv", key="data_partner_template",
                   icon=":material/download:")
partner_changes = partner_edits.audit_log()
if partner_changes:
    st.markdown("**Partner values entered or corrected on this page**")
    st.markdown(table_html(partner_view.audit_table(partner_changes, partnerdata.measures())), unsafe_allow_html=True)

st.subheader("Load a new extract")
st.caption("Series the MPS does not publish as a file, such as ASB calls, are loaded as long-format counts: a CSV with "
           "the columns month,area,category,count, one row per month, area and series (for example "
           "2023-11,Bromley,ASB calls,812). See docs/data-formats.md for every format.")
admin = auth.admin_from_secrets(st.secrets)
if admin is None:
    weak = auth.configured_hash_problem(st.secrets)
    st.info("Uploading is turned off because no admin is configured"
            + (f" ({weak})" if weak else "") + ". An administrator can enable it by adding an "
            "[admin] section to .streamlit/secrets.toml (see docs/settings-and-operations.md), or load files with `python -m sbp ingest`.",
            icon=":material/lock:")
elif not st.session_state.get("data_admin"):
    with st.form("data_login"):
        username = st.text_input("Admin username")
        password = st.text_input("Password", type="password")
        if st.form_submit_button("Sign in"):
            session_key = st.session_state.setdefault("login_session_key", secrets.token_hex(8))
            signed_in, refusal = auth.attempt_login(username, password, admin, session_key)
            if signed_in:
                st.session_state["data_admin"] = username.strip()
                st.rerun()
            else:
                st.error(literal(refusal))
else:
    limit_mb, xlsx_limit_mb = upload_limit_mb(ctx.settings, ".csv"), upload_limit_mb(ctx.settings, ".xlsx")
    st.caption(f"Signed in as {literal(st.session_state['data_admin'])}. MPS borough/ward/LSOA extracts, police.uk street-level "
               f"files, long-format counts or populations (CSV, up to {limit_mb} MB each), and the MPS Monthly Crime "
               f"Dashboard workbook (.xlsx up to {xlsx_limit_mb} MB, or its CSV export). All files load or none do.")
    uploads = st.file_uploader("CSV or .xlsx files", type=["csv", "xlsx"], accept_multiple_files=True, key="data_uploads",
                               max_upload_size=max(limit_mb, xlsx_limit_mb))
    # A file held for confirmation (much smaller than the months it replaces, a lookup placing far fewer rows) is
    # loaded only when the same files are loaded again with "Replace anyway" ticked.
    upload_key = [(u.name, u.size) for u in uploads or []]
    held = st.session_state.get("data_held")
    replace_anyway = False
    if held and held[0] == upload_key:
        st.warning(literal(held[1]), icon=":material/warning:")
        replace_anyway = st.checkbox("Replace anyway", key="data_replace_anyway",
                                     help="Load these files even though they replace more than they bring.")
    if uploads and st.button("Load these files", type="primary", key="data_load"):
        st.session_state.pop("data_held", None)
        too_big = [u.name for u in uploads if too_large(ctx.settings, u.name, u.size)]
        if too_big:
            st.error(f"{literal(', '.join(too_big))}: larger than the {upload_limit_mb(ctx.settings, too_big[0])} MB "
                     "limit for such files; load it with `python -m sbp ingest`.")
        else:
            try:
                # Each upload in its own folder: two files with the same name are both kept, loaded and reported.
                with store.upload_dir() as tmp, st.status("Loading...", expanded=True) as box:
                    try:
                        paths = save_uploads(uploads, tmp)
                        summaries = ingest(paths, progress=lambda message: box.markdown(literal(message)),
                                           force=replace_anyway, replace_lookup=replace_anyway)
                    except ConfirmationNeeded as exc:
                        box.update(label="Held: nothing was loaded", state="error")
                        st.session_state["data_held"] = (upload_key, str(exc))
                    except SbpError as exc:
                        box.update(label="Nothing was loaded", state="error", expanded=True)  # the reason is inside
                        st.error(literal(exc) if isinstance(exc, StoreWriteError)  # which says so itself
                                 else then(literal(exc), "The data shown is unchanged."))
                    else:
                        box.update(label="Loaded", state="complete", expanded=True)  # the summary is inside
                        names = [s.file_name for s in summaries]
                        for number, summary in enumerate(summaries, 1):
                            again = f"upload {number} of {len(summaries)}: " if names.count(summary.file_name) > 1 else ""
                            st.markdown(literal(again + summary.describe()))
                        st.success("Every page now shows the new data.")
            except SbpError as exc:  # the data folder could not be written (read-only, disk full)
                st.error(literal(exc))  # the status box is not drawn: upload_dir() failed before it
            if "data_held" in st.session_state:
                st.rerun()  # the warning and "Replace anyway" stand above the button (the files are kept for it)
        memory.release_uploads("data_uploads", uploads)  # loaded or refused: the session keeps no copy
    choices = partnerdata.measures()
    if choices:
        st.markdown("**Add or correct one partner value**")
        with st.form("data_partner_entry"):
            entry_measure = st.selectbox("Partner measure", list(choices), format_func=lambda m: choices[m].label)
            entry_period = st.text_input("Period", placeholder="2021-06, 2021/22 Q1, 2021/22 or 2021")
            entry_area = st.text_input("Area (borough or ward, name or ONS code)", value=ctx.borough)
            entry_value = st.text_input("Value (in the measure's unit)")
            entry_source = st.text_input("Source (the partner; empty: the measure's own)")
            entry_target = st.text_input("Target (optional)")
            entry_note = st.text_input("Note (optional)")
            if st.form_submit_button("Save this value"):
                try:
                    done = enter_value(entry_measure, entry_period, entry_area, entry_value,
                                       entry_source or choices[entry_measure].source, st.session_state["data_admin"],
                                       note=entry_note, target=entry_target)
                except SbpError as exc:
                    st.error(then(literal(exc), "Nothing was changed."))
                else:
                    st.success(f"Saved: {literal(done)}. Every page now shows it; the change is in the audit trail "
                               "above.")
    if st.button("Sign out", key="data_signout", type="tertiary"):
        st.session_state.pop("data_admin", None)
        st.rerun()
