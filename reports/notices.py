"""Result notices (dispatch 969 item 3): one Word document per ward and per agency, rendered
with docxtpl from the editable template ``reports/templates/thong_bao_ket_qua.docx``; who issues
and signs them comes from the campaign file's [notice] section.

A ward's annex lists its groups against their phase (its people to visit, often thousands, are
in the ward's workbook, sheet "Cần đến nhà"); an agency's annex lists each staff member not yet
activated, then the eligible household members of its staff not yet activated, each with the
staff member they belong to. National IDs are masked unless the campaign says otherwise.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2
import pandas as pd
from docxtpl import DocxTemplate

from findings.campaign import Campaign
from findings.progress import in_keys, records_by_id
from parallel import process_pool, worker_count
from reports.labels import ACCOUNT_LABELS, STATE_LABELS, natural, slug, vi_date, vi_int, vi_pct

TEMPLATE = Path(__file__).resolve().parent / "templates" / "thong_bao_ket_qua.docx"
NOTICE_COLUMNS = ["unit_kind", "unit_code", "unit_name", "document"]
# ~75 ms a document: a city's 60 notices are worth a pool of processes, a test's 6 are not
NOTICES_PARALLEL_MIN = 24


def mask_id(identity_id: str) -> str:
    """'091085001234' → '091******234': enough to tell people apart on paper, not to misuse."""
    s = str(identity_id or "")
    return f"{s[:3]}******{s[-3:]}" if len(s) == 12 else s


@dataclass
class NoticeData:
    """What the notices are made of. units: findings.progress UNIT_COLUMNS; cadres: CADRE_COLUMNS;
    households: HOUSEHOLD_COLUMNS; people: matchers.people.link_people rows (+ unit_name);
    recs: normalised export (identity_id, name, birth_date, status)."""

    units: pd.DataFrame
    cadres: pd.DataFrame
    households: pd.DataFrame
    people: pd.DataFrame
    recs: pd.DataFrame
    summary: dict
    campaign: Campaign


def _base(d: NoticeData) -> dict:
    n = d.campaign.notice
    run = dt.date.fromisoformat(d.summary["as_of"])
    return {
        "issuer_parent": n.get("issuer_parent", ""), "issuer": n.get("issuer", ""),
        "issuer_short": n.get("issuer_short", "cơ quan Công an"), "number": n.get("number", "      /TB"),
        "place": n.get("place", ""), "day": f"{run:%d}", "month": f"{run:%m}", "year": f"{run:%Y}",
        "dispatch": n.get("dispatch", ""), "as_of": vi_date(d.summary["as_of"]),
        "export_date": vi_date(d.summary.get("export_date", "")),
        "deadline": f"{d.campaign.deadline:%d/%m/%Y}", "recipients": list(n.get("recipients", [])),
        "signer_title": n.get("signer_title", ""), "signer_name": n.get("signer_name", ""),
    }


def _ward_context(d: NoticeData, u) -> dict:
    c = d.cadres[d.cadres["ward_code"] == u.unit_code]
    groups = c.drop_duplicates("group_no")
    figures = [
        ("Chỉ tiêu được giao", vi_int(u.target)),
        ("Công dân đủ 14 tuổi", vi_int(u.eligible)),
        ("Đã kích hoạt", vi_int(u.activated)),
        ("Tỷ lệ so với chỉ tiêu", vi_pct(u.activated / u.target if u.target else float("nan"))),
        ("Tỷ lệ so với công dân đủ 14 tuổi", vi_pct(u.activated / u.eligible if u.eligible else float("nan"))),
        ("Tổ NDTQ: tổng số / có danh sách / chưa có cán bộ phụ trách",
         f"{vi_int(u.groups)} / {vi_int(u.groups_with_list)} / {vi_int(u.groups_unassigned)}"),
        ("Cán bộ phụ trách: tổng số / đã kích hoạt", f"{vi_int(u.members)} / {vi_int(u.members_activated)}"),
        ("Người thân trong hộ của cán bộ phụ trách đủ 14 tuổi: đã kích hoạt / tổng số",
         f"{vi_int(u.household_activated)} / {vi_int(u.household_eligible)}"),
    ]
    lines = []
    if u.groups_unassigned:
        lines.append(f"Còn {vi_int(u.groups_unassigned)} tổ NDTQ chưa được phân công cán bộ phụ trách.")
    not_active = int(u.members_found - u.members_activated)
    if not_active:
        lines.append(f"Còn {vi_int(not_active)} cán bộ phụ trách chưa kích hoạt tài khoản của mình.")
    if u.groups_late:
        lines.append(f"Có {vi_int(u.groups_late)} tổ quá hạn của đợt mà chưa hoàn thành.")
    lines.append("Danh sách người dân cần đến nhà hướng dẫn (theo khu phố, tổ, hộ) có trong tệp kết quả đối chiếu "
                 "của phường/xã, trang \"Cần đến nhà\".")
    annex = [{"cells": [g.quarter, g.group_no, g.cadre_name, f"{g.phase} ({vi_date(g.due)})",
                        f"{vi_int(g.activated)} / {vi_int(g.eligible)} ({vi_pct(g.rate) if g.has_list else '—'})",
                        STATE_LABELS.get(g.state, g.state)]}
             for g in groups.sort_values(["quarter", "group_no"], key=lambda s: s.map(natural)).itertuples()]
    return {"unit_name": u.unit_name, "figures": [{"label": a, "value": b} for a, b in figures],
            "lines": lines, "annex_title": "TIẾN ĐỘ CÁC TỔ NDTQ THEO ĐỢT",
            "request": ("chỉ đạo các tổ công tác đến từng hộ theo danh sách \"Cần đến nhà\", hoàn thành các tổ "
                        "theo thời hạn của từng đợt tại Phụ lục kèm theo"),
            "annex_headers": ["Khu phố", "Tổ", "Cán bộ phụ trách", "Đợt (hạn)", "Đã kích hoạt / đủ 14 tuổi",
                              "Tình trạng"],
            "annex": annex, "annex_note": "" if annex else "Chưa có danh sách phân công cán bộ phụ trách."}


def _agency_context(u, mask: bool, rec: pd.DataFrame, staff: pd.DataFrame, waiting_members: pd.DataFrame) -> dict:
    """staff: the agency's staff rows (people); waiting_members: its staff's household members
    eligible and not activated (households)."""
    found = staff[staff["identity_id"] != ""].drop_duplicates("identity_id")
    status = found["identity_id"].map(rec["status"]).fillna("")
    waiting = found[status != "activated"]
    h = waiting_members.drop_duplicates("identity_id")
    show = mask_id if mask else (lambda s: s)
    annex = [{"cells": [str(i), rec["name"].get(p.identity_id, p.name), vi_date(rec["birth_date"].get(p.identity_id, "")),
                        show(p.identity_id), "Cán bộ, nhân viên của đơn vị",
                        ACCOUNT_LABELS.get(rec["status"].get(p.identity_id, ""), "")]}
             for i, p in enumerate(waiting.itertuples(), start=1)]
    start = len(annex) + 1
    annex += [{"cells": [str(i), m.name, vi_date(m.birth_date), show(m.identity_id),
                         f"Người thân trong hộ của {m.person_name}", ACCOUNT_LABELS.get(m.status, m.status)]}
              for i, m in enumerate(h.sort_values(["person_name", "name"]).itertuples(), start=start)]
    not_found = staff[staff["identity_id"] == ""]
    figures = [
        ("Cán bộ, công chức, viên chức, người lao động trong danh sách", vi_int(u.members)),
        ("Tìm thấy trong dữ liệu định danh", vi_int(u.members_found)),
        ("Đã kích hoạt", f"{vi_int(u.members_activated)} ({vi_pct(u.rate)})"),
        ("Chưa kích hoạt", vi_int(u.members_found - u.members_activated)),
        ("Người thân trong hộ đủ 14 tuổi: đã kích hoạt / tổng số",
         f"{vi_int(u.household_activated)} / {vi_int(u.household_eligible)}"
         + (f" ({vi_pct(u.household_activated / u.household_eligible)})" if u.household_eligible else "")),
    ]
    lines = []
    if len(not_found):
        lines.append(f"{vi_int(len(not_found))} người trong danh sách chưa tìm thấy trong dữ liệu định danh "
                     "(số định danh, họ tên hoặc ngày sinh chưa đúng): đề nghị kiểm tra lại và gửi bổ sung.")
    if not u.members:
        lines.append("Đơn vị chưa gửi danh sách cán bộ, công chức, viên chức, người lao động.")
    return {"unit_name": u.unit_name, "figures": [{"label": a, "value": b} for a, b in figures],
            "lines": lines, "annex_title": "DANH SÁCH CHƯA KÍCH HOẠT TÀI KHOẢN ĐỊNH DANH ĐIỆN TỬ",
            "request": ("chỉ đạo rà soát, hướng dẫn những người có tên tại Phụ lục kèm theo đăng ký, kích hoạt "
                        "tài khoản định danh điện tử"),
            "annex_headers": ["STT", "Họ và tên", "Ngày sinh", "Số định danh", "Quan hệ với đơn vị", "Tài khoản"],
            "annex": annex, "annex_note": "Số định danh được che một phần." if mask and annex else ""}


def notice_jobs(folder: Path, d: NoticeData, template: Path = TEMPLATE) -> tuple[list[tuple], pd.DataFrame]:
    """What ``write_notices`` renders, without rendering it: (jobs, each ``(template, context,
    output path)`` for ``_render``; NOTICE_COLUMNS, one row per document, path relative to
    ``folder``). Makes the folders ``folder/thong_bao/{phuong_xa,co_quan}``."""
    mask = bool(d.campaign.notice.get("mask_ids", True))
    base = _base(d)
    staff = d.people[d.people["kind"] == "staff"]
    rec = records_by_id(_staff_records(d.recs, staff))
    # split once by agency (a province has ~400 agencies: filtering the whole frames per agency took 10 s)
    hh = d.households
    waiting = hh[(hh["kind"] == "staff") & hh["eligible"] & ~hh["activated"]]
    staff_of, waiting_of = (dict(tuple(f.groupby("unit_code", sort=False))) for f in (staff, waiting))
    written, jobs = [], []
    for u in d.units.itertuples():
        if u.unit_kind == "ward":
            if not (u.groups or u.members or u.eligible):
                continue
            ctx, sub = _ward_context(d, u), "phuong_xa"
        else:
            ctx, sub = _agency_context(u, mask, rec, staff_of.get(u.unit_code, staff.iloc[:0]),
                                       waiting_of.get(u.unit_code, waiting.iloc[:0])), "co_quan"
        out = folder / "thong_bao" / sub / f"{u.unit_code}_{slug(u.unit_name)[:60]}.docx"
        out.parent.mkdir(parents=True, exist_ok=True)
        jobs.append((str(template), {**base, **ctx}, str(out)))
        written.append((u.unit_kind, u.unit_code, u.unit_name, str(out.relative_to(folder))))
    return jobs, pd.DataFrame(written, columns=NOTICE_COLUMNS)


def _staff_records(recs: pd.DataFrame, staff: pd.DataFrame) -> pd.DataFrame:
    """The export's records of the staff members the notices name (all a notice needs of it)."""
    return recs[in_keys(recs["identity_id"], staff["identity_id"])]


