"""Business-card pictures drawn for the tests and the bench, with what each one says.

Chinese and English cards in six layouts (left column, centred, name and title on one
line, contacts on the right, labels or none, a dark band), a CJK font from a package
(mplfonts' Noto Sans CJK), speckle noise, a rotation of up to 5 degrees and JPEG
compression, so that reading them meets what a phone's camera gives.
"""

from __future__ import annotations

import io
import random
import re
from dataclasses import dataclass
from pathlib import Path

import mplfonts
from PIL import Image, ImageDraw, ImageFont

from bot.media.businesscards import CardFields

FONT = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"


@dataclass(frozen=True)
class Truth:
    name: str
    title: str
    company: str
    phone: str  # E.164
    email: str
    address: str
    website: str


CHINESE = [
    Truth("王小明", "销售总监", "上海星辰物流有限公司", "+8613812345678", "wxm@star-logistics.cn",
          "上海市浦东新区世纪大道100号", "www.star-logistics.cn"),
    Truth("李娜", "采购经理", "北京华信科技股份有限公司", "+8613901234567", "lina@huaxin.com.cn",
          "北京市海淀区中关村大街27号", "www.huaxin.com.cn"),
    Truth("欧阳晓峰", "总经理", "深圳前海贸易集团", "+8615012345678", "ouyang@qhtrade.cn",
          "深圳市南山区科技园南路8号", "www.qhtrade.cn"),
    Truth("张伟", "技术主管", "杭州云帆网络有限公司", "+8618657123456", "zhangwei@yunfan.net",
          "杭州市西湖区文三路90号", "www.yunfan.net"),
    Truth("陈静", "市场部经理", "广州南方食品有限公司", "+8613711112222",
          "chenjing@nanfang-food.com", "广州市天河区体育西路191号", "www.nanfang-food.com"),
    Truth("刘洋", "高级工程师", "成都天府机械制造厂", "+8618980001234", "liuyang@tfjx.cn",
          "成都市高新区天府大道北段966号", "www.tfjx.cn"),
    Truth("赵敏", "财务总监", "南京金陵医药集团", "+8613951234567", "zhaomin@jlyy.com",
          "南京市鼓楼区中山北路88号", "www.jlyy.com"),
    Truth("孙丽华", "客户代表", "苏州工业园区精密电子有限公司", "+8615862345678", "sunlh@szjm.com",
          "苏州市工业园区星湖街328号", "www.szjm.com"),
    Truth("周杰", "区域销售经理", "武汉长江汽车配件有限公司", "+8613307123456", "zhoujie@cjqp.cn",
          "武汉市江汉区建设大道568号", "www.cjqp.cn"),
    Truth("吴芳", "董事长助理", "西安古城文化传媒有限公司", "+8618691234567", "wufang@gcwh.com",
          "西安市雁塔区高新路52号", "www.gcwh.com"),
    Truth("郑国强", "副总裁", "青岛海洋重工股份有限公司", "+8613589012345", "zhenggq@hyzg.com",
          "青岛市崂山区海尔路178号", "www.hyzg.com"),
    Truth("黄晓燕", "人事主管", "厦门鹭岛服饰有限公司", "+8615980123456", "huangxy@ludao.cn",
          "厦门市思明区湖滨南路60号", "www.ludao.cn"),
    Truth("林志明", "项目经理", "福州闽江建设集团", "+8613805912345", "linzm@mjjs.com",
          "福州市鼓楼区五四路128号", "www.mjjs.com"),
    Truth("何雪", "销售顾问", "重庆山城家具有限公司", "+8617723456789", "hexue@scjj.cn",
          "重庆市渝中区解放碑民权路28号", "www.scjj.cn"),
    Truth("马俊", "总工程师", "天津滨海化工有限公司", "+8613821234567", "majun@bhhg.com",
          "天津市滨海新区第三大街15号", "www.bhhg.com"),
    Truth("高媛", "运营总监", "长沙湘江电子商务有限公司", "+8618874123456", "gaoyuan@xjds.com",
          "长沙市岳麓区麓谷大道658号", "www.xjds.com"),
]
ENGLISH = [
    Truth("John Smith", "Sales Director", "Acme Logistics Ltd", "+16502530000",
          "john.smith@acmelogistics.com", "1600 Amphitheatre Parkway, Suite 200",
          "www.acmelogistics.com"),
    Truth("Mary Chen", "Purchasing Manager", "Globex Trading Co.", "+14155550123",
          "mary.chen@globex-trading.com", "500 Market Street, Floor 12", "www.globex-trading.com"),
    Truth("David Lee", "Chief Technology Officer", "Initech Technologies Inc", "+12125550188",
          "dlee@initech.io", "250 Park Avenue, Suite 1400", "www.initech.io"),
    Truth("Sarah Johnson", "Account Manager", "Umbrella Industries LLC", "+13125550147",
          "sarah.j@umbrella-ind.com", "77 West Wacker Drive, Floor 5", "www.umbrella-ind.com"),
    Truth("Michael Brown", "Regional Sales Manager", "Stark Holdings Group", "+12065550199",
          "mbrown@starkholdings.com", "1201 Third Avenue, Suite 3000", "www.starkholdings.com"),
    Truth("Emily Davis", "Marketing Director", "Wayne Enterprises Corp", "+16175550111",
          "emily.davis@wayne-ent.com", "100 Federal Street, Floor 20", "www.wayne-ent.com"),
    Truth("James Wilson", "Senior Engineer", "Cyberdyne Systems Company", "+17135550166",
          "jwilson@cyberdyne.com", "4000 Main Street, Building 3", "www.cyberdyne.com"),
    Truth("Linda Martinez", "Procurement Officer", "Soylent Foods Limited", "+13055550142",
          "lmartinez@soylentfoods.com", "800 Brickell Avenue, Suite 900", "www.soylentfoods.com"),
    Truth("Robert Taylor", "Vice President", "Hooli Technology Group", "+14085550177",
          "rtaylor@hooli.com", "2624 Mission Street, Floor 3", "www.hooli.com"),
    Truth("Jennifer White", "Business Development Manager", "Vandelay Industries Inc",
          "+12015550133", "jwhite@vandelay.com", "129 West 81st Street, Suite 5",
          "www.vandelay.com"),
    Truth("Kevin Zhang", "Sales Representative", "Pied Piper Trading Co.", "+16505550155",
          "kevin.zhang@piedpiper.com", "5230 Newell Road, Building 2", "www.piedpiper.com"),
    Truth("Anna Wang", "Operations Manager", "Dunder Mifflin Paper Company", "+15705550122",
          "anna.wang@dundermifflin.com", "1725 Slough Avenue, Suite 200",
          "www.dundermifflin.com"),
    Truth("Thomas Clark", "Founder", "Gringotts Holdings Ltd", "+447911123456",
          "tclark@gringotts.co.uk", "12 Diagon Street, Floor 4", "www.gringotts.co.uk"),
    Truth("Laura Scott", "Purchasing Director", "Oscorp Industries Inc", "+19175550144",
          "lscott@oscorp.com", "350 Fifth Avenue, Suite 7100", "www.oscorp.com"),
]
CARDS = CHINESE + ENGLISH
LAYOUTS = 6


