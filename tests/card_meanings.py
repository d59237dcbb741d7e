"""Who is on a generated business card, and how its contact lines are written.

A card's truth is made first (a person, a title, a company, phones, emails, an address, a
website), then printed in one of the layout families of tests/cards.py. Two disjoint
styles draw from different pools: DEV (tests may read it, rules may be tuned on it) and
HELD_OUT (other surnames and first names, other companies, streets and titles, other
label words and phone spellings, serif fonts), which only bench/cards.py reads, with
other seeds. The held-out figure is the one that counts.

Phones are generated until `phonenumbers` calls them valid, and the truth holds them in
E.164 (an extension is printed but not part of the number); a fax number is printed
and is never the customer's phone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import phonenumbers
from pypinyin import lazy_pinyin


@dataclass(frozen=True)
class Truth:
    name: str
    title: str
    company: str
    phones: tuple[str, ...]  # E.164, the customer's own: never the fax
    emails: tuple[str, ...]
    address: str
    website: str
    chinese: bool
    printed_phones: tuple[str, ...]  # as printed, in order, one per phone
    fax: str  # as printed, or ""


@dataclass(frozen=True)
class Labels:
    """Label words of one language; several spellings, one picked per card."""

    mobile: tuple[str, ...]
    office: tuple[str, ...]
    fax: tuple[str, ...]
    email: tuple[str, ...]
    address: tuple[str, ...]
    web: tuple[str, ...]


@dataclass(frozen=True)
class Style:
    surnames: tuple[str, ...]
    given: str  # characters a Chinese given name is drawn from
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    cn_cities: tuple[str, ...]
    cn_cores: tuple[str, ...]
    cn_trades: tuple[str, ...]
    cn_suffixes: tuple[str, ...]
    en_cores: tuple[str, ...]
    en_trades: tuple[str, ...]
    en_suffixes: tuple[str, ...]
    cn_titles: tuple[str, ...]
    en_titles: tuple[str, ...]
    cn_roads: tuple[str, ...]
    en_streets: tuple[str, ...]
    cn_labels: Labels
    en_labels: Labels
    cn_phone_forms: tuple[str, ...]  # see _print
    us_phone_forms: tuple[str, ...]
    extension_forms: tuple[str, ...]
    fonts: tuple[str, ...]  # file names in mplfonts' fonts folder


DEV = Style(
    surnames=("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱",
              "胡", "郭", "何", "高", "林", "罗", "欧阳", "司马"),
    given="伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力春晓峰燕宇飞",
    first_names=("John", "Mary", "David", "Sarah", "Michael", "Emily", "James", "Linda",
                 "Robert", "Jennifer", "Kevin", "Anna", "Thomas", "Laura", "Daniel", "Grace"),
    last_names=("Smith", "Chen", "Lee", "Johnson", "Brown", "Davis", "Wilson", "Martinez",
                "Taylor", "White", "Zhang", "Wang", "Clark", "Scott", "Miller", "Moore"),
    cn_cities=("上海", "北京", "深圳", "杭州", "广州", "成都", "南京", ""),
    cn_cores=("星辰", "华信", "前海", "云帆", "南方", "天府", "金陵", "精密", "长江", "古城"),
    cn_trades=("物流", "科技", "贸易", "网络", "食品", "机械", "医药", "电子", "汽车配件"),
    cn_suffixes=("有限公司", "股份有限公司", "集团", "集团有限公司"),
    en_cores=("Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Cyberdyne",
              "Soylent", "Hooli", "Vandelay"),
    en_trades=("Logistics", "Trading", "Technologies", "Industries", "Holdings", "Foods",
               "Systems", "Enterprises"),
    en_suffixes=("Ltd", "Inc", "LLC", "Co.", "Corp", "Group", "Limited", "Company"),
    cn_titles=("销售总监", "采购经理", "总经理", "技术主管", "市场部经理", "高级工程师",
               "财务总监", "客户代表", "区域销售经理", "董事长助理", "副总裁", "项目经理"),
    en_titles=("Sales Director", "Purchasing Manager", "Chief Technology Officer",
               "Account Manager", "Regional Sales Manager", "Marketing Director",
               "Senior Engineer", "Procurement Officer", "Vice President", "Founder"),
    cn_roads=("世纪大道", "中关村大街", "科技园南路", "文三路", "体育西路", "天府大道",
              "中山北路", "星湖街", "建设大道"),
    en_streets=("Market Street", "Park Avenue", "Main Street", "Federal Street",
                "Third Avenue", "Brickell Avenue", "Mission Street", "Fifth Avenue"),
    cn_labels=Labels(mobile=("手机",), office=("电话",), fax=("传真",), email=("邮箱",),
                     address=("地址",), web=("网址",)),
    en_labels=Labels(mobile=("Mobile", "M"), office=("Tel", "T"), fax=("Fax", "F"),
                     email=("Email", "E"), address=("Address",), web=("Web",)),
    cn_phone_forms=("3-4-4 space", "3-4-4 dash", "11", "+86 3-4-4"),
    us_phone_forms=("+1 (3) 3-4", "(3) 3-4", "3-3-4 dash", "+1 3 3 4"),
    extension_forms=("转{ext}", "ext. {ext}"),
    fonts=("NotoSansCJKsc-Regular.otf", "SimHei.ttf"),
)

HELD_OUT = Style(
    surnames=("郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "萧", "田",
              "董", "袁", "潘", "蒋", "蔡", "余", "诸葛", "上官"),
    given="嘉怡子涵浩然梓轩欣雨思远晨曦佳琪志国海波淑贞雪梅振华建国凯文慧敏婷婷立新",
    first_names=("William", "Olivia", "Richard", "Sophia", "Charles", "Isabella", "Joseph",
                 "Emma", "Christopher", "Ava", "Andrew", "Chloe", "Matthew", "Natalie",
                 "Steven", "Rachel"),
    last_names=("Anderson", "Thompson", "Garcia", "Robinson", "Walker", "Young", "Allen",
                "King", "Wright", "Lopez", "Hill", "Green", "Adams", "Baker", "Nelson", "Liu"),
    cn_cities=("武汉", "西安", "青岛", "厦门", "福州", "重庆", "天津", "长沙", ""),
    cn_cores=("鹭岛", "闽江", "山城", "滨海", "湘江", "海洋", "东方", "瑞丰", "中联", "宏达"),
    cn_trades=("服饰", "建设", "家具", "化工", "电子商务", "重工", "包装材料", "新能源",
               "环保设备"),
    cn_suffixes=("有限责任公司", "股份有限公司", "集团股份有限公司", "有限公司", "实业集团"),
    en_cores=("Oscorp", "Gringotts", "Tyrell", "Wonka", "Nakatomi", "Massive Dynamic",
              "Blue Sun", "Aperture", "Monarch", "Prestige"),
    en_trades=("Consulting", "Partners", "Software", "Manufacturing", "Supplies", "Energy",
               "Solutions", "Pharmaceuticals"),
    en_suffixes=("Pte. Ltd.", "PLC", "GmbH", "Corporation", "Inc.", "Co., Ltd.", "LLP",
                 "Pty Ltd"),
    cn_titles=("大客户经理", "首席执行官", "品牌总监", "渠道主管", "总经理助理",
               "售后服务专员", "物流主管", "研发总监", "人力资源经理", "华东区销售总监",
               "董事长", "外贸业务员"),
    en_titles=("Key Account Manager", "Head of Procurement", "Chief Operating Officer",
               "Business Development Executive", "Supply Chain Coordinator",
               "Senior Buyer", "Managing Partner", "Operations Supervisor",
               "Sales Associate", "Director of Marketing"),
    cn_roads=("湖滨南路", "五四路", "民权路", "第三大街", "麓谷大道", "海尔路", "高新路",
              "解放大道"),
    en_streets=("Wacker Drive", "Newell Road", "Slough Avenue", "Diagon Alley",
                "Elm Street", "Harbor Boulevard", "Lake Shore Drive", "King Street"),
    cn_labels=Labels(mobile=("移动电话", "手机号", "Mobile"), office=("座机", "联系电话", "Tel"),
                     fax=("传真", "Fax"), email=("电子邮箱", "E-mail", "邮件"),
                     address=("公司地址", "办公地址", "Add"), web=("网站", "官网", "Web")),
    en_labels=Labels(mobile=("Cell", "Mob", "Mobile Phone"), office=("Phone", "Office", "Direct"),
                     fax=("Fax", "Facsimile"), email=("E-mail", "Mail", "e"),
                     address=("Addr", "Add", "Location"), web=("Website", "URL", "w")),
    cn_phone_forms=("3-4-4 dot", "+86-3-4-4", "(+86) 11", "3 4 4 narrow", "+86 11"),
    us_phone_forms=("3.3.4", "+1-3-3-4", "1 (3) 3-4", "+1 (3) 3 4"),
    extension_forms=("x{ext}", "分机{ext}", "Ext {ext}"),
    fonts=("NotoSerifCJKsc-Regular.otf", "SourceHanSerifSC-Regular.otf",
           "NotoSansCJKsc-Regular.otf"),
)

_MOBILE_PREFIXES = ("130", "131", "133", "135", "136", "137", "138", "139", "150", "151",
                    "152", "155", "158", "159", "177", "180", "182", "186", "187", "189",
                    "198", "199")
_CN_AREAS = {"10": "北京", "21": "上海", "755": "深圳", "20": "广州", "571": "杭州",
             "28": "成都", "25": "南京", "27": "武汉", "29": "西安"}
_US_AREAS = ("212", "415", "650", "312", "617", "206", "713", "305", "408", "917", "646",
             "202")


def _valid(e164: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.parse(e164))


def _cn_mobile(rng: random.Random) -> str:
    while True:
        number = "+86" + rng.choice(_MOBILE_PREFIXES) + "".join(
            rng.choice("0123456789") for _ in range(8))
        if _valid(number):
            return number


def _cn_office(rng: random.Random) -> str:
    while True:
        area = rng.choice(list(_CN_AREAS))
        local = str(rng.randint(2, 8)) + "".join(rng.choice("0123456789") for _ in range(7))
        number = f"+86{area}{local}"
        if _valid(number):
            return number


def _us(rng: random.Random) -> str:
    while True:
        number = "+1" + rng.choice(_US_AREAS) + str(rng.randint(2, 9)) + "".join(
            rng.choice("0123456789") for _ in range(6))
        if _valid(number):
            return number


def _print(e164: str, form: str) -> str:
    """One way of printing a number: a form names its grouping and separator."""
    if e164.startswith("+1"):
        a, b, c = e164[2:5], e164[5:8], e164[8:]
        return {"+1 (3) 3-4": f"+1 ({a}) {b}-{c}", "(3) 3-4": f"({a}) {b}-{c}",
                "3-3-4 dash": f"{a}-{b}-{c}", "+1 3 3 4": f"+1 {a} {b} {c}",
                "3.3.4": f"{a}.{b}.{c}", "+1-3-3-4": f"+1-{a}-{b}-{c}",
                "1 (3) 3-4": f"1 ({a}) {b}-{c}", "+1 (3) 3 4": f"+1 ({a}) {b} {c}"}[form]
    national = e164[3:]
    if national[0] == "1":  # a mobile
        a, b, c = national[:3], national[3:7], national[7:]
        return {"3-4-4 space": f"{a} {b} {c}", "3-4-4 dash": f"{a}-{b}-{c}",
                "11": national, "+86 3-4-4": f"+86 {a} {b} {c}",
                "3-4-4 dot": f"{a}.{b}.{c}", "+86-3-4-4": f"+86-{a}-{b}-{c}",
                "(+86) 11": f"(+86) {national}", "3 4 4 narrow": f"{a} {b} {c}",
                "+86 11": f"+86 {national}"}[form]
    area = national[:2] if national[:2] in _CN_AREAS else national[:3]
    local = national[len(area):]
    half = len(local) // 2
    return {"3-4-4 space": f"0{area} {local[:half]} {local[half:]}",
            "3-4-4 dash": f"0{area}-{local}", "11": f"0{area}{local}",
            "+86 3-4-4": f"+86 {area} {local[:half]} {local[half:]}",
            "3-4-4 dot": f"0{area}.{local[:half]}.{local[half:]}",
            "+86-3-4-4": f"+86-{area}-{local}", "(+86) 11": f"(0{area}) {local}",
            "3 4 4 narrow": f"0{area} {local}", "+86 11": f"+86 {area} {local}"}[form]


def _pinyin(text: str) -> list[str]:
    return [syllable for syllable in lazy_pinyin(text) if syllable.isascii()]


def _chinese_person(style: Style, rng: random.Random) -> tuple[str, list[str]]:
    surname = rng.choice(style.surnames)
    given = "".join(rng.choice(style.given) for _ in range(rng.choice((1, 2, 2))))
    name = surname + given
    sur, giv = "".join(_pinyin(surname)), _pinyin(given)
    locals_ = [sur + "".join(giv), "".join(s[0] for s in _pinyin(name)),
               "".join(giv) + "." + sur, sur + "".join(s[0] for s in giv)]
    return name, locals_


def _latin_person(style: Style, rng: random.Random) -> tuple[str, list[str]]:
    first, last = rng.choice(style.first_names), rng.choice(style.last_names)
    middle = rng.choice("ABCDEFGHJKLMPRSTW") if rng.random() < 0.4 else ""
    name = f"{first} {middle}. {last}" if middle else f"{first} {last}"
    f, lname = first.lower(), last.lower()
    return name, [f"{f}.{lname}", f"{f[0]}{lname}", f, f"{f}_{lname}", f"{f[0]}.{lname}"]


def make_truth(style: Style, rng: random.Random, chinese: bool, *, phones: int = 1,
               emails: int = 1, fax: bool = False) -> Truth:
    """A person on a card; `phones` and `emails` say how many of each it prints."""
    if chinese:
        name, locals_ = _chinese_person(style, rng)
        core = rng.choice(style.cn_cores)
        company = (rng.choice(style.cn_cities) + core + rng.choice(style.cn_trades)
                   + rng.choice(style.cn_suffixes))
        slug = "".join(s[0] for s in _pinyin(core)) + rng.choice(("", "-group", "tech", "wl"))
        domain = slug + rng.choice((".cn", ".com", ".com.cn", ".net"))
        title = rng.choice(style.cn_titles)
        city = rng.choice([c for c in style.cn_cities if c])
        address = (f"{city}市{rng.choice(('浦东新区', '海淀区', '南山区', '西湖区', '天河区'))}"
                   f"{rng.choice(style.cn_roads)}{rng.randint(1, 999)}号")
        if rng.random() < 0.4:
            address += f"{rng.randint(2, 30)}楼"
        numbers = [_cn_mobile(rng)] + [_cn_office(rng) for _ in range(phones - 1)]
        forms = style.cn_phone_forms
        fax_number = _cn_office(rng) if fax else ""
    else:
        name, locals_ = _latin_person(style, rng)
        core = rng.choice(style.en_cores)
        company = f"{core} {rng.choice(style.en_trades)} {rng.choice(style.en_suffixes)}"
        slug = core.lower().replace(" ", "")
        domain = slug + rng.choice((".com", ".io", ".co.uk", ".net", "-group.com"))
        title = rng.choice(style.en_titles)
        address = f"{rng.randint(1, 4999)} {rng.choice(style.en_streets)}"
        if rng.random() < 0.6:
            address += rng.choice((", Suite ", ", Floor ", ", Unit ")) + str(rng.randint(2, 40))
        numbers = [_us(rng) for _ in range(phones)]
        forms = style.us_phone_forms
        fax_number = _us(rng) if fax else ""
    printed = [_print(number, rng.choice(forms)) for number in numbers]
    if phones > 1:  # an office line often carries an extension
        printed[1] += " " + rng.choice(style.extension_forms).format(ext=rng.randint(100, 9999))
    addresses = [f"{rng.choice(locals_)}@{domain}"]
    if emails > 1:
        addresses.append(rng.choice(("sales", "info", "service", "contact")) + "@" + domain)
    return Truth(name=name, title=title, company=company, phones=tuple(numbers),
                 emails=tuple(addresses), address=address,
                 website=rng.choice(("www.", "www.", "", "https://www.")) + domain,
                 chinese=chinese, printed_phones=tuple(printed),
                 fax=_print(fax_number, rng.choice(forms)) if fax else "")
