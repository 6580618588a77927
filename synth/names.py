"""Name frequency tables (Kinh and Khmer) and vectorised name drawing.

Weights are relative frequencies; surnames follow published Vietnamese shares (Nguyễn ~38 %),
given names a Zipf-like curve over a long list (so common-name collisions happen naturally).
"""

from __future__ import annotations

import numpy as np

# --- Kinh surnames (percent of the population, southern mix) ----------------------------------
SURNAMES = {
    "Nguyễn": 38.0, "Trần": 11.0, "Lê": 9.5, "Phạm": 7.0, "Huỳnh": 5.0, "Phan": 4.5, "Võ": 3.9,
    "Hoàng": 3.0, "Vũ": 1.2, "Đặng": 2.0, "Bùi": 1.8, "Đỗ": 1.4, "Hồ": 1.3, "Ngô": 1.3,
    "Dương": 1.0, "Lý": 0.9, "Lâm": 0.8, "Đoàn": 0.7, "Trương": 0.8, "Tô": 0.5, "Châu": 0.5,
    "Quách": 0.4, "Mai": 0.5, "Đinh": 0.6, "Cao": 0.4, "Lưu": 0.4, "Tạ": 0.2, "Thái": 0.3,
    "Tăng": 0.2, "La": 0.2, "Từ": 0.2, "Hà": 0.4, "Kiều": 0.1, "Diệp": 0.15, "Giang": 0.1,
    "Trịnh": 0.4, "Lại": 0.1, "Mạc": 0.05, "Khưu": 0.1, "Triệu": 0.15, "Hứa": 0.2, "Âu": 0.1,
    "Phùng": 0.15, "Lương": 0.3, "Chung": 0.1, "Tống": 0.1, "Kha": 0.05, "Nghiêm": 0.05,
    "Vương": 0.15, "Quan": 0.05, "Lữ": 0.1, "Bạch": 0.05, "Đàm": 0.05, "Hầu": 0.05, "Ông": 0.05,
    "Mã": 0.1, "Tiêu": 0.05, "Doãn": 0.05, "Thân": 0.05, "Phó": 0.05, "Lục": 0.05, "Văn": 0.05,
    "Thạch": 0.1, "Danh": 0.1, "Kim": 0.1, "Sơn": 0.1, "Nhan": 0.05, "Lạc": 0.03, "Ninh": 0.05,
    "Thiều": 0.03, "Trang": 0.05, "Tiết": 0.03, "Cù": 0.05, "Vi": 0.03, "Tôn": 0.05, "Chu": 0.1,
}

# --- middle names: (name, weight) by sex; "Văn"/"Thị" shares depend on the birth cohort --------
MIDDLE_M = {
    "Hữu": 5, "Đức": 4, "Minh": 7, "Quốc": 5, "Thanh": 6, "Hoàng": 4, "Công": 3, "Ngọc": 3,
    "Tấn": 4, "Trọng": 2, "Bảo": 3, "Gia": 3, "Anh": 3, "Thành": 3, "Chí": 3, "Xuân": 2,
    "Đình": 2, "Quang": 3, "Phước": 2, "Hoài": 2, "Tuấn": 2, "Nhật": 2, "Duy": 2, "Trung": 2,
    "Thái": 1, "Hải": 2, "Kim": 1, "Thế": 2, "Khắc": 1, "Huy": 1, "Phúc": 1, "Tiến": 1,
    "Vĩnh": 1, "Thiện": 1, "Tuệ": 0.5, "Đăng": 1, "Khánh": 1, "Trường": 1,
}
MIDDLE_F = {
    "Ngọc": 8, "Thanh": 5, "Kim": 5, "Thùy": 4, "Bảo": 3, "Minh": 3, "Mỹ": 4, "Hồng": 4,
    "Thu": 3, "Phương": 3, "Diễm": 2, "Bích": 3, "Kiều": 2, "Hoài": 2, "Yến": 2, "Như": 3,
    "Quỳnh": 2, "Tuyết": 2, "Cẩm": 2, "Ánh": 2, "Gia": 2, "Khánh": 2, "Hải": 1, "Mai": 2,
    "Thảo": 2, "Xuân": 2, "Tường": 1, "Bạch": 0.5, "Huyền": 1, "Trúc": 1, "Lan": 1, "Hoàng": 1,
    "Uyên": 1, "Tú": 1, "Diệu": 1, "Thục": 0.5, "Anh": 1,
}

