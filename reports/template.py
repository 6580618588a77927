"""The city's blank household-list template (CONTRACT §1.2), in Vietnamese.

Prevention at the source: ID and phone columns are text (Excel cannot drop leading zeros or
turn 12 digits into 9.12E+10), and the columns with fixed words have drop-downs.
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

HEADER = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số định danh cá nhân", "Số điện thoại",
          "Quan hệ với chủ hộ", "Địa chỉ", "Kết quả", "Mức tài khoản", "Trường hợp", "Ghi chú"]
WIDTHS = [6, 28, 12, 9, 18, 14, 14, 30, 16, 12, 30, 20]
CHOICES = {
    "Giới tính": ["Nam", "Nữ"],
    "Quan hệ với chủ hộ": ["Chủ hộ", "Vợ", "Chồng", "Con", "Cha", "Mẹ", "Cháu", "Anh", "Chị", "Em", "Khác"],
    "Kết quả": ["Chưa đăng ký", "Đã đăng ký", "Đã duyệt", "Chưa kích hoạt", "Đã kích hoạt"],
    "Mức tài khoản": ["Mức 1", "Mức 2"],
    "Trường hợp": ["Vắng mặt", "Không có điện thoại thông minh", "Sai số điện thoại", "Đổi số điện thoại"],
}
HEADER_ROW = 6      # 0-based: title block in rows 1–5, a blank row, the header in row 7
DATA_ROWS = 500

INSTRUCTIONS = [
    "HƯỚNG DẪN LẬP DANH SÁCH",
    "1. Mỗi tổ NDTQ lập một danh sách (một tệp hoặc một trang tính). Ghi đúng tên phường/xã, số tổ và ngày lập ở phần tiêu đề.",
    "2. Ghi từng hộ liền nhau, chủ hộ ghi trước, sau đó đến các thành viên trong hộ.",
    "3. Họ và tên ghi đầy đủ, có dấu, theo đúng căn cước.",
    "4. Ngày sinh ghi theo dạng ngày/tháng/năm (ví dụ 07/03/1985); nếu chỉ biết năm sinh thì ghi năm (ví dụ 1985).",
    "5. Số định danh cá nhân ghi đủ 12 chữ số (kể cả số 0 ở đầu). Không dùng số CMND 9 số.",
    "6. Số điện thoại ghi số đã đăng ký tài khoản định danh điện tử, đủ 10 chữ số (ví dụ 0912345678).",
    "7. Các cột Giới tính, Quan hệ với chủ hộ, Kết quả, Mức tài khoản, Trường hợp: chọn trong danh sách thả xuống.",
    "8. Không xóa, đổi tên hay chèn thêm cột; không gộp ô trong phần danh sách.",
    "9. Nếu gửi lại danh sách đã sửa, ghi ngày lập mới ở tiêu đề: danh sách mới nhất sẽ thay danh sách cũ.",
    "10. Lưu tệp dạng Excel (.xlsx), không đặt mật khẩu.",
]


def write_template(path: Path, ward_line: str = "PHƯỜNG/XÃ: ....................",
                   group_line: str = "Tổ NDTQ số: ....  -  Khu phố/Ấp: ....") -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    bold = wb.add_format({"bold": True})
    title = wb.add_format({"bold": True, "font_size": 13, "align": "center"})
    head = wb.add_format({"bold": True, "border": 1, "text_wrap": True, "align": "center", "valign": "vcenter",
                          "bg_color": "#DDEBF7"})
    text = wb.add_format({"num_format": "@", "border": 1})
    date = wb.add_format({"num_format": "dd/mm/yyyy", "border": 1})
    cell = wb.add_format({"border": 1})

    ws = wb.add_worksheet("Danh sách")
    ws.write_string(0, 0, "UBND THÀNH PHỐ RẠCH GIÁ", bold)
    ws.write_string(1, 0, ward_line, bold)
    ws.merge_range(2, 0, 2, len(HEADER) - 1,
                   "DANH SÁCH CÔNG DÂN ĐĂNG KÝ, KÍCH HOẠT TÀI KHOẢN ĐỊNH DANH ĐIỆN TỬ", title)
    ws.write_string(3, 0, group_line)
    ws.write_string(4, 0, "Ngày ..../..../20....")
    for c, (h, w) in enumerate(zip(HEADER, WIDTHS)):
        ws.write_string(HEADER_ROW, c, h, head)
        fmt = text if h in ("Số định danh cá nhân", "Số điện thoại", "Họ và tên", "Địa chỉ", "Ghi chú") else (
            date if h == "Ngày sinh" else cell)
        ws.set_column(c, c, w, fmt)
    first, last = HEADER_ROW + 1, HEADER_ROW + DATA_ROWS
    for h, values in CHOICES.items():
        c = HEADER.index(h)
        ws.data_validation(first, c, last, c, {
            "validate": "list", "source": values, "error_type": "warning",
            "input_title": h, "input_message": "Chọn trong danh sách",
        })
    c = HEADER.index("Số định danh cá nhân")
    ws.data_validation(first, c, last, c, {
        "validate": "length", "criteria": "==", "value": 12, "error_type": "warning",
        "input_title": "Số định danh cá nhân", "input_message": "Đủ 12 chữ số, kể cả số 0 ở đầu",
        "error_title": "Số định danh cá nhân", "error_message": "Số định danh cá nhân phải có đúng 12 chữ số.",
    })
    c = HEADER.index("Số điện thoại")
    ws.data_validation(first, c, last, c, {
        "validate": "length", "criteria": "==", "value": 10, "error_type": "warning",
        "error_title": "Số điện thoại", "error_message": "Số điện thoại di động có 10 chữ số.",
    })
    ws.freeze_panes(HEADER_ROW + 1, 2)
    ws.set_row(HEADER_ROW, 32)
    ws.write_string(last + 2, 1, "NGƯỜI LẬP DANH SÁCH", bold)
    ws.write_string(last + 2, 8, "TỔ TRƯỞNG", bold)

    guide = wb.add_worksheet("Hướng dẫn")
    guide.set_column(0, 0, 120)
    guide.write_string(0, 0, INSTRUCTIONS[0], title)
    for i, line in enumerate(INSTRUCTIONS[1:], start=2):
        guide.write_string(i, 0, line)
    wb.close()
    return path
