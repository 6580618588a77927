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
    households/<MA_DVHC>/to_NN_bo_sung.xlsx        resubmission; replaces to_NN.xlsx or a book sheet
    households/<MA_DVHC>/to_NN_loiK.xlsx, bao_cao_tien_do_K.xlsx, households/khac/xa_*.xlsx
                                                   rejected whole (corrupt, no header, unknown ward)
"""

from .core import generate

__all__ = ["generate"]
