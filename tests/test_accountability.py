"""Dispatch 969 items 1–3: cadres and staff found like household rows (a typo in a roster's ID
still finds the person), their households, each cadre's groups against their phase, and one row
of figures per unit kept in the warehouse."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import warehouse
from findings.campaign import CampaignError, load_campaign
from intake.inbox import read_inbox
from reconcile import stages
from tests.workbooks import CANONICAL_HEADER, minimal_inbox, person, title_block, write_xlsx

AS_OF = dt.date(2023, 10, 25)
EXPORT = [
    "091085001234,Nguyễn Văn Hùng,1985-03-07,Nam,H1,Chủ hộ,30733,1 Lê Lợi,0912345678,2,DA_KICH_HOAT,2023-09-01,2023-10-25",
    "091187002345,Trần Thị Hòa,1987-05-01,Nữ,H1,Vợ,30733,1 Lê Lợi,0987654321,0,CHUA_DANG_KY,,2023-10-25",
    "091212003456,Nguyễn Thị Lan,2012-02-02,Nữ,H1,Con,30733,1 Lê Lợi,,0,CHUA_DANG_KY,,2023-10-25",
    "091090004567,Lâm Văn Sơn,1990-07-07,Nam,H2,Chủ hộ,30733,2 Lê Lợi,0911111111,2,DA_DUYET,,2023-10-25",
    "091192005678,Danh Thị Mai,1992-08-08,Nữ,H2,Vợ,30733,2 Lê Lợi,,2,DA_KICH_HOAT,2023-10-20,2023-10-25",
]
# The rest of the city: a name's weight depends on how rare it is in the export (term
# frequency), so a five-person export would make every name common.
EXPORT += [f"0911{90 + i % 10:02d}{100000 + i:06d},Người Số {i},19{90 + i % 10}-01-01,Nam,F{i},Chủ hộ,30766,,,0,"
           f"CHUA_DANG_KY,,2023-10-25" for i in range(3000)]
ASSIGNMENT_HEADER = ["STT", "Họ và tên", "Số định danh cá nhân", "Đơn vị công tác", "Số điện thoại", "Phường/xã",
                     "Tổ NDTQ phụ trách"]
STAFF_HEADER = ["STT", "Họ và tên", "Ngày sinh", "Số định danh cá nhân", "Chức vụ", "Đối tượng"]


def _inbox(root: Path) -> Path:
    inbox = minimal_inbox(root, EXPORT)
    (inbox / "registry" / "groups.csv").write_text(
        "MA_DVHC,TO_SO,KHU_PHO,SO_HO\n30733,1,Khu phố 1,30\n30733,2,Khu phố 1,30\n30733,3,Khu phố 2,25\n",
        encoding="utf-8")
    (inbox / "registry" / "agencies.csv").write_text(
        "MA_DON_VI,TEN_DON_VI,LOAI\nDV0001,Công an thành phố Rạch Giá,Cơ quan nhà nước\n"
        "DV0002,Trường THCS Vĩnh Thanh Vân,Trường học\nDV0003,Hội Nông dân thành phố,Tổ chức chính trị - xã hội\n",
        encoding="utf-8")
    # Group 1: household H1 (Hùng, Hòa listed; the child Lan is under 14). Group 2: H2, Sơn only.
    write_xlsx(inbox / "households" / "30733" / "to_01.xlsx", {"Tổ 1": title_block(
        "PHƯỜNG VĨNH THANH VÂN", "Tổ NDTQ số 01") + [CANONICAL_HEADER,
        person(1, "Nguyễn Văn Hùng", dt.date(1985, 3, 7), "Nam", "091085001234"),
        person(2, "Trần Thị Hòa", dt.date(1987, 5, 1), "Nữ", "091187002345", relation="Vợ", result="Chưa đăng ký")]})
    write_xlsx(inbox / "households" / "30733" / "to_02.xlsx", {"Tổ 2": title_block(
        "PHƯỜNG VĨNH THANH VÂN", "Tổ NDTQ số 02") + [CANONICAL_HEADER,
        person(1, "Lâm Văn Sơn", dt.date(1990, 7, 7), "Nam", "091090004567", result="Đã duyệt")]})
    # The cadre Sơn: groups 1 and 2 on the ward's list; group 3 on a list sent later, his ID
    # mistyped there (…4568): one person, three groups, over two files.
    title = [["UBND PHƯỜNG VĨNH THANH VÂN"], ["DANH SÁCH LỰC LƯỢNG"], []]
    write_xlsx(inbox / "assignments" / "30733.xlsx", {"Lực lượng": title + [ASSIGNMENT_HEADER,
        [1, "Lâm Văn Sơn", "091090004567", "Công an phường", "0911111111", "Vĩnh Thanh Vân", "2; 1"]]})
    write_xlsx(inbox / "assignments" / "30733_bo_sung.xlsx", {"Bổ sung": title + [ASSIGNMENT_HEADER,
        [1, "Lâm Văn Sơn", "091090004568", "Công an phường", "", "Vĩnh Thanh Vân", "3"]]})
    # The police's roster: Sơn again (a cadre who is also staff), Hòa with one digit wrong
    # (…2354, transposed), and a man the export does not know.
    write_xlsx(inbox / "staff" / "DV0001.xlsx", {"Danh sách": [["CÔNG AN THÀNH PHỐ RẠCH GIÁ"], [], STAFF_HEADER,
        [1, "Lâm Văn Sơn", dt.date(1990, 7, 7), "091090004567", "Cán bộ", "Cán bộ"],
        [2, "Trần Thị Hòa", dt.date(1987, 5, 1), "091187002354", "Nhân viên", "Người lao động"],
        [3, "Phạm Văn Tư", "", "091199999999", "Nhân viên", "Người lao động"]]})
    # The school's roster: Mai's ID cell left empty; her name and birth date find her.
    write_xlsx(inbox / "staff" / "DV0002.xlsx", {"Danh sách": [["TRƯỜNG THCS VĨNH THANH VÂN"], [], STAFF_HEADER,
        [1, "Danh Thị Mai", dt.date(1992, 8, 8), "", "Giáo viên", "Viên chức"]]})
    return inbox


@pytest.fixture
def found(tmp_path):
    data = read_inbox(_inbox(tmp_path / "inbox"))
    assert not data.rejected, data.rejected
    return data, stages.find(data, stages.link_rows(stages.validate_and_normalize(data)), AS_OF)


def test_a_roster_with_a_one_digit_id_typo_still_finds_its_person(found):
    data, f = found
    people = f.people.set_index(["source", "row"])
    hoa = people.loc[("staff/DV0001.xlsx", 5)]
    assert (hoa["match_status"], hoa["identity_id"], hoa["method"]) == ("matched", "091187002345", "id_fuzzy")
    son_later = people.loc[("assignments/30733_bo_sung.xlsx", 5)]
    assert (son_later["match_status"], son_later["identity_id"]) == ("matched", "091090004567")
    # the one nobody can find is kept, with a reason a person can act on, never dropped
    mai = people.loc[("staff/DV0002.xlsx", 4)]
    assert (mai["match_status"], mai["identity_id"], mai["method"]) == ("matched", "091192005678", "name_dob")
    tu = people.loc[("staff/DV0001.xlsx", 6)]
    assert tu["match_status"] == "unmatched" and "số định danh" in tu["reason"]
    codes = f.findings[f.findings["source"] == ""].groupby("code")["identity_id"].apply(sorted).to_dict()
    assert codes["STAFF_NOT_ACTIVATED"] == ["091090004567", "091187002345"]   # judged on the found record
    assert codes["CADRE_NOT_ACTIVATED"] == ["091090004567"]                    # and as a cadre too
    assert codes["CADRE_OVERLOADED"] == ["091090004567"]                       # three groups over two files
    assert "GROUP_UNASSIGNED" not in codes


def test_households_of_staff_and_cadres(found):
    _, f = found
    h = f.households
    hoa = h[(h["kind"] == "staff") & (h["person_id"] == "091187002345")].set_index("identity_id")
    assert sorted(hoa.index) == ["091085001234", "091212003456"]
    assert bool(hoa.loc["091085001234", "eligible"]) and bool(hoa.loc["091085001234", "activated"])
    assert not hoa.loc["091212003456", "eligible"] and hoa.loc["091212003456", "age"] == 11
    son = h[h["person_id"] == "091090004567"]
    assert set(son["kind"]) == {"staff", "cadre"} and set(son["identity_id"]) == {"091192005678"}
    unit = f.units.set_index("unit_code").loc["DV0001"]
    assert (unit["members"], unit["members_found"], unit["members_activated"]) == (3, 2, 0)
    assert (unit["household_eligible"], unit["household_activated"]) == (2, 2)   # Hùng and Mai
    assert unit["findings"] == 2
    assert f.units.set_index("unit_code").loc["DV0003", "members"] == 0        # sent no roster: still a row
    school = f.units.set_index("unit_code").loc["DV0002"]
    assert (school["members"], school["members_activated"], school["rate"]) == (1, 1, 1.0)
    assert (school["household_eligible"], school["household_activated"]) == (1, 0)  # her husband Sơn


def test_cadre_phases_follow_the_order_the_groups_were_written(found, tmp_path):
    _, f = found
    c = f.cadres.set_index("group_no")
    assert list(f.cadres["group_no"]) == ["2", "1", "3"]            # "2; 1": group 2 is his first
    assert list(f.cadres["due"]) == ["2023-11-07", "2023-11-18", "2023-11-18"]
    # group 1: H1's eligible members Hùng (activated) and Hòa; the child is not eligible
    assert (c.loc["1", "eligible"], c.loc["1", "activated"], c.loc["1", "listed"]) == (2, 1, 2)
    # group 2: household H2, Sơn listed, Mai not listed but activated on 20/10: not finished
    assert (c.loc["2", "eligible"], c.loc["2", "activated"], c.loc["2", "listed"], c.loc["2", "not_listed"]) == (2, 1, 1, 1)
    assert c.loc["3", "state"] == "no_list" and not c.loc["3", "has_list"]
    assert set(f.cadres["state"]) <= {"open", "no_list"} and f.cadres["met_deadline"].isna().all()
    # after the phase-1 date, the unfinished first group is late
    data = read_inbox(tmp_path / "inbox")
    later = stages.find(data, stages.link_rows(stages.validate_and_normalize(data)), dt.date(2023, 11, 10))
    first = later.cadres.set_index("group_no").loc["2"]
    assert first["state"] == "late" and first["met_deadline"] == False  # noqa: E712


def test_a_group_finished_on_time_met_its_deadline(tmp_path):
    from findings.campaign import DEFAULT
    from findings.progress import cadre_progress, group_figures

    recs = pd.DataFrame({"identity_id": ["1", "2", "3"], "household_code": ["H", "H", "H"],
                         "birth_date": ["1980-01-01", "1981-01-01", "2015-01-01"],
                         "status": ["activated", "activated", "not_registered"],
                         "activated_on": ["2023-11-01", "2023-11-05", ""], "name": ["A", "B", "C"]})
    matches = pd.DataFrame({"match_status": ["matched"], "identity_id": ["1"], "ward_code": ["W"], "group_no": ["1"]})
    groups = group_figures(matches, recs, dt.date(2023, 12, 1), DEFAULT)
    assert groups.loc[0, "finished_on"] == pd.Timestamp("2023-11-05")   # the child is not eligible
    cadres = pd.DataFrame({"cadre_key": ["1"], "identity_id": ["1"], "name": ["A"], "unit": [""], "ward_code": ["W"],
                           "group_no": ["1"], "order": [1], "source": ["x"], "sheet": [""], "row": [5]})
    registry = pd.DataFrame(columns=["ward_code", "group_no", "quarter", "households"])
    row = cadre_progress(cadres, groups, registry, recs, dt.date(2023, 12, 1), DEFAULT).iloc[0]
    assert (row["phase"], row["due"], row["state"], row["finished_on"]) == ("Đợt 2", "2023-11-18", "finished", "2023-11-05")
    assert row["met_deadline"] == True  # noqa: E712


def test_group_residents_of_some_households_are_those_of_the_whole_vote():
    """The report asks only for NOT_LISTED residents' households: each household's vote depends
    on its own members' rows, so the restricted answer is the whole one's rows for them."""
    from findings.progress import group_residents

    recs = pd.DataFrame({"identity_id": list("123456"), "household_code": ["H1", "H1", "H1", "H2", "H2", "H3"]})
    matches = pd.DataFrame({"match_status": ["matched", "matched", "matched", "review", "matched"],
                            "identity_id": ["1", "2", "4", "5", "6"], "ward_code": ["W2", "W1", "W1", "W1", "W3"],
                            "group_no": ["7", "3", "3", "9", "1"]})
    whole = group_residents(matches, recs)
    homes = recs[recs["household_code"].isin({"H1", "H2"})]   # as reports.details narrows them
    some = group_residents(matches[matches["identity_id"].isin(homes["identity_id"])], homes)
    assert list(some["identity_id"]) == ["1", "2", "3", "4", "5"]
    assert some.reset_index(drop=True).equals(
        whole[whole["identity_id"].isin(list("12345"))].reset_index(drop=True))
    # H1: one vote each for W1/3 and W2/7, the lowest ward wins; H2 by its one matched row
    assert some.set_index("identity_id").loc["3", ["ward_code", "group_no"]].tolist() == ["W1", "3"]
    assert group_residents(matches.iloc[:0], recs.iloc[:0]).empty


def test_phase_dates_are_settings(tmp_path):
    default = load_campaign()
    assert [p.due for p in default.phases] == [dt.date(2023, 11, 7), dt.date(2023, 11, 18)]
    assert default.deadline == dt.date(2023, 11, 20)
    other = tmp_path / "next.toml"
    other.write_text('name = "next"\ndeadline = 2024-06-30\nphases = [{ name = "Đợt 1", due = 2024-05-01 }]\n',
                     encoding="utf-8")
    c = load_campaign(other)
    assert c.phase_of(0).due == c.phase_of(3).due == dt.date(2024, 5, 1)
    bad = tmp_path / "bad.toml"
    bad.write_text('deadline = 2024-06-30\nphases = [{ name = "Đợt 1", due = "mai" }]\n', encoding="utf-8")
    with pytest.raises(CampaignError, match="not a date"):
        load_campaign(bad)
    inbox = _inbox(tmp_path / "inbox")
    run = subprocess.run([sys.executable, "-m", "reconcile", "run", "--inbox", str(inbox), "--out", str(tmp_path / "o"),
                          "--campaign", str(bad)], capture_output=True, text=True)
    assert run.returncode == 2 and "not a date" in run.stderr and "Traceback" not in run.stderr


def test_cadre_phase_table_agrees_with_the_matched_rows(prefect_harness, small_city, tmp_path):
    """On the generated city, through a real flow run: each group's figures recomputed from
    matches.csv and the export (the households its matched rows name) equal cadres.csv."""
    from flows.nightly import reconcile

    with warehouse.using(f"sqlite:///{tmp_path / 'wh.sqlite'}"):
        run = Path(reconcile(inbox=str(small_city / "inbox"), out=str(tmp_path / "out"), as_of=AS_OF.isoformat()))
    cadres = pd.read_csv(run / "cadres.csv", dtype={"group_no": str, "ward_code": str, "cadre_id": str})
    matches = pd.read_csv(run / "matches.csv", dtype=str, keep_default_na=False)
    export = pd.concat(pd.read_csv(p, dtype=str, keep_default_na=False)
                       for p in sorted((small_city / "inbox" / "identity").glob("*20231025*")))
    born = pd.to_datetime(export["NGAY_SINH"].str.replace("-00-00", "-01-01"), errors="coerce")
    export["eligible"] = born <= pd.Timestamp(AS_OF.replace(year=AS_OF.year - 14))
    hh = export.set_index("SO_DINH_DANH")["MA_HO"]
    m = matches[matches["match_status"] == "matched"].assign(hh=lambda d: d["identity_id"].map(hh))
    votes = m.groupby(["hh", "ward_code", "group_no"]).size().rename("n").reset_index()
    home = votes.sort_values(["n", "ward_code", "group_no"], ascending=[False, True, True]).drop_duplicates("hh")
    on_rows = set(matches.loc[matches["match_status"].isin(["matched", "review"]), "identity_id"])
    checked = 0
    for g in cadres[cadres["has_list"]].drop_duplicates(["ward_code", "group_no"]).itertuples():
        households = set(home.loc[(home["ward_code"] == g.ward_code) & (home["group_no"] == g.group_no), "hh"])
        people = export[export["MA_HO"].isin(households) & export["eligible"]]
        assert g.eligible == len(people), g
        assert g.activated == int((people["TRANG_THAI"] == "DA_KICH_HOAT").sum()), g
        assert g.listed == int(people["SO_DINH_DANH"].isin(on_rows).sum()), g
        checked += 1
    assert checked >= 10
    # every group a cadre list assigns is in the table, first-written group in phase 1
    assert set(cadres.loc[cadres["order"] == 1, "due"]) == {"2023-11-07"}
    assert set(cadres.loc[cadres["order"] >= 2, "due"]) == {"2023-11-18"}
    # household members of staff and cadres are the generator's
    got = pd.read_csv(run / "households.csv", dtype=str, keep_default_na=False)
    want = pd.read_csv(small_city / "truth" / "households.csv", dtype=str, keep_default_na=False)
    key = ["kind", "unit_code", "person_id", "identity_id"]
    both = got.merge(want, on=key, how="outer", indicator=True, suffixes=("", "_truth"))
    assert (both["_merge"] == "both").all(), both[both["_merge"] != "both"].head()
    assert (both["eligible"] == both["eligible_truth"]).all()
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    assert summary["units"]["people"]["staff"]["rows"] == summary["units"]["people"]["staff"].get("matched")