# --- given names: ordered most to least common; weights are Zipf over the rank ----------------
GIVEN_M = """
Hùng Dũng Tuấn Minh Hải Nam Hoàng Long Phúc Khoa Tài Thành Trung Hiếu Vinh Sơn Tâm Phong Quang
Bình Hòa Cường Đức Huy Khang Kiệt Lâm Lộc Lợi Luân Nghĩa Nhân Phát Quân Quốc Tân Thắng Thiện
Thịnh Tín Toàn Trí Trọng Tú Tùng Việt Vũ Bảo Duy Đạt Định Hào Hậu Hoài Hưng Kha Khải Khánh
Khôi Nguyên Nhật Phương Quý Sang Tấn Thái Thanh Thông Tiến Tính Triều Trường Út Vĩnh Xuân An
Anh Ân Bằng Cảnh Chiến Chính Công Danh Dương Đại Đăng Điền Đông Giang Hảo Hiển Hiệp Hội Hợp
Hữu Kiên Kỳ Lành Lập Liêm Lĩnh Luật Lực Mạnh Nhựt Ninh Pháp Phụng Phước Quyết Sĩ Sinh Tạo
Thạch Thọ Thuận Thức Tiền Toản Trình Trực Tuyền Tường Vương Vỹ Bửu Cẩn Châu Chương Đảm Được
Giàu Khiêm Lắm Lễ Lượng Mẫn Mến Mười Nhẫn Nhơn Nhứt Phận Rạng Sáu Siêng Tám Thiệt Thừa Tới
Vàng Vẹn Bé Em Hai Ba Tư Bảy Chín Đen Đực Nhỏ Huân Huấn Kiệm Lân Linh Mỹ Nghị Nhàn Phi Quới
Sáng Tài Tiên Tòng Trãi Triết Tuân Uy Văn Viễn Vĩ Xương Yên Đạo Đệ Điệp Hà Hạnh Hên Hiền
Khương Lai Luận Nhã Phú Sỹ Thi Thơ Thương Tố Trạch Trai Trinh Tuyến Túc Vân Vững Thạnh Hoan
Đoan Khởi Dân Cang Cần Dự Hoa Hùng
"""
GIVEN_F = """
Lan Hoa Thủy Hương Hạnh Thúy Linh Trang Nga Mai Hằng Phương Yến Loan Ngọc Tuyết Hồng Nhung Thảo
Vy Nhi Anh Hà Hiền Huyền Trâm Trinh Diễm Dung Duyên Giang Hải Hậu Hòa Huệ Kiều Lài Liên Liễu
Lụa Lý My Mỹ Na Ngân Nguyệt Nhàn Nhiên Như Nương Oanh Phượng Quyên Quỳnh Sen Sương Tâm Thắm
Thanh Thơ Thu Thư Thương Thùy Tiên Trà Trúc Tú Uyên Vân Vi Xuân Ánh Bích Cúc Châu Chi Đào
Điệp Gấm Hân Khánh Khuê Kim Lệ Ly Mơ Mến Ngà Nhạn Nhị Phấn Quế Tuyền Thoa Thêu Thi Tím Trân
Triều Tươi Út Vàng Xinh Bé Em Hai Ba Bảy Năm Sáu Diệu Giao Hạ Hoài Lam Nhã Phụng Sa Thục Tịnh
Tố Tuệ Thy Ngoan Hạnh Đẹp Mận Mừng Nở Nhờ Phúc Quyền Sang Sáng Thà Thanh Thiện Thông Thuận
Thủy Tình Trúc Tuyết Ửng Vui Xuyến Yên Ái An Bình Cẩm Dạ Dịu Đoan Hiếu Hoàng Hồng Huỳnh Kha
Khanh Lành Lâm Liên Loan Lựu Minh Nghi Ngọc Nhung Oanh Phi Phượng Quý Son Tài Thẩm Thắng Thể
Thoại Tiền Tốt Trầm Tuyến Uyển Vẹn Viên Xuân Yến Hường Hoan Đông Chinh Cầm Bảo Băng Ánh Ngân
Lợi Hiệp Hòa Trang
"""


def _unique(words: str) -> list[str]:
    seen: dict[str, None] = {}
    for w in words.split():
        seen.setdefault(w, None)
    return list(seen)


GIVEN_M_LIST = _unique(GIVEN_M)
GIVEN_F_LIST = _unique(GIVEN_F)

# --- Khmer families (≈12 % of Rạch Giá households) ---------------------------------------------
KHMER_SURNAMES = {"Danh": 35, "Thạch": 25, "Sơn": 12, "Kim": 10, "Lâm": 6, "Chau": 5, "Lý": 3,
                  "Trà": 2, "Huỳnh": 2}
KHMER_GIVEN_M = [
    "Sà Rươne", "Sóc Khen", "Sóc Thươl", "Chanh Đa", "Sô Phal", "Sa Rên", "Rinh", "Dền", "Sang",
    "Sóc", "Na", "Pích", "Sa Ron", "Thươl", "Kha Ra", "Sóc Kha", "Chanh", "Sóc Phon", "Mách",
    "Sà Phân", "Sóc Mênh", "Khem", "Sóc Tha", "Chiêu", "Út", "Lợi", "Sơn", "Hùng", "Bo", "Ni",
    "Tuôl", "Sa Khum", "Phol", "Chăn", "Thon", "Kiên", "Sóc Ry", "Đa Ni", "Sà Ráth", "Mông",
]
KHMER_GIVEN_F = [
    "Sa Rết", "Sa Vân", "Sa Ri", "Sa Mây", "Sa Ly", "Sô Phi", "Sa Ra", "Sà Rinh", "Thi Da",
    "Chanh Thu", "Sóc Thia", "Sa Phên", "Ky", "Nây", "Pha Ly", "Đa Ra", "Sà Ly", "Sóc Na",
    "Sa Rươn", "Phol", "Sa Quên", "Sa Mết", "Chanh Thi", "Sô Phia", "Mây", "Sà Vên", "Cà Ni",
    "Sóc Phấn", "Ngọc Hiền", "Lan", "Hoa", "Út", "Bé", "Sa Mol", "Sà Rum", "Nương", "Thu",
]