def _national(phone: str) -> str:
    if phone.startswith("+86"):
        digits = phone[3:]
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if phone.startswith("+1"):
        digits = phone[2:]
        return f"+1 ({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return f"+44 {phone[3:7]} {phone[7:]}"


def _lines(truth: Truth, layout: int) -> list[tuple[str, str]]:
    """(kind, text) top to bottom; kind picks the size: name, title, company, small."""
    chinese = truth.name[0] > "\u4e00"
    labels = layout % 2 == 0
    phone = _national(truth.phone)
    if chinese:
        contact = [("small", f"手机：{phone}" if labels else phone),
                   ("small", f"邮箱：{truth.email}" if labels else truth.email),
                   ("small", f"地址：{truth.address}" if labels else truth.address),
                   ("small", truth.website)]
        if layout in (1, 4):
            contact.insert(1, ("small", "传真：021-6234 5679"))
    else:
        contact = [("small", f"Mobile: {phone}" if labels else f"M {phone}"),
                   ("small", f"Email: {truth.email}" if labels else truth.email),
                   ("small", truth.address),
                   ("small", truth.website)]
        if layout in (1, 4):
            contact.insert(1, ("small", "Fax: +1 (650) 555-0100"))
    if layout == 2:  # name and title on one line, the title smaller
        head = [("company", truth.company), ("name+title", f"{truth.name}\t{truth.title}")]
    elif layout == 3:  # company last
        head = [("name", truth.name), ("title", truth.title)]
        return head + contact + [("company", truth.company)]
    else:
        head = [("company", truth.company), ("name", truth.name), ("title", truth.title)]
    return head + contact