def write_notices(folder: Path, d: NoticeData, template: Path = TEMPLATE) -> pd.DataFrame:
    """Render every ward's and agency's notice into ``folder/thong_bao/{phuong_xa,co_quan}``.
    → NOTICE_COLUMNS, one row per document (path relative to ``folder``)."""
    jobs, written = notice_jobs(folder, d, template)
    with process_pool(worker_count(len(jobs) >= NOTICES_PARALLEL_MIN)) as pool:
        if pool is None:
            for job in jobs:
                _render(*job)
        else:   # in batches: a notice is ~75 ms of work, less than a task run's bookkeeping on Dask
            list(pool.map(_render, *zip(*jobs), chunksize=8))
    return written


def start_notices(folder: Path, d: NoticeData, pool, template: Path = TEMPLATE) -> Future:
    """``write_notices`` as one task on ``pool`` (an executor; None: done here before returning)
    → the future of its NOTICE_COLUMNS. The flow starts it before the ward workbooks' frames,
    which it computes alone (~15 s at province scale, the pool idle otherwise): the task's worker
    words and renders every notice (~40 s at province scale) while the pool's other worker takes
    the ward workbooks as they come. The task gets the export's records of the staff only."""
    if pool is None:
        done: Future = Future()
        done.set_result(write_notices(folder, d, template))
        return done
    staff = d.people[d.people["kind"] == "staff"]
    return pool.submit(_notices_here, folder, replace(d, recs=_staff_records(d.recs, staff)), template)


