"""Synthetic Rạch Giá: a realistic inbox for `reconcile run` plus its ground truth.

    from synth import generate
    meta = generate(Path("demo"), scale="small", seed=1, clean=False)   # also writes meta.json

Modules, in the order the data flows:
    geo.py          wards, neighbouring places, streets, agencies, scale presets
    names.py        surname / middle / given-name frequency tables (Kinh and Khmer)
    population.py   households, people, IDs, phones, account statuses, identity exports
    lists.py        who is on which group list, duplicates, out-of-area people, recent arrivals
    errors.py       content errors on list rows; row truth by CONTRACT §3 rules
    layouts.py      file plan and surface variations (truth-preserving unless recorded)
    kinds.py        files as offices really save them: invisible characters, legacy fonts,
                    dates written many ways, headers by meaning, abbreviated ward names
    writers.py      xlsx / csv / gzip writers, registry and identity files
    units.py        agencies, cadre assignments, staff rosters and the unit findings
    core.py         generate(): wires everything, writes truth/rows.csv, discrepancies.csv, meta.json

Household files (clean=True: only the first form, every group):
    households/<MA_DVHC>/to_NN.xlsx                one group, sheet "Tổ N", canonical template
    households/<MA_DVHC>/{To N,DS_toNN,danh sach to N}.xlsx   one group, varied style
    households/<MA_DVHC>/{DS_<code>,tong_hop_<code>,danh_sach_<ward>}.xlsx
                                                   ward workbook, one sheet per group ("Tổ 5", "TO 05")
    households/<MA_DVHC>/{tong_hop_<phuong|xa>,<code>_toan_<phuong|xa>,ds_<ward>}.{xlsx,csv}
                                                   one sheet for several groups, "Phường/xã" + "Tổ NDTQ" columns
    households/<MA_DVHC>/to_NN.csv                 one group, CSV with a title block
    households/<MA_DVHC>/to_NN/danh_sach.{xlsx,csv}   ward and group only in the folder names
    households/<MA_DVHC>/<khu_pho_K|ap_x>/<name>.xlsx  deeper folder, group in the title
    households/<MA_DVHC>/{to_NN_bo_sung,to_NN_moi,DS to NN bo sung,...}.xlsx
                                                   resubmission; replaces the group's older file or a
                                                   book sheet (or a book sheet "Tổ N (bổ sung)" replaces
                                                   "Tổ N" in the same book). Each pair is decided by one
                                                   step of the reader's order, named in meta "superseded":
                                                   title_date, modified_time or file_name; some state a
                                                   date on one side only, some on neither
    households/<MA_DVHC>/to_NN_loiK.xlsx, bao_cao_tien_do_K.xlsx, households/khac/xa_*.xlsx
                                                   rejected whole (corrupt, no header, unknown ward);
                                                   with the formula workbooks below they sit in a few
                                                   "rejection wards" (small 1, city 3, province ~10 %),
                                                   whose NOT_LISTED the truth withholds

Files as offices really save them (clean=False; kinds.py, chosen in layouts._file_kinds and
layouts._surface_kinds; every kind at least once in a small city, listed in meta "kinds"):
    invisible characters   ~4 % of Unicode files: zero-width spaces, direction marks around
                           phones, soft hyphens, no-break spaces in IDs, names, phones, ward/group
                           cells, headers and title lines (truth unchanged)
    hidden older copy      ~3 % of one-group workbooks, ~20 % of ward workbooks: a hidden or very
                           hidden sheet "Tổ 7 (2)", "Tổ 7 cũ" with older statuses (meta
                           "hidden_sheets"; in no truth file)
    merged cells           ~half the ward-wide sheets, ~30 % of group sheets with Phường/xã + Tổ
                           columns: those cells merged down each group or the sheet, addresses
                           down a household (truth unchanged)
    legacy fonts           ~2 % of one-group files: TCVN3 or VNI text in a workbook (the cp1252
                           reading of the font's bytes) or a one-byte CSV (truth unchanged)
    Unicode Text           ~25 % of the spare CSVs: UTF-16 LE with BOM, tab-separated, .txt/.csv
    formulas, no values    1 (small), 4 (city), 30 (province) one-group workbooks whose ID cells are
                           =TEXT(helper,"000000000000") never computed: rejected whole, rows in no
                           truth file, NOT_LISTED withheld for the ward (meta "withheld")
    stray far cell         ~3 % of workbooks: one character at XFD1048576, A1048576 or XFD3
    dates many ways        ~30 % of dated titles: "Ngày báo cáo: 05/11/2023", "Cập nhật đến ngày
                           5-11-2023", "Rạch Giá, ngày 05 tháng 11 năm 2023" (often in the signature
                           block), "Tính đến 17 giờ ngày 05.11.2023", "(đến ngày 5/11)", "05/11/23"
    headers by meaning     ~8 % of lists, ~25 % of assignment files, ~20 % of staff rosters
    ward abbreviations     ~8 % of title blocks, ~25 % of Phường/xã columns and ~20 % of
                           assignment files: "P. An Hòa", "X.Phi Thông", "Ph. Vinh Thanh Van"
    no group column        one cadre-assignment file (small/city; 3 at province) whose Tổ column is
                           missing or headed "Ghi chú 2": rejected whole, GROUP_UNASSIGNED withheld
                           for its ward, CADRE_* only from rows that are read
"""

from .core import generate

__all__ = ["generate"]