def zipf_weights(n: int, s: float = 0.9, offset: float = 6.0) -> np.ndarray:
    w = 1.0 / (np.arange(n) + offset) ** s
    return w / w.sum()


def _table(d: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    names = np.array(list(d.keys()), dtype=object)
    w = np.array(list(d.values()), dtype=float)
    return names, w / w.sum()


SURNAME_TABLE = _table(SURNAMES)
KHMER_SURNAME_TABLE = _table(KHMER_SURNAMES)
MIDDLE_M_TABLE = _table(MIDDLE_M)
MIDDLE_F_TABLE = _table(MIDDLE_F)
GIVEN_M_TABLE = (np.array(GIVEN_M_LIST, dtype=object), zipf_weights(len(GIVEN_M_LIST)))
GIVEN_F_TABLE = (np.array(GIVEN_F_LIST, dtype=object), zipf_weights(len(GIVEN_F_LIST)))
KHMER_M_TABLE = (np.array(KHMER_GIVEN_M, dtype=object), zipf_weights(len(KHMER_GIVEN_M), 0.4, 4.0))
KHMER_F_TABLE = (np.array(KHMER_GIVEN_F, dtype=object), zipf_weights(len(KHMER_GIVEN_F), 0.4, 4.0))


def draw(rng: np.random.Generator, table: tuple[np.ndarray, np.ndarray], n: int) -> np.ndarray:
    names, p = table
    return names[rng.choice(len(names), size=n, p=p)]


def draw_surnames(rng: np.random.Generator, khmer: np.ndarray) -> np.ndarray:
    """One surname per entry; Khmer entries draw from the Khmer table."""
    out = draw(rng, SURNAME_TABLE, len(khmer))
    k = np.flatnonzero(khmer)
    out[k] = draw(rng, KHMER_SURNAME_TABLE, len(k))
    return out


def draw_full_names(rng: np.random.Generator, surname: np.ndarray, female: np.ndarray,
                    birth_year: np.ndarray, khmer: np.ndarray) -> np.ndarray:
    """Full names, surname first. Older cohorts mostly 'Văn'/'Thị'; Khmer women often 'Thị X'."""
    n = len(surname)
    u = rng.random((n, 4))
    # cohort shares of the plain middle names
    p_van = np.where(birth_year < 1975, 0.6, np.where(birth_year < 1995, 0.4, 0.18))
    p_thi = np.where(birth_year < 1975, 0.75, np.where(birth_year < 1995, 0.5, 0.2))
    p_second = np.where(birth_year < 1975, 0.04, np.where(birth_year < 1995, 0.12, 0.25))
    mid_m = draw(rng, MIDDLE_M_TABLE, n)
    mid_f = draw(rng, MIDDLE_F_TABLE, n)
    mid_m2 = draw(rng, MIDDLE_M_TABLE, n)
    mid_f2 = draw(rng, MIDDLE_F_TABLE, n)
    giv_m = draw(rng, GIVEN_M_TABLE, n)
    giv_f = draw(rng, GIVEN_F_TABLE, n)
    kgiv_m = draw(rng, KHMER_M_TABLE, n)
    kgiv_f = draw(rng, KHMER_F_TABLE, n)
    out = np.empty(n, dtype=object)
    for i in range(n):
        fem = female[i]
        if khmer[i]:
            if u[i, 2] < 0.6:
                g = kgiv_f[i] if fem else kgiv_m[i]
            else:
                g = giv_f[i] if fem else giv_m[i]
            if fem:
                out[i] = f"Thị {g}" if u[i, 0] < 0.55 else f"{surname[i]} Thị {g}"
            else:
                out[i] = f"{surname[i]} {g}" if u[i, 0] < 0.8 else f"{surname[i]} Văn {g}"
            continue
        if fem:
            mid = "Thị" if u[i, 0] < p_thi[i] else mid_f[i]
            g, m2 = giv_f[i], mid_f2[i]
        else:
            mid = "Văn" if u[i, 0] < p_van[i] else mid_m[i]
            g, m2 = giv_m[i], mid_m2[i]
        if u[i, 1] < p_second[i] and m2 != mid and m2 != g:
            mid = f"{mid} {m2}"
        if mid.endswith(g):  # "Minh Minh"
            g = giv_f[(i + 7) % n] if fem else giv_m[(i + 7) % n]
        out[i] = f"{surname[i]} {mid} {g}"
    return out


def random_middle(rng_u: float, female: bool) -> str:
    names, p = MIDDLE_F_TABLE if female else MIDDLE_M_TABLE
    i = int(np.searchsorted(np.cumsum(p), rng_u * 0.999999))
    return str(names[i])
