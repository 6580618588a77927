"""Write real workbooks and CSV files for tests, cell by cell as a person would lay them out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter

CANONICAL_HEADER = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số định danh cá nhân", "Số điện thoại",
                    "Quan hệ với chủ hộ", "Địa chỉ", "Kết quả", "Mức tài khoản", "Trường hợp", "Ghi chú"]

WARDS_CSV = "MA_DVHC,TEN,CHI_TIEU\n30733,Phường Vĩnh Thanh Vân,10\n30736,Phường Vĩnh Thanh,5\n30766,Xã Phi Thông,5\n"


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    """sheets: name → rows (None/'' = empty cell; dates written as real Excel dates)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is None or v == "":
                    continue
                if isinstance(v, dt.date):
                    ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), date_fmt)
                elif isinstance(v, (int, float)):
                    ws.write_number(r, c, v)
                else:
                    ws.write_string(r, c, v)
    wb.close()
    return path


def title_block(ward_line: str, group_line: str, date_line: str = "Ngày 20/10/2023") -> list[list]:
    return [["UBND THÀNH PHỐ RẠCH GIÁ"], [ward_line],
            ["DANH SÁCH CÔNG DÂN ĐĂNG KÝ, KÍCH HOẠT TÀI KHOẢN ĐỊNH DANH ĐIỆN TỬ"], [group_line], [date_line], []]


def person(stt, name, dob, sex, national_id, phone="", relation="Chủ hộ", result="Đã kích hoạt") -> list:
    return [stt, name, dob, sex, national_id, phone, relation, "1 Lê Lợi", result, "", "", ""]


def minimal_inbox(root: Path, export_rows: list[str] | None = None) -> Path:
    """registry + a tiny identity export; people-made files are added by each test."""
    (root / "registry").mkdir(parents=True, exist_ok=True)
    (root / "registry" / "wards.csv").write_text(WARDS_CSV, encoding="utf-8")
    (root / "registry" / "groups.csv").write_text(
        "MA_DVHC,TO_SO,KHU_PHO,SO_HO\n30733,1,Khu phố 1,30\n30733,2,Khu phố 1,30\n", encoding="utf-8")
    (root / "identity").mkdir(exist_ok=True)
    header = ("SO_DINH_DANH,HO_TEN,NGAY_SINH,GIOI_TINH,MA_HO,QUAN_HE_CHU_HO,MA_DVHC,DIA_CHI,SO_DIEN_THOAI,"
              "MUC_TAI_KHOAN,TRANG_THAI,NGAY_KICH_HOAT,NGAY_XUAT")
    rows = export_rows or [
        "091085001234,Nguyễn Văn Hùng,1985-03-07,Nam,H1,Chủ hộ,30733,1 Lê Lợi,0912345678,2,DA_KICH_HOAT,2023-09-01,2023-10-25",
        "091187002345,Trần Thị Hòa,1987-05-01,Nữ,H1,Vợ,30733,1 Lê Lợi,0987654321,0,CHUA_DANG_KY,,2023-10-25",
    ]
    (root / "identity" / "export.csv").write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return root