def draw(truth: Truth, layout: int, seed: int) -> bytes:
    """One card as a JPEG a phone might send."""
    rng = random.Random(seed)
    width, height = 1000, 600
    image = Image.new("RGB", (width, height), (250, 250, 245))
    pen = ImageDraw.Draw(image)
    sizes = {"name": 52, "title": 28, "company": 30, "small": 24}
    fonts = {kind: ImageFont.truetype(str(FONT), size) for kind, size in sizes.items()}
    if layout == 5:  # a dark band across the top, the company in it
        pen.rectangle((0, 0, width, 90), fill=(30, 60, 110))
    y = 40
    for kind, text in _lines(truth, layout):
        if kind == "name+title":
            name, title = text.split("\t")
            box = pen.textbbox((0, 0), name, font=fonts["name"])
            pen.text((60, y), name, font=fonts["name"], fill=(20, 20, 20))
            pen.text((60 + box[2] + 24, y + box[3] - 30), title, font=fonts["title"],
                     fill=(60, 60, 60))
            y += box[3] - box[1] + 26
            continue
        font = fonts[kind]
        box = pen.textbbox((0, 0), text, font=font)
        text_width = box[2] - box[0]
        x = {0: 60, 1: (width - text_width) // 2, 4: width - 60 - text_width}.get(layout, 60)
        x = max(20, x)
        colour = (255, 255, 255) if layout == 5 and y < 90 else (20, 20, 20)
        pen.text((x, y), text, font=font, fill=colour)
        y += (box[3] - box[1]) + (26 if kind in ("name", "company") else 18)
    for _ in range(1500):  # speckle
        px, py = rng.randrange(width), rng.randrange(height)
        shade = rng.randrange(120, 220)
        image.putpixel((px, py), (shade, shade, shade))
    image = image.rotate(rng.uniform(-5, 5), expand=True, fillcolor=(250, 250, 245))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=rng.randrange(55, 80))
    return out.getvalue()


def card_set() -> list[tuple[Truth, bytes]]:
    """30 cards: each truth once, the layouts in turn."""
    return [(truth, draw(truth, index % LAYOUTS, index)) for index, truth in enumerate(CARDS)]


FIELDS = ("name", "title", "company", "phone", "email", "address", "website")


def _same(found: str | None, expected: str) -> bool:
    """Spaces and commas are what OCR most often drops; they do not make a field wrong."""
    def plain(value: str | None) -> str:
        return re.sub(r"[\s,.，]", "", value or "").casefold()

    return plain(found) == plain(expected)


def correct(fields: CardFields, truth: Truth) -> dict[str, bool]:
    return {
        "name": _same(fields.name, truth.name), "title": _same(fields.title, truth.title),
        "company": _same(fields.company, truth.company),
        "phone": truth.phone in fields.phones, "email": truth.email in fields.emails,
        "address": _same(fields.address, truth.address),
        "website": _same(fields.website, truth.website),
    }
