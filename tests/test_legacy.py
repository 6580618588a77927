"""Legacy Vietnamese font text (TCVN3/ABC, VNI-Windows): conversion tables on real words,
detection on realistic sheets, and properties that hold for any text."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.legacy import AMBIGUOUS_REASON, detect, is_ambiguous, is_syllable, to_unicode

# Real names and words (a ward's lists: names, statuses, headers, place names), each in title or
# sentence case and in ALL CAPS, with the text a legacy font stores for it: (Unicode, TCVN3, VNI).
# The legacy columns were encoded letter by letter with the TCVN3 and VNI-WIN tables of Unikey's
# VnConv library (ukengine/data.cpp, Pham Kim Long, as shipped in ibus-unikey), not with
# intake/legacy.py. TCVN3 has no codes for upper-case toned vowels: like Unikey, the fixture
# uses the lower-case code (the .VnTimeH fonts draw it as a capital), e.g. "HÙNG" → "HïNG".
# "\xad" is the TCVN3 code of "ư" (shows as a soft hyphen).
FIXTURES = [
    ('Nguyễn Văn Hùng', 'NguyÔn V¨n Hïng', 'Nguyeãn Vaên Huøng'),
    ('NGUYỄN VĂN HÙNG', 'NGUYÔN V¡N HïNG', 'NGUYEÃN VAÊN HUØNG'),
    ('Trần Thị Thủy', 'TrÇn ThÞ Thñy', 'Traàn Thò Thuûy'),
    ('TRẦN THỊ THỦY', 'TRÇN THÞ THñY', 'TRAÀN THÒ THUÛY'),
    ('Đặng Quốc Khỏe', '§Æng Quèc Kháe', 'Ñaëng Quoác Khoûe'),
    ('ĐẶNG QUỐC KHỎE', '§ÆNG QUèC KHáE', 'ÑAËNG QUOÁC KHOÛE'),
    ('Huỳnh Ngọc Ẩn', 'Huúnh Ngäc Èn', 'Huyønh Ngoïc AÅn'),
    ('HUỲNH NGỌC ẨN', 'HUúNH NGäC ÈN', 'HUYØNH NGOÏC AÅN'),
    ('Lê Thị Ưởng', 'Lª ThÞ ¦ëng', 'Leâ Thò Öôûng'),
    ('LÊ THỊ ƯỞNG', 'L£ THÞ ¦ëNG', 'LEÂ THÒ ÖÔÛNG'),
    ('Phường Vĩnh Thanh Vân', 'Ph\xadêng VÜnh Thanh V©n', 'Phöôøng Vónh Thanh Vaân'),
    ('PHƯỜNG VĨNH THANH VÂN', 'PH¦êNG VÜNH THANH V¢N', 'PHÖÔØNG VÓNH THANH VAÂN'),
    ('Tổ NDTQ số 05', 'Tæ NDTQ sè 05', 'Toå NDTQ soá 05'),
    ('TỔ NDTQ SỐ 05', 'Tæ NDTQ Sè 05', 'TOÅ NDTQ SOÁ 05'),
    ('Chưa kích hoạt', 'Ch\xada kÝch ho¹t', 'Chöa kích hoaït'),
    ('CHƯA KÍCH HOẠT', 'CH¦A KÝCH HO¹T', 'CHÖA KÍCH HOAÏT'),
    ('Đã đăng ký', '§· ®¨ng ký', 'Ñaõ ñaêng kyù'),
    ('ĐÃ ĐĂNG KÝ', '§· §¡NG Ký', 'ÑAÕ ÑAÊNG KYÙ'),
    ('Số định danh cá nhân', 'Sè ®Þnh danh c¸ nh©n', 'Soá ñònh danh caù nhaân'),
    ('SỐ ĐỊNH DANH CÁ NHÂN', 'Sè §ÞNH DANH C¸ NH¢N', 'SOÁ ÑÒNH DANH CAÙ NHAÂN'),
    ('Họ và tên', 'Hä vµ tªn', 'Hoï vaø teân'),
    ('HỌ VÀ TÊN', 'Hä Vµ T£N', 'HOÏ VAØ TEÂN'),
    ('Ngày sinh', 'Ngµy sinh', 'Ngaøy sinh'),
    ('NGÀY SINH', 'NGµY SINH', 'NGAØY SINH'),
    ('Địa chỉ thường trú', '§Þa chØ th\xadêng tró', 'Ñòa chæ thöôøng truù'),
    ('ĐỊA CHỈ THƯỜNG TRÚ', '§ÞA CHØ TH¦êNG TRó', 'ÑÒA CHÆ THÖÔØNG TRUÙ'),
    ('Bảo Thắng', 'B¶o Th¾ng', 'Baûo Thaéng'),
    ('BẢO THẮNG', 'B¶O TH¾NG', 'BAÛO THAÉNG'),
    ('Bát Xát', 'B¸t X¸t', 'Baùt Xaùt'),
    ('BÁT XÁT', 'B¸T X¸T', 'BAÙT XAÙT'),
    ('Hoàng Thị Mỹ Lệ', 'Hoµng ThÞ Mü LÖ', 'Hoaøng Thò Myõ Leä'),
    ('HOÀNG THỊ MỸ LỆ', 'HOµNG THÞ Mü LÖ', 'HOAØNG THÒ MYÕ LEÄ'),
    ('Võ Thành Lộc', 'Vâ Thµnh Léc', 'Voõ Thaønh Loäc'),
    ('VÕ THÀNH LỘC', 'Vâ THµNH LéC', 'VOÕ THAØNH LOÄC'),
    ('Đỗ Thị Hằng', '§ç ThÞ H»ng', 'Ñoã Thò Haèng'),
    ('ĐỖ THỊ HẰNG', '§ç THÞ H»NG', 'ÑOÃ THÒ HAÈNG'),
    ('Phạm Minh Tuấn', 'Ph¹m Minh TuÊn', 'Phaïm Minh Tuaán'),
    ('PHẠM MINH TUẤN', 'PH¹M MINH TUÊN', 'PHAÏM MINH TUAÁN'),
    ('Bùi Thị Hương', 'Bïi ThÞ H\xad¬ng', 'Buøi Thò Höông'),
    ('BÙI THỊ HƯƠNG', 'BïI THÞ H¦¥NG', 'BUØI THÒ HÖÔNG'),
    ('Dương Văn Lực', 'D\xad¬ng V¨n Lùc', 'Döông Vaên Löïc'),
    ('DƯƠNG VĂN LỰC', 'D¦¥NG V¡N LùC', 'DÖÔNG VAÊN LÖÏC'),
    ('Lý Thị Bích Ngọc', 'Lý ThÞ BÝch Ngäc', 'Lyù Thò Bích Ngoïc'),
    ('LÝ THỊ BÍCH NGỌC', 'Lý THÞ BÝCH NGäC', 'LYÙ THÒ BÍCH NGOÏC'),
    ('Vũ Đình Khải', 'Vò §×nh Kh¶i', 'Vuõ Ñình Khaûi'),
    ('VŨ ĐÌNH KHẢI', 'Vò §×NH KH¶I', 'VUÕ ÑÌNH KHAÛI'),
    ('Mai Thị Mỵ', 'Mai ThÞ Mþ', 'Mai Thò Mî'),
    ('MAI THỊ MỴ', 'MAI THÞ Mþ', 'MAI THÒ MÎ'),
    ('Kiều Thị Huyền', 'KiÒu ThÞ HuyÒn', 'Kieàu Thò Huyeàn'),
    ('KIỀU THỊ HUYỀN', 'KIÒU THÞ HUYÒN', 'KIEÀU THÒ HUYEÀN'),
    ('Hồ Sĩ Quyết', 'Hå SÜ QuyÕt', 'Hoà Só Quyeát'),
    ('HỒ SĨ QUYẾT', 'Hå SÜ QUYÕT', 'HOÀ SÓ QUYEÁT'),
    ('Trịnh Văn Sử', 'TrÞnh V¨n Sö', 'Trònh Vaên Söû'),
    ('TRỊNH VĂN SỬ', 'TRÞNH V¡N Sö', 'TRÒNH VAÊN SÖÛ'),
    ('Lương Thế Vinh', 'L\xad¬ng ThÕ Vinh', 'Löông Theá Vinh'),
    ('LƯƠNG THẾ VINH', 'L¦¥NG THÕ VINH', 'LÖÔNG THEÁ VINH'),
    ('Mặt đường nhẵn', 'MÆt ®\xadêng nh½n', 'Maët ñöôøng nhaün'),
    ('MẶT ĐƯỜNG NHẴN', 'MÆT §¦êNG NH½N', 'MAËT ÑÖÔØNG NHAÜN'),
    ('Khẳng định', 'Kh¼ng ®Þnh', 'Khaúng ñònh'),
    ('KHẲNG ĐỊNH', 'KH¼NG §ÞNH', 'KHAÚNG ÑÒNH'),
    ('Cần Thơ', 'CÇn Th¬', 'Caàn Thô'),
    ('CẦN THƠ', 'CÇN TH¥', 'CAÀN THÔ'),
    ('Lê Văn Mẫn', 'Lª V¨n MÉn', 'Leâ Vaên Maãn'),
    ('LÊ VĂN MẪN', 'L£ V¡N MÉN', 'LEÂ VAÊN MAÃN'),
    ('Hậu Giang', 'HËu Giang', 'Haäu Giang'),
    ('HẬU GIANG', 'HËU GIANG', 'HAÄU GIANG'),
    ('Nước chè', 'N\xadíc chÌ', 'Nöôùc cheø'),
    ('NƯỚC CHÈ', 'N¦íC CHÌ', 'NÖÔÙC CHEØ'),
    ('Lê Thị Bé', 'Lª ThÞ BÐ', 'Leâ Thò Beù'),
    ('LÊ THỊ BÉ', 'L£ THÞ BÐ', 'LEÂ THÒ BEÙ'),
    ('Trẻ em', 'TrÎ em', 'Treû em'),
    ('TRẺ EM', 'TRÎ EM', 'TREÛ EM'),
    ('Sẽ kiểm tra', 'SÏ kiÓm tra', 'Seõ kieåm tra'),
    ('SẼ KIỂM TRA', 'SÏ KIÓM TRA', 'SEÕ KIEÅM TRA'),
    ('Họ tên mẹ', 'Hä tªn mÑ', 'Hoï teân meï'),
    ('HỌ TÊN MẸ', 'Hä T£N MÑ', 'HOÏ TEÂN MEÏ'),
    ('Phan Văn Hiển', 'Phan V¨n HiÓn', 'Phan Vaên Hieån'),
    ('PHAN VĂN HIỂN', 'PHAN V¡N HIÓN', 'PHAN VAÊN HIEÅN'),
    ('Ngô Thiện Tâm', 'Ng« ThiÖn T©m', 'Ngoâ Thieän Taâm'),
    ('NGÔ THIỆN TÂM', 'NG¤ THIÖN T¢M', 'NGOÂ THIEÄN TAÂM'),
    ('Thị xã', 'ThÞ x·', 'Thò xaõ'),
    ('THỊ XÃ', 'THÞ X·', 'THÒ XAÕ'),
    ('Võ Thị Hòa', 'Vâ ThÞ Hßa', 'Voõ Thò Hoøa'),
    ('VÕ THỊ HÒA', 'Vâ THÞ HßA', 'VOÕ THÒ HOØA'),
    ('Có tài khoản', 'Cã tµi kho¶n', 'Coù taøi khoaûn'),
    ('CÓ TÀI KHOẢN', 'Cã TµI KHO¶N', 'COÙ TAØI KHOAÛN'),
    ('Hộ khẩu', 'Hé khÈu', 'Hoä khaåu'),
    ('HỘ KHẨU', 'Hé KHÈU', 'HOÄ KHAÅU'),
    ('Lớp học', 'Líp häc', 'Lôùp hoïc'),
    ('LỚP HỌC', 'LíP HäC', 'LÔÙP HOÏC'),
    ('Giúp đỡ', 'Gióp ®ì', 'Giuùp ñôõ'),
    ('GIÚP ĐỠ', 'GIóP §ì', 'GIUÙP ÑÔÕ'),
    ('Phan Lợi', 'Phan Lîi', 'Phan Lôïi'),
    ('PHAN LỢI', 'PHAN LîI', 'PHAN LÔÏI'),
    ('Hồng Phúc', 'Hång Phóc', 'Hoàng Phuùc'),
    ('HỒNG PHÚC', 'HåNG PHóC', 'HOÀNG PHUÙC'),
    ('Củ Chi', 'Cñ Chi', 'Cuû Chi'),
    ('CỦ CHI', 'Cñ CHI', 'CUÛ CHI'),
    ('Thụy Khuê', 'Thôy Khuª', 'Thuïy Khueâ'),
    ('THỤY KHUÊ', 'THôY KHU£', 'THUÏY KHUEÂ'),
    ('Từ chối', 'Tõ chèi', 'Töø choái'),
    ('TỪ CHỐI', 'Tõ CHèI', 'TÖØ CHOÁI'),
    ('Trương Văn Thức', 'Tr\xad¬ng V¨n Thøc', 'Tröông Vaên Thöùc'),
    ('TRƯƠNG VĂN THỨC', 'TR¦¥NG V¡N THøC', 'TRÖÔNG VAÊN THÖÙC'),
    ('Chữ ký', 'Ch÷ ký', 'Chöõ kyù'),
    ('CHỮ KÝ', 'CH÷ Ký', 'CHÖÕ KYÙ'),
    ('Phan Kỳ Nam', 'Phan Kú Nam', 'Phan Kyø Nam'),
    ('PHAN KỲ NAM', 'PHAN Kú NAM', 'PHAN KYØ NAM'),
    ('Tỷ lệ', 'Tû lÖ', 'Tyû leä'),
    ('TỶ LỆ', 'Tû LÖ', 'TYÛ LEÄ'),
    ('Kỹ thuật', 'Kü thuËt', 'Kyõ thuaät'),
    ('KỸ THUẬT', 'Kü THUËT', 'KYÕ THUAÄT'),
    ('Ấp Bắc', 'Êp B¾c', 'AÁp Baéc'),
    ('ẤP BẮC', 'ÊP B¾C', 'AÁP BAÉC'),
    ('Ủy ban nhân dân', 'ñy ban nh©n d©n', 'UÛy ban nhaân daân'),
    ('ỦY BAN NHÂN DÂN', 'ñY BAN NH¢N D¢N', 'UÛY BAN NHAÂN DAÂN'),
    ('Ông Ích Khiêm', '¤ng Ých Khiªm', 'OÂng Ích Khieâm'),
    ('ÔNG ÍCH KHIÊM', '¤NG ÝCH KHI£M', 'OÂNG ÍCH KHIEÂM'),
    ('Ý Yên', 'ý Yªn', 'YÙ Yeân'),
    ('Ý YÊN', 'ý Y£N', 'YÙ YEÂN'),
    ('Ứng Hòa', 'øng Hßa', 'ÖÙng Hoøa'),
    ('ỨNG HÒA', 'øNG HßA', 'ÖÙNG HOØA'),
    ('Ơn nghĩa', '¥n nghÜa', 'Ôn nghóa'),
    ('ƠN NGHĨA', '¥N NGHÜA', 'ÔN NGHÓA'),
    ('Ăn uống', '¡n uèng', 'AÊn uoáng'),
    ('ĂN UỐNG', '¡N UèNG', 'AÊN UOÁNG'),
    ('Âu Cơ', '¢u C¬', 'AÂu Cô'),
    ('ÂU CƠ', '¢U C¥', 'AÂU CÔ'),
    ('Ê Đê', '£ §ª', 'EÂ Ñeâ'),
    ('Ê ĐÊ', '£ §£', 'EÂ ÑEÂ'),
    ('Ỷ Lan', 'û Lan', 'YÛ Lan'),
    ('Ỷ LAN', 'û LAN', 'YÛ LAN'),
    ('Đồng Xoài', '§ång Xoµi', 'Ñoàng Xoaøi'),
    ('ĐỒNG XOÀI', '§åNG XOµI', 'ÑOÀNG XOAØI'),
    ('Thuận An', 'ThuËn An', 'Thuaän An'),
    ('THUẬN AN', 'THUËN AN', 'THUAÄN AN'),
    ('Quảng Ngãi', 'Qu¶ng Ng·i', 'Quaûng Ngaõi'),
    ('QUẢNG NGÃI', 'QU¶NG NG·I', 'QUAÛNG NGAÕI'),
    ('Huế', 'HuÕ', 'Hueá'),
    ('HUẾ', 'HUÕ', 'HUEÁ'),
    ('Đã kích hoạt', '§· kÝch ho¹t', 'Ñaõ kích hoaït'),
    ('ĐÃ KÍCH HOẠT', '§· KÝCH HO¹T', 'ÑAÕ KÍCH HOAÏT'),
    ('Cán bộ', 'C¸n bé', 'Caùn boä'),
    ('CÁN BỘ', 'C¸N Bé', 'CAÙN BOÄ'),
    ('Trưởng thôn', 'Tr\xadëng th«n', 'Tröôûng thoân'),
    ('TRƯỞNG THÔN', 'TR¦ëNG TH¤N', 'TRÖÔÛNG THOÂN'),
    ('Ngữ văn', 'Ng÷ v¨n', 'Ngöõ vaên'),
    ('NGỮ VĂN', 'NG÷ V¡N', 'NGÖÕ VAÊN'),
    ('Nghĩa Đô', 'NghÜa §«', 'Nghóa Ñoâ'),
    ('NGHĨA ĐÔ', 'NGHÜA §¤', 'NGHÓA ÑOÂ'),
    ('Trường Đại học', 'Tr\xadêng §¹i häc', 'Tröôøng Ñaïi hoïc'),
    ('TRƯỜNG ĐẠI HỌC', 'TR¦êNG §¹I HäC', 'TRÖÔØNG ÑAÏI HOÏC'),
    ('Khuỷu tay', 'Khuûu tay', 'Khuyûu tay'),
    ('KHUỶU TAY', 'KHUûU TAY', 'KHUYÛU TAY'),
    ('Nguyệt Quế', 'NguyÖt QuÕ', 'Nguyeät Queá'),
    ('NGUYỆT QUẾ', 'NGUYÖT QUÕ', 'NGUYEÄT QUEÁ'),
    ('Giường bệnh', 'Gi\xadêng bÖnh', 'Giöôøng beänh'),
    ('GIƯỜNG BỆNH', 'GI¦êNG BÖNH', 'GIÖÔØNG BEÄNH'),
    ('Quỳnh Anh', 'Quúnh Anh', 'Quyønh Anh'),
    ('QUỲNH ANH', 'QUúNH ANH', 'QUYØNH ANH'),
]

# Published examples from other sources, independent of Unikey's tables.
PUBLISHED = [
    # duydev/vietnamese-conversion README (npm "vietnamese-conversion").
    ("Xin chào các bạn", "vni", "Xin chaøo caùc baïn"),
    ("Tôi đi học", "vni", "Toâi ñi hoïc"),
    ("Tôi đi học", "tcvn3", "T«i ®i häc"),
    # The examples this module was specified with.
    ("Nguyễn Văn Hùng", "tcvn3", "NguyÔn V¨n Hïng"),
    ("Nguyễn Văn Hùng", "vni", "Nguyeãn Vaên Huøng"),
]

VOWELS = "aăâeêioôơuưy"
TONES = ["", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"]


def test_fixtures_cover_every_vowel_with_every_tone_in_both_cases_and_d():
    letters = {unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONES}
    needed = letters | {c.upper() for c in letters} | {"đ", "Đ"}
    present = set("".join(u for u, _, _ in FIXTURES))
    assert needed - present == set()
    assert len(FIXTURES) >= 120


# A sentence-case cell whose first letter is an upper-case toned vowel cannot be told from a
# lower-case one in TCVN3 (there is no code for "Ủ"); title-case names ("Huỳnh Ngọc Ẩn") can.
TCVN3_CASE_LOST = {"Ủy ban nhân dân": "ủy ban nhân dân"}


def test_tcvn3_fixtures_convert_to_the_unicode_text():
    wrong = [(u, t, to_unicode(t, "tcvn3")) for u, t, _ in FIXTURES
             if to_unicode(t, "tcvn3") != TCVN3_CASE_LOST.get(u, u)]
    assert wrong == []


def test_vni_fixtures_convert_to_the_unicode_text():
    wrong = [(u, v, to_unicode(v, "vni")) for u, _, v in FIXTURES if to_unicode(v, "vni") != u]
    assert wrong == []


@pytest.mark.parametrize("unicode_text, encoding, legacy", PUBLISHED)
def test_published_examples(unicode_text, encoding, legacy):
    assert to_unicode(legacy, encoding) == unicode_text


def test_output_is_nfc_and_other_characters_are_kept():
    assert to_unicode("Tæ 05 - KP.3, (sè 12/4) #1", "tcvn3") == "Tổ 05 - KP.3, (số 12/4) #1"
    assert to_unicode("Toå 05 - KP.3, (soá 12/4) #1", "vni") == "Tổ 05 - KP.3, (số 12/4) #1"
    for encoding in ("tcvn3", "vni"):
        out = to_unicode("NguyÔn Nguyeãn", encoding)
        assert out == unicodedata.normalize("NFC", out)


def test_tcvn3_upper_case_base_letter_inside_a_word_and_all_caps_words():
    # "¦" (Ư) typed inside a lower-case word, as in "Tr¦êng §¹i häc".
    assert to_unicode("Tr¦êng §¹i häc", "tcvn3") == "Trường Đại học"
    assert to_unicode("Lª V¡N HïNG", "tcvn3") == "Lê VĂN HÙNG"


def test_cells_already_in_unicode_are_only_normalised():
    nfd = unicodedata.normalize("NFD", "Nguyễn Văn Hùng")
    for encoding in ("tcvn3", "vni", None, "unicode"):
        assert to_unicode("Nguyễn Văn Hùng", encoding) == "Nguyễn Văn Hùng"
        assert to_unicode(nfd, encoding) == "Nguyễn Văn Hùng"


def test_unknown_encoding_is_an_error():
    with pytest.raises(ValueError):
        to_unicode("abc", "viscii")


@pytest.mark.parametrize("word", [
    "Nguyễn", "hoà", "hòa", "QUỐC", "gì", "giường", "Nghĩa", "quyết", "Khoẻ", "Ưởng", "khuỷu",
    "Quới", "Mỵ", "Huế", unicodedata.normalize("NFD", "Thủy"), "ĐẶNG", "kỹ", "gìn", "giêng",
])
def test_valid_syllables(word):
    assert is_syllable(word)


@pytest.mark.parametrize("word", [
    "Hïng", "V¨n", "vaờn", "nguyôn", "huứng", "cat", "kan", "ngi", "ghà", "cuỷ", "hoácc", "ă",
    "Nguyeãn", "họcs", "tooo", "Smith", "", "sáchh",
])
def test_invalid_syllables(word):
    assert not is_syllable(word)


HEADER = ["STT", "Họ và tên", "Ngày sinh", "Số định danh cá nhân", "Địa chỉ thường trú", "Trạng thái"]
NAMES = [
    ["1", "Nguyễn Văn Hùng", "12/03/1985", "079085001234", "Tổ 5, Khu phố 2", "Đã kích hoạt"],
    ["2", "Trần Thị Thủy", "01/01/1990", "079190004321", "Tổ 5, Khu phố 2", "Chưa kích hoạt"],
    ["3", "Huỳnh Ngọc Ẩn", "20/11/1978", "079078009999", "Tổ 6, Khu phố 2", "Đã đăng ký"],
    ["4", "Lê Thị Ưởng", "05/05/1960", "079160001111", "Tổ 6, Khu phố 3", "Chưa kích hoạt"],
]
# The same sheet as typed with the legacy fonts (encoded letter by letter with Unikey's tables).
HEADER_TCVN3 = ["STT", "Hä vµ tªn", "Ngµy sinh", "Sè ®Þnh danh c¸ nh©n", "§Þa chØ th\xadêng tró", "Tr¹ng th¸i"]
NAMES_TCVN3 = [
    ["1", "NguyÔn V¨n Hïng", "12/03/1985", "079085001234", "Tæ 5, Khu phè 2", "§· kÝch ho¹t"],
    ["2", "TrÇn ThÞ Thñy", "01/01/1990", "079190004321", "Tæ 5, Khu phè 2", "Ch\xada kÝch ho¹t"],
    ["3", "Huúnh Ngäc Èn", "20/11/1978", "079078009999", "Tæ 6, Khu phè 2", "§· ®¨ng ký"],
    ["4", "Lª ThÞ ¦ëng", "05/05/1960", "079160001111", "Tæ 6, Khu phè 3", "Ch\xada kÝch ho¹t"],
]
HEADER_VNI = ["STT", "Hoï vaø teân", "Ngaøy sinh", "Soá ñònh danh caù nhaân", "Ñòa chæ thöôøng truù", "Traïng thaùi"]
NAMES_VNI = [
    ["1", "Nguyeãn Vaên Huøng", "12/03/1985", "079085001234", "Toå 5, Khu phoá 2", "Ñaõ kích hoaït"],
    ["2", "Traàn Thò Thuûy", "01/01/1990", "079190004321", "Toå 5, Khu phoá 2", "Chöa kích hoaït"],
    ["3", "Huyønh Ngoïc AÅn", "20/11/1978", "079078009999", "Toå 6, Khu phoá 2", "Ñaõ ñaêng kyù"],
    ["4", "Leâ Thò Öôûng", "05/05/1960", "079160001111", "Toå 6, Khu phoá 3", "Chöa kích hoaït"],
]


def cells(header, rows):
    return list(header) + [c for r in rows for c in r]


def test_the_legacy_sheets_convert_cell_by_cell():
    for header, rows, encoding in ((HEADER_TCVN3, NAMES_TCVN3, "tcvn3"), (HEADER_VNI, NAMES_VNI, "vni")):
        assert [to_unicode(c, encoding) for c in cells(header, rows)] == cells(HEADER, NAMES)


@pytest.mark.parametrize("texts", [
    cells(HEADER, NAMES),
    [unicodedata.normalize("NFD", c) for c in cells(HEADER, NAMES)],
    [c.upper() for c in cells(HEADER, NAMES)],
    ["STT", "Ho va ten", "Nguyen Van Hung", "Tran Thi Thuy", "Da kich hoat", "Chua kich hoat"],
    ["No.", "Full name", "Date of birth", "Status", "John Smith", "activated", "not activated"],
    ["Tô Bá Hà", "Lê Tú", "Hà Bé", "Võ Tâm"],  # Unicode that uses Latin-1 letters only
    ["Danh Sa Mol", "Thạch Sô Phal", "Sơn Thị Sà Rươne"],  # Khmer names in Vietnamese letters
    [], [""], ["12345", "079085001234"],
])
def test_plain_text_is_not_legacy(texts):
    encoding, confidence = detect(texts)
    assert encoding is None and confidence >= 0.5
    assert not is_ambiguous(texts)


@pytest.mark.parametrize("texts, expected", [
    (cells(HEADER_TCVN3, NAMES_TCVN3), "tcvn3"),
    (cells(HEADER_TCVN3, NAMES_TCVN3[:2]), "tcvn3"),
    (["STT"] + [t for u, t, _ in FIXTURES if u.isupper()][:12], "tcvn3"),  # .VnTimeH caps
    (cells(HEADER_VNI, NAMES_VNI), "vni"),
    (cells(HEADER_VNI, NAMES_VNI[:2]), "vni"),
    ([c.upper() for c in cells(HEADER_VNI, NAMES_VNI)], "vni"),  # VNI marks have case pairs
    ([t for _, t, _ in FIXTURES], "tcvn3"),
    ([v for _, _, v in FIXTURES], "vni"),
])
def test_legacy_sheets_are_detected(texts, expected):
    encoding, confidence = detect(texts)
    assert encoding == expected and confidence >= 0.8
    assert not is_ambiguous(texts)


def test_csv_bytes_decoded_as_cp1252_or_latin1_are_detected_too():
    raw = "\n".join(",".join(r) for r in [HEADER_TCVN3, *NAMES_TCVN3]).encode("latin-1")
    for codec in ("cp1252", "latin-1"):
        lines = raw.decode(codec).split("\n")
        assert detect([c for line in lines for c in line.split(",")])[0] == "tcvn3"


def test_a_unicode_header_over_legacy_rows_is_still_read_and_kept():
    texts = cells(HEADER, NAMES_TCVN3 * 3)
    assert detect(texts)[0] == "tcvn3" and not is_ambiguous(texts)
    assert [to_unicode(c, "tcvn3") for c in HEADER if c != "STT"] == HEADER[1:]


@pytest.mark.parametrize("texts", [
    cells(HEADER_TCVN3, NAMES_TCVN3[:2]) + cells(HEADER_VNI, NAMES_VNI[:2]),  # both fonts
    cells(HEADER, NAMES * 4) + [c for r in NAMES_TCVN3 for c in r],  # legacy rows among Unicode
    ["Hüsßæ Ææøß", "ÆØÅ æøå ßÿ", "ÐÞÆ þðæ"],  # characters no reading explains
])
def test_ambiguous_files(texts):
    assert is_ambiguous(texts)
    assert detect(texts)[0] is None


def test_ambiguous_reason_tells_the_ward_to_resave_in_unicode():
    assert "Unicode" in AMBIGUOUS_REASON and "Unikey" in AMBIGUOUS_REASON
    assert "Hãy chuyển mã sang Unicode" in AMBIGUOUS_REASON


legacy_alphabet = st.sampled_from(
    list("aeiouyAEIOUY ,.-0123456789ndgthNDGTH") + [chr(c) for c in range(0xA0, 0x100)])
legacy_like = st.text(legacy_alphabet, max_size=30)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), legacy_like), st.sampled_from(["tcvn3", "vni", None]))
def test_to_unicode_never_crashes_and_returns_nfc(text, encoding):
    out = to_unicode(text, encoding)
    assert isinstance(out, str) and out == unicodedata.normalize("NFC", out)


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(max_codepoint=0x7F), max_size=40), st.sampled_from(["tcvn3", "vni"]))
def test_ascii_text_is_never_changed(text, encoding):
    assert to_unicode(text, encoding) == text


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=30), legacy_like), max_size=12))
def test_detect_never_crashes(texts):
    encoding, confidence = detect(texts)
    assert encoding in (None, "tcvn3", "vni") and 0.0 <= confidence <= 1.0
    assert is_ambiguous(texts) in (True, False)
    if is_ambiguous(texts):
        assert encoding is None
