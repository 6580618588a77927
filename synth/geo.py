"""Places: wards of Rạch Giá and Kiên Giang, neighbouring communes, streets, hamlets, agencies.

Codes (MA_DVHC) are synthetic but plausible. Scale presets live here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PROVINCE = "tỉnh Kiên Giang"


@dataclass(frozen=True)
class Ward:
    code: str
    name: str            # "Vĩnh Thanh Vân"
    kind: str            # "Phường" | "Xã"
    district: str        # "thành phố Rạch Giá"
    residents: int       # target resident count
    registry: bool = True  # False: neighbouring place, only in the identity export

    @property
    def ten(self) -> str:
        return f"{self.kind} {self.name}"


RACH_GIA = "thành phố Rạch Giá"
RACH_GIA_WARDS = [
    ("30733", "Vĩnh Thanh Vân", "Phường", 17_000), ("30736", "Vĩnh Thanh", "Phường", 18_000),
    ("30739", "Vĩnh Quang", "Phường", 22_000), ("30742", "Vĩnh Hiệp", "Phường", 20_000),
    ("30745", "Vĩnh Bảo", "Phường", 16_000), ("30748", "Vĩnh Lạc", "Phường", 24_000),
    ("30751", "An Hòa", "Phường", 24_000), ("30754", "An Bình", "Phường", 19_000),
    ("30757", "Rạch Sỏi", "Phường", 26_000), ("30760", "Vĩnh Lợi", "Phường", 17_000),
    ("30763", "Vĩnh Thông", "Phường", 17_000), ("30766", "Phi Thông", "Xã", 10_000),
]

# Other districts of Kiên Giang (communes/wards with unique names; townships left out).
OTHER_DISTRICTS = {
    "thành phố Hà Tiên": ("Phường", ["Tô Châu", "Đông Hồ", "Bình San", "Pháo Đài"]),
    "huyện Kiên Lương": ("Xã", ["Kiên Bình", "Hòa Điền", "Dương Hòa", "Bình Trị", "Sơn Hải",
                                "Hòn Nghệ"]),
    "huyện Hòn Đất": ("Xã", ["Bình Giang", "Bình Sơn", "Mỹ Hiệp Sơn", "Sơn Kiên", "Sơn Bình",
                             "Mỹ Thái", "Nam Thái Sơn", "Mỹ Phước", "Mỹ Lâm", "Thổ Sơn",
                             "Lình Huỳnh", "Mỹ Thuận"]),
    "huyện Tân Hiệp": ("Xã", ["Tân Hội", "Tân Thành", "Tân Hiệp B", "Tân Hòa", "Thạnh Đông B",
                              "Thạnh Đông", "Tân Hiệp A", "Tân An", "Thạnh Đông A", "Thạnh Trị"]),
    "huyện Giồng Riềng": ("Xã", ["Thạnh Hưng", "Thạnh Phước", "Thạnh Hòa", "Thạnh Bình",
                                 "Bàn Thạch", "Bàn Tân Định", "Ngọc Thành", "Ngọc Chúc",
                                 "Ngọc Thuận", "Hòa Hưng", "Hòa Lợi", "Hòa An", "Long Thạnh",
                                 "Vĩnh Thạnh", "Hòa Thuận", "Ngọc Hòa"]),
    "huyện Gò Quao": ("Xã", ["Vĩnh Hòa Hưng Bắc", "Định Hòa", "Thới Quản", "Định An", "Thủy Liễu",
                             "Vĩnh Hòa Hưng Nam", "Vĩnh Phước A", "Vĩnh Phước B", "Vĩnh Tuy",
                             "Vĩnh Thắng"]),
    "huyện An Biên": ("Xã", ["Tây Yên", "Tây Yên A", "Nam Yên", "Hưng Yên", "Nam Thái",
                             "Nam Thái A", "Đông Thái", "Đông Yên"]),
    "huyện An Minh": ("Xã", ["Thuận Hòa", "Đông Hòa", "Đông Thạnh", "Tân Thạnh", "Đông Hưng",
                             "Đông Hưng A", "Đông Hưng B", "Vân Khánh", "Vân Khánh Đông",
                             "Vân Khánh Tây"]),
    "huyện Vĩnh Thuận": ("Xã", ["Vĩnh Bình Bắc", "Vĩnh Bình Nam", "Bình Minh", "Tân Thuận",
                                "Phong Đông", "Vĩnh Phong"]),
    "thành phố Phú Quốc": ("Phường", ["Dương Đông", "An Thới"]),
    "huyện U Minh Thượng": ("Xã", ["Thạnh Yên", "Thạnh Yên A", "An Minh Bắc", "Vĩnh Hòa",
                                   "Hòa Chánh", "Minh Thuận"]),
    "huyện Giang Thành": ("Xã", ["Tân Khánh Hòa", "Phú Mỹ", "Phú Lợi", "Vĩnh Điều"]),
    "huyện Kiên Hải": ("Xã", ["Hòn Tre", "Lại Sơn", "An Sơn", "Nam Du"]),
    "huyện Châu Thành": ("Xã", ["Mong Thọ A", "Mong Thọ B", "Giục Tượng", "Vĩnh Hòa Hiệp",
                                "Vĩnh Hòa Phú", "Minh Hòa", "Bình An", "Thạnh Lộc"]),
}

# Neighbours of Rạch Giá (in the export, not in the city registry).
CITY_NEIGHBOURS = [("30790", "Mong Thọ", "Xã", "huyện Châu Thành"),
                   ("30793", "Mong Thọ A", "Xã", "huyện Châu Thành"),
                   ("30796", "Giục Tượng", "Xã", "huyện Châu Thành"),
                   ("30799", "Vĩnh Hòa Hiệp", "Xã", "huyện Châu Thành"),
                   ("30802", "Minh Hòa", "Xã", "huyện Châu Thành"),
                   ("30805", "Thạnh Lộc", "Xã", "huyện Châu Thành"),
                   ("30808", "Mỹ Lâm", "Xã", "huyện Hòn Đất")]
# Neighbours of the province (An Giang, Hậu Giang, Cà Mau).
PROVINCE_NEIGHBOURS = [("30280", "Vĩnh Thạnh Trung", "Xã", "huyện Châu Phú"),
                       ("30283", "Mỹ Phú", "Xã", "huyện Châu Phú"),
                       ("31471", "Vị Thanh", "Xã", "huyện Vị Thủy"),
                       ("31474", "Vĩnh Tường", "Xã", "huyện Long Mỹ"),
                       ("32011", "Khánh An", "Xã", "huyện U Minh"),
                       ("32014", "Nguyễn Phích", "Xã", "huyện U Minh"),
                       ("30286", "Vọng Đông", "Xã", "huyện Thoại Sơn")]

STREETS = [
    "Nguyễn Trung Trực", "Trần Phú", "Lạc Hồng", "Mạc Cửu", "Nguyễn Hùng Sơn", "Lâm Quang Ky",
    "Ngô Quyền", "Lê Lợi", "Trần Hưng Đạo", "Mạc Thiên Tích", "Phan Thị Ràng", "Huỳnh Mẫn Đạt",
    "Nguyễn Bỉnh Khiêm", "Chi Lăng", "Lý Thường Kiệt", "Hàm Nghi", "Quang Trung",
    "Ngô Thời Nhiệm", "Đống Đa", "Tô Hiến Thành", "Hồ Xuân Hương", "Cô Bắc", "Cô Giang",
    "3 Tháng 2", "Nguyễn An Ninh", "Lê Hồng Phong", "Đoàn Thị Điểm", "Bạch Đằng", "Phạm Hùng",
    "Võ Trường Toản", "Trần Quang Khải", "Lê Thánh Tôn", "Tự Do", "Mai Thị Hồng Hạnh",
    "Phó Cơ Điều", "Nguyễn Văn Cừ", "Ngô Gia Tự", "Hùng Vương", "Lý Tự Trọng", "Châu Văn Liêm",
    "Trần Khánh Dư", "Hoàng Hoa Thám", "Nguyễn Thoại Hầu", "Lê Quý Đôn", "Võ Thị Sáu",
    "Nguyễn Chí Thanh", "Điện Biên Phủ", "Tôn Đức Thắng", "Sư Vạn Hạnh", "Nguyễn Tri Phương",
    "Đinh Tiên Hoàng", "Lê Anh Xuân", "Hải Thượng Lãn Ông", "Trần Bình Trọng", "Yết Kiêu",
]
HAMLETS = [
    "Tà Tây", "Tà Tây A", "Phi Hòa", "Phi Lợi", "Kinh Nhà Máy", "Sư Nam", "Phi Thông",
    "Tân Điền", "Tân Lợi", "Thạnh Hòa", "Đông Thành", "Kinh Đào", "Bình Lộc", "Vĩnh Lộc",
    "Phước Thạnh", "An Phước", "Hòa Thuận", "Tân Hưng", "Kinh Xáng", "Rạch Tràm",
]

AGENCIES = [
    ("Cơ quan nhà nước", "UBND thành phố Rạch Giá"),
    ("Cơ quan nhà nước", "Công an thành phố Rạch Giá"),
    ("Cơ quan nhà nước", "Phòng Tài chính - Kế hoạch thành phố Rạch Giá"),
    ("Cơ quan nhà nước", "Phòng Giáo dục và Đào tạo thành phố Rạch Giá"),
    ("Cơ quan nhà nước", "Phòng Tài nguyên và Môi trường thành phố Rạch Giá"),
    ("Cơ quan nhà nước", "Phòng Lao động - Thương binh và Xã hội thành phố Rạch Giá"),
    ("Cơ quan nhà nước", "Phòng Văn hóa và Thông tin thành phố Rạch Giá"),
    ("Cơ quan nhà nước", "Chi cục Thuế khu vực Rạch Giá - Kiên Hải"),
    ("Cơ quan nhà nước", "Kho bạc Nhà nước Rạch Giá"),
    ("Cơ quan nhà nước", "Sở Tư pháp tỉnh Kiên Giang"),
    ("Cơ quan nhà nước", "Sở Y tế tỉnh Kiên Giang"),
    ("Cơ quan nhà nước", "Sở Giáo dục và Đào tạo tỉnh Kiên Giang"),
    ("Cơ quan nhà nước", "Bảo hiểm xã hội thành phố Rạch Giá"),
    ("Cơ quan nhà nước", "Tòa án nhân dân thành phố Rạch Giá"),
    ("Cơ quan nhà nước", "Viện kiểm sát nhân dân thành phố Rạch Giá"),
    ("Cơ quan nhà nước", "Chi cục Thi hành án dân sự thành phố Rạch Giá"),
    ("Trường học", "Trường THPT Nguyễn Trung Trực"),
    ("Trường học", "Trường THPT Huỳnh Mẫn Đạt"),
    ("Trường học", "Trường THPT Phó Cơ Điều"),
    ("Trường học", "Trường THCS Nguyễn Du"),
    ("Trường học", "Trường THCS Võ Trường Toản"),
    ("Trường học", "Trường THCS Vĩnh Thanh Vân"),
    ("Trường học", "Trường Tiểu học Vĩnh Lạc 1"),
    ("Trường học", "Trường Tiểu học An Hòa 2"),
    ("Trường học", "Trường Mầm non Hoa Sen"),
    ("Trường học", "Trường Cao đẳng Kiên Giang"),
    ("Trường học", "Trường Cao đẳng Y tế Kiên Giang"),
    ("Đơn vị sự nghiệp", "Bệnh viện Đa khoa tỉnh Kiên Giang"),
    ("Đơn vị sự nghiệp", "Trung tâm Y tế thành phố Rạch Giá"),
    ("Đơn vị sự nghiệp", "Đài Phát thanh và Truyền hình Kiên Giang"),
    ("Đơn vị sự nghiệp", "Thư viện tỉnh Kiên Giang"),
    ("Đơn vị sự nghiệp", "Trung tâm Văn hóa - Thể thao thành phố Rạch Giá"),
    ("Đơn vị sự nghiệp", "Bệnh viện Sản - Nhi Kiên Giang"),
    ("Doanh nghiệp", "Công ty Cổ phần Cấp thoát nước Kiên Giang"),
    ("Doanh nghiệp", "Công ty Điện lực Kiên Giang"),
    ("Doanh nghiệp", "Bưu điện tỉnh Kiên Giang"),
    ("Doanh nghiệp", "Công ty TNHH MTV Xổ số kiến thiết Kiên Giang"),
    ("Doanh nghiệp", "Ngân hàng TMCP Kiên Long - Chi nhánh Kiên Giang"),
    ("Doanh nghiệp", "Công ty Cổ phần Xây dựng Kiên Giang"),
    ("Tổ chức chính trị - xã hội", "Thành đoàn Rạch Giá"),
    ("Tổ chức chính trị - xã hội", "Hội Liên hiệp Phụ nữ thành phố Rạch Giá"),
    ("Tổ chức chính trị - xã hội", "Hội Cựu chiến binh thành phố Rạch Giá"),
    ("Tổ chức chính trị - xã hội", "Liên đoàn Lao động thành phố Rạch Giá"),
]
# Per-ward agency patterns used to reach ~400 units at province scale.
WARD_AGENCY_PATTERNS = [("Trường học", "Trường THCS {name}"),
                        ("Trường học", "Trường Tiểu học {name}"),
                        ("Đơn vị sự nghiệp", "Trạm Y tế {kind_lower} {name}")]


@dataclass(frozen=True)
class Scale:
    name: str
    wards: list[Ward]
    neighbours: list[Ward]
    n_agencies: int
    staff_range: tuple[int, int]
    min_count: int = 3          # lower bound for every injected event (keeps `small` complete)
    gz_identity: bool = False
    region: str = "UBND THÀNH PHỐ RẠCH GIÁ"
    extra: dict = field(default_factory=dict)


def _scale_city(factor: float = 1.0, codes: list[str] | None = None) -> list[Ward]:
    out = []
    for code, name, kind, res in RACH_GIA_WARDS:
        if codes is None or code in codes:
            out.append(Ward(code, name, kind, RACH_GIA, max(200, int(res * factor))))
    return out


def _neighbours(rows, residents: int) -> list[Ward]:
    return [Ward(c, n, k, d, residents, registry=False) for c, n, k, d in rows]


def _province_wards() -> list[Ward]:
    wards = _scale_city()
    code = 30800
    sizes = [14_000, 22_000, 18_000, 26_000, 12_000, 20_000, 16_000, 30_000, 9_000, 24_000, 17_000]
    i = 0
    names = {w.name for w in wards}
    for district, (kind, lst) in OTHER_DISTRICTS.items():
        for nm in lst:
            if nm in names:
                continue
            names.add(nm)
            code += 3
            wards.append(Ward(str(code + 200), nm, kind, district, sizes[i % len(sizes)]))
            i += 1
            if len(wards) >= 120:
                return wards
    return wards


def get_scale(name: str) -> Scale:
    if name == "small":
        wards = [Ward("30733", "Vĩnh Thanh Vân", "Phường", RACH_GIA, 2_700),
                 Ward("30766", "Phi Thông", "Xã", RACH_GIA, 2_200)]
        return Scale("small", wards, _neighbours(CITY_NEIGHBOURS[:3], 40), n_agencies=4,
                     staff_range=(20, 35))
    if name == "city":
        return Scale("city", _scale_city(), _neighbours(CITY_NEIGHBOURS, 1_000), n_agencies=40,
                     staff_range=(20, 300), gz_identity=True)
    if name == "province":
        wards = _province_wards()
        return Scale("province", wards, _neighbours(PROVINCE_NEIGHBOURS, 10_000), n_agencies=400,
                     staff_range=(20, 300), gz_identity=True, region="")
    raise ValueError(f"unknown scale {name!r} (small, city, province)")