def _notices_here(folder: Path, d: NoticeData, template: Path) -> pd.DataFrame:
    """``write_notices`` in this process alone (a pool's worker starts no pool of its own)."""
    jobs, written = notice_jobs(folder, d, template)
    for job in jobs:
        _render(*job)
    return written


class _CompiledOnce(jinja2.Environment):
    """The environment docxtpl renders with: docxtpl compiles each part of the template (its
    XML, the same for every notice) with ``from_string`` for every document; here each part is
    compiled once per process (~20 ms of a notice's ~65 ms; a province has ~500 notices)."""

    @functools.lru_cache(maxsize=32)
    def _compiled(self, source: str) -> jinja2.Template:
        return super().from_string(source)

    def from_string(self, source, globals=None, template_class=None):
        if globals is None and template_class is None:
            return self._compiled(source)
        return super().from_string(source, globals, template_class)


_JINJA = _CompiledOnce()   # jinja2's defaults, as docxtpl's own Template(...) uses them


def _render(template: str, context: dict, out: str) -> None:
    doc = DocxTemplate(template)
    doc.render(context, jinja_env=_JINJA)
    doc.save(out)
    # python-docx's parts refer to each other: a document's XML trees (lxml's, a few MB, unseen by
    # Python's count of new objects) wait for the cyclic collector, which a run starts rarely
    # (parallel.GC_THRESHOLDS): a province's 515 notices held 3.2 GB instead of 0.7. The young
    # generations are little more than this document's objects: ~6 ms in a province run.
    del doc
    gc.collect(1)
