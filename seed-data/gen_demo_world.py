#!/usr/bin/env python3
"""Generates seed-data/demo-world.json from the tables below and the division subset.

Deterministic: the same input gives byte-identical output. Run `python3 gen_demo_world.py`,
then `python3 validate.py`. All organisations, people, phone numbers, licence numbers and
poverty statuses here are illustrative demo data, not official records.
"""
import csv, gzip, io, json, os, random

HERE = os.path.dirname(os.path.abspath(__file__))
DIV = os.path.join(HERE, "divisions")
rng = random.Random(20260101)


def load(name):
    with gzip.open(os.path.join(DIV, name), "rt", encoding="utf-8", newline="") as f:
        return {r["code"]: r for r in csv.DictReader(f)}


PROV, CITY, AREA, STREET, VILLAGE = (load(n) for n in (
    "provinces.csv.gz", "cities.csv.gz", "areas.csv.gz", "streets.csv.gz", "villages.csv.gz"))


def short_village(name):
    for suffix in ("村民委员会", "村委会", "居民委员会"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name if name.endswith("村") else name + "村"


def place(code):
    """县 + 乡镇 + 村 words for an origin statement."""
    if code in VILLAGE:
        v = VILLAGE[code]
        return AREA[v["areaCode"]]["name"] + STREET[v["streetCode"]]["name"] + short_village(v["name"])
    if code in STREET:
        s = STREET[code]
        return AREA[s["areaCode"]]["name"] + s["name"]
    return AREA[code]["name"]


def county_of(code):
    return code[:6]


# ---------------------------------------------------------------- unified social credit codes
# GB 32100-2015 layout: authority(1) + type(1) + county code(6) + organisation code(9) + check(1)
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_W = [3, 7, 9, 10, 5, 8, 4, 2]
USED_USCC = set()


def org_code():
    body = "MA0" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(5))
    s = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, ORG_W))  # GB 11714: A=10 .. Z=35
    c9 = 11 - s % 11
    return body + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))


def uscc(kind, county):
    prefix = {"LEADING_ENTERPRISE": "91", "POVERTY_WORKSHOP": "91", "COOPERATIVE": "93",
              "FAMILY_FARM": "92", "HOUSEHOLD": "92", "VILLAGE_COLLECTIVE": "N2"}[kind]
    while True:
        s17 = prefix + county + org_code()
        total = sum(USCC_CHARS.index(c) * w for c, w in zip(s17, USCC_W))
        code = s17 + USCC_CHARS[(31 - total % 31) % 31]
        if code not in USED_USCC:
            USED_USCC.add(code)
            return code


USED_PHONES = set()


def phone():
    while True:
        p = rng.choice(["133", "135", "136", "137", "138", "139", "150", "152", "157", "158",
                        "159", "177", "180", "183", "187", "188", "189", "198"]) + \
            "".join(rng.choice("0123456789") for _ in range(8))
        if p not in USED_PHONES:
            USED_PHONES.add(p)
            return p


# ---------------------------------------------------------------- statuses and pairings
REGION_STATUSES = [
    # counties (illustrative, see README)
    ("130126", "DEEP_POVERTY", None, "2014-01-01"),   # 灵寿县
    ("130727", "DEEP_POVERTY", None, "2014-01-01"),   # 阳原县
    ("130636", "POOR", None, "2014-01-01"),           # 顺平县
    ("130881", "EXITED", 2018, "2018-09-29"),         # 平泉市
    ("131124", "EXITED", 2019, "2019-05-05"),         # 饶阳县
    ("440825", "POOR", None, "2016-01-01"),           # 徐闻县 (Guangdong relative-poverty villages)
    ("445322", "EXITED", 2020, "2020-12-31"),         # 郁南县
    # registered poor villages (建档立卡贫困村)
    ("130126208203", "DEEP_POVERTY", None, "2014-01-01"),  # 灵寿 南营乡 银洞村
    ("130126208201", "DEEP_POVERTY", None, "2014-01-01"),  # 灵寿 南营乡 团泊口村
    ("130126204207", "POOR", None, "2014-01-01"),          # 灵寿 南寨乡 青廉村
    ("130727203202", "DEEP_POVERTY", None, "2014-01-01"),  # 阳原 三马坊乡 大蟒沟村
    ("130727202201", "DEEP_POVERTY", None, "2014-01-01"),  # 阳原 井儿沟乡 井儿沟村
    ("130727208202", "POOR", None, "2014-01-01"),          # 阳原 浮图讲乡 六角村
    ("130636205203", "POOR", None, "2014-01-01"),          # 顺平 大悲乡 富有村
    ("130636204203", "POOR", None, "2014-01-01"),          # 顺平 台鱼乡 东峪村
    ("130881206204", "POOR", None, "2014-01-01"),          # 平泉 茅兰沟乡 帽子山村
    ("440825104204", "POOR", None, "2016-01-01"),          # 徐闻 曲界镇 田洋村
    ("440825113204", "POOR", None, "2016-01-01"),          # 徐闻 南山镇 槟榔村
    ("445322115203", "POOR", None, "2016-01-01"),          # 郁南 连滩镇 西坝村
]

PAIRINGS = [
    ("4406", "440825", "IN_PROVINCE", "2016-01-01", None),  # 佛山 → 湛江 徐闻 (seed 002)
    ("4406", "445322", "IN_PROVINCE", "2016-01-01", None),  # 佛山 → 云浮 郁南 (seed 002)
    ("1301", "130126", "DESIGNATED", "2018-01-01", None),   # 石家庄 → 灵寿
    ("1307", "130727", "DESIGNATED", "2018-01-01", None),   # 张家口 → 阳原
]

# ---------------------------------------------------------------- producers
# key, name, kind, regionCode, contact, linkage modes, households, profit share %, verified, suspended
PRODUCERS = [
    # 灵寿县 130126: 红薯, 核桃, 中药材, 家政
    ("p01", "灵寿县青廉红薯种植专业合作社", "COOPERATIVE", "130126204207", "张国强", ["BUSINESS_INCOME", "WAGE"], 86, 10, True, False),
    ("p02", "石家庄燕川薯业食品有限公司", "LEADING_ENTERPRISE", "130126205", "刘建华", ["WAGE", "BUSINESS_INCOME"], 312, 5, True, False),
    ("p03", "灵寿县南营乡银洞村股份经济合作社", "VILLAGE_COLLECTIVE", "130126208203", "赵志军", ["ASSET_INCOME", "WAGE"], 64, 30, True, False),
    ("p04", "灵寿县陈庄镇东村巧手扶贫车间", "POVERTY_WORKSHOP", "130126103204", "李素娟", ["WAGE"], 38, 0, True, False),
    ("p05", "灵寿县凡同中药材家庭农场", "FAMILY_FARM", "130126203202", "苏明亮", ["WAGE", "BUSINESS_INCOME"], 17, 8, True, False),
    ("p06", "灵寿县巾帼家政服务专业合作社", "COOPERATIVE", "130126100", "韩春梅", ["WAGE"], 45, 0, True, False),
    ("p07", "王秀兰(团泊口村贫困户)", "HOUSEHOLD", "130126208201", "王秀兰", ["BUSINESS_INCOME"], 1, 0, True, False),
    # 顺平县 130636: 肠衣, 桃, 苹果
    ("p08", "顺平县高于铺肠衣加工有限公司", "LEADING_ENTERPRISE", "130636101", "高振东", ["WAGE", "ASSET_INCOME"], 268, 6, True, False),
    ("p09", "顺平县大恩桃果种植专业合作社", "COOPERATIVE", "130636103201", "杨立新", ["BUSINESS_INCOME", "ASSET_INCOME"], 93, 12, True, False),
    ("p10", "顺平县大悲乡富有村股份经济合作社", "VILLAGE_COLLECTIVE", "130636205203", "孙福田", ["ASSET_INCOME", "WAGE", "BUSINESS_INCOME"], 71, 25, True, False),
    ("p11", "顺平县腰山镇利民扶贫车间", "POVERTY_WORKSHOP", "130636102", "魏红霞", ["WAGE"], 26, 0, True, "列入经营异常名录(未按规定公示2025年度报告)"),
    ("p12", "顺平县安阳镇东安阳家庭农场", "FAMILY_FARM", "130636105201", "曹永刚", ["WAGE"], 6, 0, False, False),
    # 阳原县 130727: 驴肉, 杂粮, 皮毛
    ("p13", "张家口泥河湾驴业食品有限公司", "LEADING_ENTERPRISE", "130727101", "吴海涛", ["WAGE", "ASSET_INCOME", "BUSINESS_INCOME"], 405, 8, True, False),
    ("p14", "阳原县化稍营肉驴养殖专业合作社", "COOPERATIVE", "130727102201", "冯德胜", ["BUSINESS_INCOME", "ASSET_INCOME"], 124, 15, True, False),
    ("p15", "阳原县井儿沟杂粮种植专业合作社", "COOPERATIVE", "130727202201", "郝玉林", ["BUSINESS_INCOME"], 78, 10, True, False),
    ("p16", "阳原县东井集皮毛制品扶贫车间", "POVERTY_WORKSHOP", "130727104201", "贾淑芬", ["WAGE"], 52, 0, True, False),
    ("p17", "阳原县揣骨疃村股份经济合作社", "VILLAGE_COLLECTIVE", "130727103201", "闫文斌", ["ASSET_INCOME", "WAGE"], 47, 30, True, False),
    ("p18", "张建军(大蟒沟村贫困户)", "HOUSEHOLD", "130727203202", "张建军", ["BUSINESS_INCOME"], 1, 0, True, False),
    # 平泉市 130881: 食用菌, 山杏, 黄芩
    ("p19", "承德平泉森源菌业有限公司", "LEADING_ENTERPRISE", "130881100", "田宝山", ["WAGE", "BUSINESS_INCOME", "ASSET_INCOME"], 520, 6, True, False),
    ("p20", "平泉市卧龙镇沙坨子食用菌专业合作社", "COOPERATIVE", "130881107201", "于长海", ["BUSINESS_INCOME", "WAGE"], 136, 12, True, False),
    ("p21", "平泉市水泉沟菌菇家庭农场", "FAMILY_FARM", "130881103202", "鲍立军", ["WAGE"], 12, 0, True, False),
    ("p22", "平泉市七沟镇菌菇深加工扶贫车间", "POVERTY_WORKSHOP", "130881104201", "关丽华", ["WAGE", "ASSET_INCOME"], 41, 5, True, False),
    ("p23", "平泉市茅兰沟乡帽子山村股份经济合作社", "VILLAGE_COLLECTIVE", "130881206204", "白玉成", ["ASSET_INCOME", "BUSINESS_INCOME"], 58, 28, True, False),
    ("p24", "平泉市柳溪镇劳务专业合作社", "COOPERATIVE", "130881111", "包金山", ["WAGE"], 67, 0, True, False),
    # 饶阳县 131124: 设施果蔬
    ("p25", "衡水饶阳瑞丰果蔬有限公司", "LEADING_ENTERPRISE", "131124101", "边志刚", ["WAGE", "ASSET_INCOME"], 286, 7, True, False),
    ("p26", "饶阳县五公蔬菜种植专业合作社", "COOPERATIVE", "131124102200", "耿占军", ["BUSINESS_INCOME", "WAGE"], 102, 10, True, False),
    ("p27", "饶阳县小官亭葡萄种植家庭农场", "FAMILY_FARM", "131124103201", "齐红旗", ["WAGE"], 9, 0, True, False),
    ("p28", "饶阳县王同岳镇果品加工扶贫车间", "POVERTY_WORKSHOP", "131124104", "崔晓燕", ["WAGE"], 33, 0, True, False),
    ("p29", "刘桂芝(西九吉村贫困户)", "HOUSEHOLD", "131124106201", "刘桂芝", ["BUSINESS_INCOME"], 1, 0, False, False),
    # 徐闻县 440825: 菠萝, 水产, 良姜
    ("p30", "徐闻县曲界镇田洋菠萝专业合作社", "COOPERATIVE", "440825104204", "陈海生", ["BUSINESS_INCOME", "WAGE"], 148, 12, True, False),
    ("p31", "湛江海安湾水产有限公司", "LEADING_ENTERPRISE", "440825103", "黄振宇", ["WAGE", "BUSINESS_INCOME"], 233, 6, True, False),
    ("p32", "徐闻县前山良姜家庭农场", "FAMILY_FARM", "440825105201", "林国栋", ["WAGE", "BUSINESS_INCOME"], 21, 5, True, False),
    ("p33", "徐闻县下桥镇下桥村股份经济合作社", "VILLAGE_COLLECTIVE", "440825107201", "吴伟雄", ["ASSET_INCOME", "WAGE"], 62, 30, True, False),
    # 郁南县 445322: 无核黄皮, 沙糖桔
    ("p34", "郁南县建城镇附城无核黄皮专业合作社", "COOPERATIVE", "445322105201", "梁志明", ["BUSINESS_INCOME", "ASSET_INCOME"], 175, 15, True, False),
    ("p35", "云浮南江农业发展有限公司", "LEADING_ENTERPRISE", "445322", "李俊杰", ["WAGE", "BUSINESS_INCOME", "ASSET_INCOME"], 356, 8, True, False),
    ("p36", "郁南县宝珠沙糖桔家庭农场", "FAMILY_FARM", "445322106202", "邓伟明", ["WAGE", "BUSINESS_INCOME"], 14, 5, True, False),
    ("p37", "郁南县连滩镇西坝村股份经济合作社", "VILLAGE_COLLECTIVE", "445322115203", "谭永康", ["ASSET_INCOME", "WAGE"], 49, 30, True, False),
    ("p38", "郁南县大湾南粤家政服务专业合作社", "COOPERATIVE", "445322111", "罗秀玲", ["WAGE"], 58, 0, True, False),
]

# ---------------------------------------------------------------- products
# per producer: (base name, category, [(spec, unit, price yuan[, min order])], quality marks)
# A product with several variants becomes one product per variant, named "<base> <size>装".
# Items named in OVERPRICED are deliberately > 1.5x comparable items (same category, unit, spec).
G, V, F, M, P, A = "GRAIN_OIL", "VEGETABLES", "FRUIT", "MEAT", "POULTRY_EGGS", "AQUATIC"
E, H, T, PF, HC, RT, LS = ("EDIBLE_FUNGI", "HERBAL_MEDICINE", "TEA", "PROCESSED_FOOD",
                           "HANDICRAFTS", "RURAL_TOURISM", "LABOUR_SERVICES")
GI, GF, OR, RB = "GEOGRAPHICAL_INDICATION", "GREEN_FOOD", "ORGANIC", "REGIONAL_BRAND"

PRODUCTS = {
    "p01": [
        ("灵寿红薯(烟薯25号)", G, [("2.5kg/箱", "箱", 25.8), ("5kg/箱", "箱", 45.8), ("10kg/箱", "箱", 79.8)], [RB]),
        ("灵寿红薯(西瓜红)", G, [("5kg/箱", "箱", 39.8), ("10kg/箱", "箱", 69.8)], [RB]),
        ("灵寿紫薯", G, [("5kg/箱", "箱", 49.8)], [GF]),
        ("灵寿红薯(食堂大包装)", G, [("20kg/袋", "袋", 96.0, 5)], []),
        ("灵寿红薯干(倒蒸地瓜干)", PF, [("500g/袋", "袋", 19.8), ("1kg/箱", "箱", 36.0)], [RB]),
        ("灵寿手工红薯粉条", PF, [("2.5kg/箱", "箱", 42.0)], []),
        ("灵寿红薯采挖体验", RT, [("1人/次(含2kg自挖红薯)", "人", 58.0)], []),
    ],
    "p02": [
        ("灵寿红薯粉条(细)", PF, [("500g/袋", "袋", 12.8), ("2.5kg/箱", "箱", 45.0)], [RB]),
        ("灵寿红薯粉丝", PF, [("400g/袋", "袋", 11.5)], []),
        ("灵寿红薯淀粉", PF, [("1kg/袋", "袋", 16.8), ("25kg/袋", "袋", 330.0, 2)], []),
        ("灵寿红薯(精选礼盒)", G, [("5kg/箱", "箱", 128.0)], [RB]),  # OVERPRICED
        ("灵寿烤红薯(即食)", PF, [("1kg/盒", "盒", 29.9)], []),
        ("灵寿红薯酸辣粉", PF, [("6桶/箱", "箱", 39.9)], []),
        ("灵寿红薯(食堂配送)", G, [("10kg/箱", "箱", 72.0, 5)], []),
        ("灵寿红薯叶(鲜)", V, [("2.5kg/箱", "箱", 28.0)], []),
    ],
    "p03": [
        ("灵寿南营薄皮核桃", F, [("1kg/袋", "袋", 36.0), ("2kg/袋", "袋", 68.0)], [GF]),
        ("灵寿柴鸡蛋(散养)", P, [("30枚/盒", "盒", 48.0), ("60枚/箱", "箱", 88.0)], []),
        ("灵寿山区柴鸡(整只)", P, [("1.5kg/只", "只", 88.0)], []),
        ("灵寿五岳寨农家乐(两日游)", RT, [("1人/2天1晚(含食宿)", "人", 268.0)], []),
        ("灵寿五岳寨农家乐(一日餐)", RT, [("1人/次(午餐)", "人", 68.0)], []),
        ("灵寿山区小米", G, [("2.5kg/袋", "袋", 29.8)], [GF]),
        ("灵寿野生酸枣仁", H, [("250g/袋", "袋", 98.0)], []),
    ],
    "p04": [
        ("灵寿手工千层底布鞋", HC, [("1双", "双", 89.0)], []),
        ("灵寿手工编织坐垫", HC, [("1个", "个", 45.0)], []),
        ("灵寿虎头鞋(儿童)", HC, [("1双", "双", 68.0)], []),
        ("灵寿手工绣花鞋垫", HC, [("2双/袋", "袋", 35.0)], []),
        ("灵寿手工中国结", HC, [("1个", "个", 28.0)], []),
        ("灵寿手工布艺香囊", HC, [("5个/盒", "盒", 49.0)], []),
    ],
    "p05": [
        ("灵寿柴胡(统货)", H, [("1kg/袋", "袋", 76.0), ("5kg/袋", "袋", 360.0, 2)], [RB]),
        ("灵寿黄芩(切片)", H, [("1kg/袋", "袋", 58.0)], []),
        ("灵寿丹参", H, [("1kg/袋", "袋", 52.0)], []),
        ("灵寿连翘", H, [("1kg/袋", "袋", 66.0)], []),
        ("灵寿连翘叶茶", T, [("100g/罐", "罐", 48.0)], []),
        ("灵寿黄芩茶", T, [("150g/盒", "盒", 58.0)], []),
        ("灵寿小杂粮(谷子)", G, [("5kg/袋", "袋", 48.0)], []),
    ],
    "p06": [
        ("灵寿巾帼家政保洁服务", LS, [("4小时/次", "次", 120.0)], []),
        ("灵寿巾帼家政服务(住家保姆)", LS, [("1天", "天", 180.0)], []),
        ("灵寿巾帼月嫂服务", LS, [("26天/单", "单", 7800.0)], []),
        ("灵寿巾帼养老护理员服务", LS, [("1天", "天", 200.0)], []),
        ("灵寿食堂帮厨劳务", LS, [("1人·天", "天", 150.0, 2)], []),
        ("灵寿农忙季节用工(红薯采收)", LS, [("1人·天", "天", 130.0, 5)], []),
    ],
    "p07": [
        ("灵寿团泊口土鸡蛋", P, [("30枚/盒", "盒", 45.0)], []),
        ("灵寿团泊口小红枣", F, [("1kg/袋", "袋", 25.0)], []),
        ("灵寿团泊口山核桃", F, [("1kg/袋", "袋", 32.0)], []),
        ("灵寿团泊口红薯", G, [("5kg/箱", "箱", 42.0)], []),
    ],
    "p08": [
        ("顺平猪肠衣(盐渍)", PF, [("1把(91.5m)", "把", 85.0, 10), ("100把/桶", "桶", 8200.0)], [RB]),
        ("顺平羊肠衣(盐渍)", PF, [("1把(91.5m)", "把", 128.0, 10), ("100把/桶", "桶", 12500.0)], [RB]),
        ("顺平肠衣(家用灌肠装)", PF, [("20m/袋", "袋", 25.0)], []),
        ("顺平手工灌肠", M, [("1kg/袋", "袋", 58.0)], []),
        ("顺平腊肠(广式)", PF, [("400g/袋", "袋", 32.0)], []),
        ("顺平鲜猪肉(后腿)", M, [("2.5kg/箱", "箱", 78.0)], []),
        ("顺平猪肉(食堂分割包)", M, [("10kg/箱", "箱", 285.0, 2)], []),
    ],
    "p09": [
        ("顺平桃(水蜜桃)", F, [("2.5kg/箱", "箱", 39.8), ("5kg/箱", "箱", 69.8)], [GI]),
        ("顺平桃(油桃)", F, [("5kg/箱", "箱", 59.8)], [GI]),
        ("顺平黄桃", F, [("5kg/箱", "箱", 65.0)], [GI, GF]),
        ("顺平黄桃罐头", PF, [("425g×6罐/箱", "箱", 59.0)], []),
        ("顺平蟠桃", F, [("2.5kg/箱", "箱", 45.0)], []),
        ("顺平桃园采摘", RT, [("1人/次(含2.5kg桃)", "人", 49.0)], []),
        ("顺平桃木梳", HC, [("1把", "把", 29.0)], []),
    ],
    "p10": [
        ("顺平富有苹果(红富士)", F, [("5kg/箱", "箱", 55.0), ("10kg/箱", "箱", 98.0)], []),
        ("顺平大悲磨盘柿子", F, [("5kg/箱", "箱", 49.0)], []),
        ("顺平柿饼", PF, [("1kg/袋", "袋", 38.0)], []),
        ("顺平大悲农家院(住宿)", RT, [("1人/晚(含早餐)", "人", 128.0)], []),
        ("顺平大悲农家饭", RT, [("1人/次(午餐)", "人", 58.0)], []),
        ("顺平山区花椒", V, [("500g/袋", "袋", 39.0)], []),
        ("顺平富有村柴鸡蛋", P, [("30枚/盒", "盒", 46.0)], []),
        ("顺平富有村小米", G, [("2.5kg/袋", "袋", 27.8)], []),
    ],
    "p11": [
        ("顺平手工串珠饰品", HC, [("1串", "串", 25.0)], []),
        ("顺平毛绒玩具(小号)", HC, [("1个", "个", 35.0)], []),
        ("顺平手工编织收纳筐", HC, [("1个", "个", 48.0)], []),
        ("顺平肠衣分拣劳务", LS, [("1人·天", "天", 140.0, 2)], []),
        ("顺平手工假花", HC, [("1束", "束", 32.0)], []),
    ],
    "p12": [
        ("顺平安阳大白菜", V, [("10kg/袋", "袋", 20.0, 5)], []),
        ("顺平安阳白萝卜", V, [("10kg/袋", "袋", 22.0, 5)], []),
        ("顺平安阳土豆", V, [("10kg/袋", "袋", 32.0, 3)], []),
        ("顺平安阳黑猪肉", M, [("2.5kg/箱", "箱", 85.0)], []),
        ("顺平安阳大葱", V, [("5kg/捆", "捆", 18.0, 5)], []),
    ],
    "p13": [
        ("阳原驴肉(鲜分割)", M, [("1kg/袋", "袋", 98.0), ("5kg/箱", "箱", 460.0)], [RB]),
        ("阳原卤驴肉(真空装)", PF, [("200g/盒", "盒", 32.0), ("400g/盒", "盒", 62.0)], [RB]),
        ("阳原驴肉礼盒", PF, [("1.5kg/盒", "盒", 228.0)], [RB]),
        ("阳原驴肉火烧(速冻)", PF, [("10个/袋", "袋", 59.0)], []),
        ("阳原驴骨汤(浓缩)", PF, [("500g/袋", "袋", 32.0)], []),
        ("阳原驴排", M, [("1kg/袋", "袋", 86.0)], []),
        ("阳原驴肉(食堂装)", M, [("10kg/箱", "箱", 880.0, 2)], []),
        ("阳原驴皮阿胶糕", PF, [("500g/盒", "盒", 168.0)], []),
    ],
    "p14": [
        ("阳原化稍营鲜驴肉", M, [("1kg/袋", "袋", 92.0), ("5kg/箱", "箱", 440.0)], []),
        ("阳原化稍营驴杂", M, [("1kg/袋", "袋", 45.0)], []),
        ("阳原化稍营酱驴肉", PF, [("400g/盒", "盒", 58.0)], []),
        ("阳原化稍营驴板肠", M, [("1kg/袋", "袋", 78.0)], []),
        ("阳原肉驴养殖托管服务", LS, [("1头·月", "月", 260.0)], []),
        ("阳原化稍营柴鸡蛋", P, [("30枚/盒", "盒", 42.0)], []),
    ],
    "p15": [
        ("阳原小米(黄小米)", G, [("2.5kg/袋", "袋", 25.0), ("5kg/袋", "袋", 46.0)], [GF]),
        ("阳原小米(有机)", G, [("2.5kg/袋", "袋", 69.9)], [OR]),  # OVERPRICED (cf. 35 yuan millet)
        ("阳原黍米(黄米)", G, [("2.5kg/袋", "袋", 26.0)], []),
        ("阳原荞麦面", G, [("2.5kg/袋", "袋", 28.0)], []),
        ("阳原莜麦面", G, [("2.5kg/袋", "袋", 29.8)], []),
        ("阳原杂粮礼盒", G, [("5kg/盒", "盒", 88.0)], [RB]),
        ("阳原大扁杏仁", PF, [("500g/罐", "罐", 45.0)], []),
        ("阳原胡麻油(冷榨)", G, [("5L/桶", "桶", 138.0)], []),
        ("阳原黑豆", G, [("2.5kg/袋", "袋", 32.0)], []),
    ],
    "p16": [
        ("阳原羊剪绒坐垫", HC, [("1个(45×45cm)", "个", 128.0)], []),
        ("阳原皮毛手套", HC, [("1双", "双", 98.0)], []),
        ("阳原兔毛围巾", HC, [("1条", "条", 118.0)], []),
        ("阳原羊皮护膝", HC, [("1副", "副", 79.0)], []),
        ("阳原皮毛玩偶", HC, [("1个", "个", 59.0)], []),
        ("阳原羊毛毡拖鞋", HC, [("1双", "双", 69.0)], []),
        ("阳原皮毛缝制劳务(来料加工)", LS, [("1人·天", "天", 120.0, 5)], []),
    ],
    "p17": [
        ("阳原泥河湾遗址研学游", RT, [("1人/天(含讲解午餐)", "人", 128.0)], []),
        ("阳原泥河湾农家院(住宿)", RT, [("1人/晚(含早餐)", "人", 98.0)], []),
        ("阳原揣骨疃农家饭", RT, [("1人/次(午餐)", "人", 48.0)], []),
        ("阳原揣骨疃柴鸡蛋", P, [("30枚/盒", "盒", 43.0)], []),
        ("阳原揣骨疃土豆", V, [("10kg/袋", "袋", 30.0, 3)], []),
        ("阳原鲜食玉米", V, [("10穗/箱", "箱", 35.0)], []),
    ],
    "p18": [
        ("阳原大蟒沟土鸡蛋", P, [("30枚/盒", "盒", 40.0)], []),
        ("阳原大蟒沟散养土鸡", P, [("1.5kg/只", "只", 85.0)], []),
        ("阳原大蟒沟杏扁", F, [("500g/袋", "袋", 28.0)], []),
        ("阳原大蟒沟小米", G, [("2.5kg/袋", "袋", 24.0)], []),
    ],
    "p19": [
        ("平泉香菇(鲜)", E, [("2.5kg/箱", "箱", 39.8), ("5kg/箱", "箱", 72.0)], [GI, RB]),
        ("平泉干香菇", E, [("500g/袋", "袋", 39.8), ("1kg/袋", "袋", 76.0)], [GI, RB]),
        ("平泉花菇(干)", E, [("500g/袋", "袋", 58.0)], [GI, GF]),
        ("平泉香菇礼盒", E, [("1kg/盒", "盒", 98.0)], [GI, RB]),
        ("平泉香菇酱", PF, [("200g×6瓶/箱", "箱", 59.0)], [RB]),
        ("平泉香菇脆", PF, [("100g×5袋/盒", "盒", 45.0)], []),
        ("平泉香菇(食堂装)", E, [("10kg/箱", "箱", 128.0, 2)], [GI]),
        ("平泉杏仁露原浆", PF, [("240ml×20罐/箱", "箱", 68.0)], []),
    ],
    "p20": [
        ("平泉滑子菇(鲜)", E, [("2.5kg/箱", "箱", 35.0), ("5kg/箱", "箱", 65.0)], [GI]),
        ("平泉平菇(鲜)", E, [("5kg/箱", "箱", 45.0)], []),
        ("平泉黑木耳(干)", E, [("500g/袋", "袋", 45.0)], [GF]),
        ("平泉干香菇(特级)", E, [("500g/袋", "袋", 138.0)], [GI]),  # OVERPRICED
        ("平泉滑子菇罐头", PF, [("400g×6罐/箱", "箱", 48.0)], []),
        ("平泉菌菇采摘体验", RT, [("1人/次(含1kg鲜菇)", "人", 45.0)], []),
        ("平泉菇棚管护用工", LS, [("1人·天", "天", 130.0, 3)], []),
        ("平泉杏鲍菇(鲜)", E, [("5kg/箱", "箱", 48.0)], []),
    ],
    "p21": [
        ("平泉水泉沟干香菇", E, [("500g/袋", "袋", 36.0)], []),
        ("平泉水泉沟鲜香菇", E, [("5kg/箱", "箱", 68.0)], []),
        ("平泉山杏仁(苦)", H, [("500g/袋", "袋", 42.0)], []),
        ("平泉水泉沟榛子", F, [("500g/袋", "袋", 32.0)], []),
        ("平泉水泉沟小米", G, [("2.5kg/袋", "袋", 26.8)], []),
    ],
    "p22": [
        ("平泉香菇柄(即食零食)", PF, [("200g/袋", "袋", 19.9)], []),
        ("平泉香菇牛肉酱", PF, [("210g×3瓶/盒", "盒", 49.0)], []),
        ("平泉菌菇汤料包", PF, [("80g×5袋/盒", "盒", 39.0)], []),
        ("平泉香菇粉(调味)", PF, [("250g/罐", "罐", 36.0)], []),
        ("平泉香菇面条", G, [("2.5kg/箱", "箱", 35.0)], []),
        ("平泉菌菇分拣包装劳务", LS, [("1人·天", "天", 125.0, 3)], []),
    ],
    "p23": [
        ("平泉帽子山黄芩", H, [("1kg/袋", "袋", 55.0)], [RB]),
        ("平泉黄芩茶(野生)", T, [("150g/盒", "盒", 62.0)], [RB]),
        ("平泉山杏仁茶", T, [("200g/罐", "罐", 45.0)], []),
        ("平泉辽河源农家院(住宿)", RT, [("1人/晚(含早晚餐)", "人", 118.0)], []),
        ("平泉辽河源森林研学游", RT, [("1人/天", "人", 88.0)], []),
        ("平泉帽子山柴鸡", P, [("1.5kg/只", "只", 90.0)], []),
        ("平泉帽子山苍术", H, [("1kg/袋", "袋", 68.0)], []),
        ("平泉满族刺绣", HC, [("1幅", "幅", 168.0)], []),
    ],
    "p24": [
        ("平泉柳溪家政保洁服务", LS, [("4小时/次", "次", 110.0)], []),
        ("平泉柳溪护工服务", LS, [("1天", "天", 190.0)], []),
        ("平泉柳溪保安服务", LS, [("1人·月", "月", 3600.0)], []),
        ("平泉柳溪绿化养护劳务", LS, [("1人·天", "天", 140.0, 3)], []),
        ("平泉柳溪搬运装卸劳务", LS, [("1人·天", "天", 160.0, 2)], []),
    ],
    "p25": [
        ("饶阳葡萄(巨峰)", F, [("2.5kg/箱", "箱", 45.0), ("5kg/箱", "箱", 79.0)], [GI, GF]),
        ("饶阳葡萄(阳光玫瑰)", F, [("2.5kg/箱", "箱", 62.0)], [GI]),
        ("饶阳设施番茄", V, [("5kg/箱", "箱", 38.0), ("10kg/箱", "箱", 68.0)], [GF]),
        ("饶阳设施黄瓜", V, [("5kg/箱", "箱", 29.0)], [GF]),
        ("饶阳甜瓜", F, [("5kg/箱", "箱", 52.0)], []),
        ("饶阳油桃", F, [("5kg/箱", "箱", 62.0)], []),
        ("饶阳彩椒", V, [("5kg/箱", "箱", 45.0)], []),
        ("饶阳蔬菜食堂配送套餐", V, [("15kg/箱(5个品种)", "箱", 86.0, 2)], [GF]),
        ("饶阳葡萄酒", PF, [("750ml×2瓶/盒", "盒", 128.0)], []),
    ],
    "p26": [
        ("饶阳五公西红柿", V, [("5kg/箱", "箱", 35.0)], []),
        ("饶阳五公茄子", V, [("5kg/箱", "箱", 26.0)], []),
        ("饶阳五公芹菜", V, [("5kg/箱", "箱", 22.0)], []),
        ("饶阳五公豆角", V, [("5kg/箱", "箱", 36.0)], []),
        ("饶阳五公大白菜", V, [("10kg/袋", "袋", 18.0, 5)], []),
        ("饶阳五公西葫芦", V, [("5kg/箱", "箱", 24.0)], []),
        ("饶阳五公蔬菜周配(食堂)", V, [("25kg/箱(8个品种)", "箱", 138.0, 2)], []),
        ("饶阳五公圣女果", F, [("2.5kg/箱", "箱", 39.0)], []),
    ],
    "p27": [
        ("饶阳小官亭葡萄(夏黑)", F, [("2.5kg/箱", "箱", 42.0)], [GI]),
        ("饶阳小官亭葡萄(玫瑰香)", F, [("2.5kg/箱", "箱", 48.0)], [GI]),
        ("饶阳小官亭葡萄采摘", RT, [("1人/次(含1.5kg葡萄)", "人", 40.0)], []),
        ("饶阳小官亭草莓", F, [("1.5kg/盒", "盒", 58.0)], []),
        ("饶阳小官亭葡萄干", PF, [("500g/袋", "袋", 28.0)], []),
    ],
    "p28": [
        ("饶阳桃脯", PF, [("500g/袋", "袋", 26.0)], []),
        ("饶阳葡萄汁", PF, [("1L×6瓶/箱", "箱", 78.0)], []),
        ("饶阳番茄酱", PF, [("300g×6瓶/箱", "箱", 45.0)], []),
        ("饶阳手工草编提篮", HC, [("1个", "个", 58.0)], []),
        ("饶阳布艺杯垫", HC, [("6个/盒", "盒", 36.0)], []),
    ],
    "p29": [
        ("饶阳西九吉土鸡蛋", P, [("30枚/盒", "盒", 38.0)], []),
        ("饶阳西九吉西红柿", V, [("5kg/箱", "箱", 32.0)], []),
        ("饶阳西九吉小米", G, [("2.5kg/袋", "袋", 25.0)], []),
    ],
    "p30": [
        ("徐闻菠萝(巴厘)", F, [("5kg/箱", "箱", 39.9), ("10kg/箱", "箱", 69.9)], [GI, RB]),
        ("徐闻菠萝(金钻凤梨)", F, [("5kg/箱", "箱", 59.9)], [GI]),
        ("徐闻菠萝(手撕凤梨)", F, [("2.5kg/箱", "箱", 45.0)], [GI]),
        ("徐闻菠萝干", PF, [("500g/袋", "袋", 29.9)], []),
        ("徐闻菠萝罐头", PF, [("425g×6罐/箱", "箱", 49.0)], []),
        ("徐闻菠萝(食堂装)", F, [("20kg/箱", "箱", 110.0, 2)], [GI]),
        ("徐闻菠萝采收劳务", LS, [("1人·天", "天", 150.0, 5)], []),
        ("徐闻菠萝蜜", F, [("5kg/箱", "箱", 48.0)], []),
    ],
    "p31": [
        ("徐闻对虾(冻)", A, [("1kg/盒", "盒", 88.0), ("2kg/箱", "箱", 168.0)], [GF]),
        ("徐闻海安生蚝", A, [("5kg/箱", "箱", 99.0)], []),
        ("徐闻鱿鱼干", A, [("250g/袋", "袋", 46.0)], []),
        ("徐闻海安虾米", A, [("500g/袋", "袋", 75.0)], []),
        ("徐闻金鲳鱼(冻)", A, [("2kg/箱", "箱", 78.0)], []),
        ("徐闻海鲜礼盒", A, [("3kg/箱", "箱", 268.0)], [RB]),
        ("徐闻咸鱼干", A, [("500g/袋", "袋", 48.0)], []),
        ("徐闻海产品(食堂装)", A, [("10kg/箱", "箱", 520.0, 2)], []),
    ],
    "p32": [
        ("徐闻良姜(鲜)", H, [("2.5kg/箱", "箱", 45.0)], [GI]),
        ("徐闻良姜片(干)", H, [("500g/袋", "袋", 38.0)], [GI]),
        ("徐闻良姜茶", T, [("150g/盒", "盒", 48.0)], []),
        ("徐闻香蕉", F, [("5kg/箱", "箱", 35.0)], []),
        ("徐闻黑山羊肉", M, [("2kg/箱", "箱", 198.0)], [GI]),
        ("徐闻山羊肉(带皮)", M, [("5kg/箱", "箱", 480.0)], []),
        ("徐闻火龙果", F, [("5kg/箱", "箱", 49.0)], []),
    ],
    "p33": [
        ("徐闻菠萝的海观光一日游", RT, [("1人/天(含午餐)", "人", 98.0)], []),
        ("徐闻下桥农家乐", RT, [("1人/次(午餐)", "人", 58.0)], []),
        ("徐闻下桥菠萝", F, [("5kg/箱", "箱", 36.0)], [GI]),
        ("徐闻下桥走地鸡", P, [("1.5kg/只", "只", 85.0)], []),
        ("徐闻下桥鸡蛋", P, [("30枚/盒", "盒", 39.0)], []),
        ("徐闻下桥番薯", G, [("5kg/箱", "箱", 38.0)], []),
        ("徐闻下桥冬瓜", V, [("10kg/袋", "袋", 25.0, 3)], []),
        ("徐闻椰壳工艺品", HC, [("1个", "个", 48.0)], []),
    ],
    "p34": [
        ("郁南无核黄皮", F, [("2.5kg/箱", "箱", 58.0), ("5kg/箱", "箱", 79.0)], [GI, RB]),
        ("郁南无核黄皮(礼盒)", F, [("1.5kg/盒", "盒", 48.0)], [GI]),
        ("郁南黄皮干", PF, [("250g/袋", "袋", 35.0)], []),
        ("郁南黄皮酱", PF, [("250g×4瓶/箱", "箱", 58.0)], []),
        ("郁南黄皮果茶", T, [("200g/罐", "罐", 45.0)], []),
        ("郁南黄皮采摘体验", RT, [("1人/次(含1kg黄皮)", "人", 50.0)], []),
        ("郁南无核黄皮苗", HC, [("1株", "株", 25.0)], []),
    ],
    "p35": [
        ("郁南沙糖桔", F, [("2.5kg/箱", "箱", 32.0), ("5kg/箱", "箱", 55.0)], [GI, RB]),
        ("郁南沙糖桔(特级礼盒)", F, [("5kg/箱", "箱", 158.0)], [RB]),  # OVERPRICED
        ("郁南沙糖桔(食堂装)", F, [("10kg/箱", "箱", 92.0, 2)], [GI]),
        ("郁南无核黄皮(冷链)", F, [("2.5kg/箱", "箱", 56.0)], [GI]),
        ("郁南腐竹", PF, [("500g/袋", "袋", 25.0)], []),
        ("郁南南江大米", G, [("5kg/袋", "袋", 45.0), ("10kg/袋", "袋", 85.0)], [GF]),
        ("郁南花生油", G, [("5L/桶", "桶", 128.0)], []),
        ("郁南走地鸡", P, [("1.5kg/只", "只", 98.0)], []),
        ("郁南绿茶", T, [("250g/罐", "罐", 88.0)], [GF]),
    ],
    "p36": [
        ("郁南宝珠沙糖桔", F, [("2.5kg/箱", "箱", 29.0), ("5kg/箱", "箱", 49.0)], [GI]),
        ("郁南宝珠贡柑", F, [("5kg/箱", "箱", 58.0)], []),
        ("郁南宝珠砂仁", H, [("250g/袋", "袋", 78.0)], []),
        ("郁南宝珠走地鸡蛋", P, [("30枚/盒", "盒", 42.0)], []),
        ("郁南宝珠陈皮", H, [("250g/罐", "罐", 68.0)], []),
    ],
    "p37": [
        ("郁南兰寨民宿(住宿)", RT, [("1人/晚(含早餐)", "人", 138.0)], []),
        ("郁南连滩山歌文化一日游", RT, [("1人/天(含午餐)", "人", 88.0)], []),
        ("郁南连滩豆腐干", PF, [("500g/袋", "袋", 22.0)], []),
        ("郁南连滩竹编果篮", HC, [("1个", "个", 45.0)], []),
        ("郁南西坝山茶", T, [("250g/罐", "罐", 78.0)], []),
        ("郁南西江河鱼干", A, [("500g/袋", "袋", 56.0)], []),
        ("郁南西坝鱼塘草鱼", A, [("5kg/箱", "箱", 95.0)], []),
        ("郁南连滩蔬菜(农家菜)", V, [("5kg/箱", "箱", 30.0)], []),
    ],
    "p38": [
        ("郁南南粤家政保洁服务", LS, [("4小时/次", "次", 118.0)], []),
        ("郁南南粤家政服务(育儿嫂)", LS, [("1天", "天", 210.0)], []),
        ("郁南南粤家政月嫂服务", LS, [("26天/单", "单", 9800.0)], []),
        ("郁南南粤家政养老护理服务", LS, [("1天", "天", 220.0)], []),
        ("郁南南粤家政保洁服务(深度)", LS, [("4小时/次", "次", 360.0)], []),  # OVERPRICED
        ("郁南南粤家政收纳整理服务", LS, [("4小时/次", "次", 150.0)], []),
    ],
}

OVERPRICED = [
    ("p02", "灵寿红薯(精选礼盒)"),
    ("p15", "阳原小米(有机)"),
    ("p20", "平泉干香菇(特级)"),
    ("p35", "郁南沙糖桔(特级礼盒)"),
    ("p38", "郁南南粤家政保洁服务(深度)"),
]

SERVICE_CATS = {RT, LS}


def size_label(spec):
    return spec.split("/")[0].split("(")[0] + "装"


def origin_statement(prod, cat, name):
    key, pname, kind, code = prod[0], prod[1], prod[2], prod[3]
    where = place(code)
    n = prod[6]
    year = 2026
    if cat == RT:
        return (f"由{pname}在{where}组织经营,接待收入按协议用于村集体经济和{n}户脱贫户分红、务工工资;"
                f"服务人员为本地农户。")
    if cat == LS:
        return (f"由{pname}组织{where}及周边脱贫劳动力提供服务,经岗前培训持证上岗,"
                f"劳务收入直接发放至服务人员本人,带动{n}户脱贫户务工增收。")
    if kind == "HOUSEHOLD":
        return f"产自{where},由脱贫户{prod[4]}家自种自养,乡村振兴专干协助上架销售,收入直接归农户所有。"
    if kind == "VILLAGE_COLLECTIVE":
        return (f"产自{where}村集体产业基地,由村股份经济合作社统一组织生产、统一销售,"
                f"收益按{prod[7]}%比例向{n}户脱贫户分红。")
    if kind == "POVERTY_WORKSHOP":
        return (f"由{pname}在{where}生产加工,吸纳{n}名脱贫户劳动力就近务工,"
                f"原料优先收购本地农户,产品与车间签订{year}年保底收购协议。")
    if kind == "FAMILY_FARM":
        return (f"产自{pname}位于{where}的自有基地,雇用本村{n}户脱贫户长期务工,"
                f"并与周边农户签订{year}年订单收购协议。")
    if kind == "COOPERATIVE":
        return (f"产自{where},由{pname}统一收购社员(其中脱贫户{n}户)所产,"
                f"按{year}年订单保护价收购协议结算,二次返利{prod[7]}%。")
    return (f"原料来自{place(county_of(code))}基地及合作农户,由{pname}在{where}加工;"
            f"与{n}户脱贫户签订{year}年订单收购和务工协议,订单收购价不低于市场价。")


def stock_for(unit, cat):
    if cat in SERVICE_CATS:
        return rng.choice([20, 30, 50, 60, 100, 200])
    if unit in ("桶",) and cat == PF:
        return rng.choice([20, 30, 50])
    if unit in ("把",):
        return rng.choice([500, 800, 1200, 2000])
    return rng.choice([0, 50, 80, 120, 150, 200, 300, 500, 800, 1000, 1500, 2000])


def build_products(producer_by_key):
    products = []
    overpriced = set(OVERPRICED)
    for key, items in PRODUCTS.items():
        prod = producer_by_key[key]
        ok_producer = prod[8] and not prod[9]
        seq = 0
        for base, cat, variants, marks in items:
            for v in variants:
                spec, unit, yuan = v[0], v[1], v[2]
                moq = v[3] if len(v) > 3 else 1
                name = base if len(variants) == 1 else f"{base} {size_label(spec)}"
                seq += 1
                is_over = (key, base) in overpriced
                if not ok_producer:
                    published, certified = False, False
                elif is_over:
                    # overpriced listings are live and uncertified: that is what the flag catches
                    published, certified = True, False
                else:
                    r = rng.random()
                    published = r < 0.78
                    certified = published and rng.random() < 0.60
                trace = None
                if cat not in SERVICE_CATS and (certified or rng.random() < 0.35):
                    trace = f"ZS{county_of(prod[3])}{2026}{key[1:]}{seq:03d}"
                products.append({
                    "producer": key,
                    "name": name,
                    "category": cat,
                    "spec": spec,
                    "unit": unit,
                    "priceFen": int(round(yuan * 100)),
                    "minOrderQuantity": moq,
                    "stock": stock_for(unit, cat),
                    "originStatement": origin_statement(prod, cat, name),
                    "qualityMarks": list(marks),
                    "traceCode": trace,
                    "published": published,
                    "certified": certified,
                })
    return products


# ---------------------------------------------------------------- buyers
def decl(canteen, budget_yuan=None, share=None, shares=None, contractor=None):
    return {"year": 2026, "canteen": canteen,
            "canteenBudgetFen": None if budget_yuan is None else budget_yuan * 100,
            "reservedSharePercent": share, "sharesCanteenOf": shares, "contractor": contractor}


BUYERS = [
    ("b01", "石家庄市机关事务管理局", "AGENCY", "1301", None, decl("OWN_CANTEEN", 2_800_000, 15)),
    ("b02", "石家庄市机关事务管理局机关食堂", "CANTEEN", "1301", "b01", None),
    ("b03", "石家庄市乡村振兴局", "AGENCY", "1301", None, decl("SHARES_CANTEEN", shares="b01")),
    ("b04", "灵寿县科学技术协会", "AGENCY", "130126", None, decl("NO_CANTEEN")),
    ("b05", "河北冀农发展投资集团有限公司", "STATE_ENTERPRISE", "130104", None, decl("OWN_CANTEEN", 4_500_000, 10)),
    ("b06", "石家庄冀农供应链管理有限公司", "STATE_ENTERPRISE", "130108", "b05", decl("OWN_CANTEEN", 600_000, 12)),
    ("b07", "石家庄市第四十二中学", "SCHOOL", "130102", None, decl("OWN_CANTEEN", 1_800_000, 20)),
    ("b08", "灵寿县人民医院", "HOSPITAL", "130126", None, decl("OWN_CANTEEN", 900_000, 15)),
    ("b09", "驻冀某部队石家庄营区", "ARMY_UNIT", "130110", None, decl("OWN_CANTEEN", 3_600_000, 10)),
    ("b10", "石家庄惠民佳超市连锁有限公司", "SUPERMARKET", "130105", None, None),
    ("b11", "保定市华裕肉制品有限公司", "PRIVATE_ENTERPRISE", "1306", None, None),
    ("b12", "河北省消费帮扶促进会", "SOCIAL_ORGANIZATION", "1301", None, None),
    ("b13", "张家口市第一中学", "SCHOOL", "130703", None, decl("OWN_CANTEEN", 1_200_000, 15)),
    ("b14", "佛山市禅城区机关事务管理局", "AGENCY", "440604", None, decl("OWN_CANTEEN", 2_200_000, 30)),
    ("b15", "佛山市南海区城乡发展集团有限公司", "STATE_ENTERPRISE", "440605", None, decl("OWN_CANTEEN", 5_000_000, 30)),
    ("b16", "佛山市顺德区容桂实验学校", "SCHOOL", "440606", None, decl("OWN_CANTEEN", 1_500_000, 30)),
    ("b17", "佛山市南海区第二人民医院", "HOSPITAL", "440605", None, decl("OUTSOURCED", 3_000_000, 30, contractor="b18")),
    ("b18", "佛山市粤膳团餐管理有限公司", "CANTEEN", "440605", None, None),
    ("b19", "佛山市南海区第二人民医院工会委员会", "SOCIAL_ORGANIZATION", "440605", "b17", None),
    ("b20", "佛山市顺德区优鲜汇超市有限公司", "SUPERMARKET", "440606", None, None),
    ("b21", "佛山市三水区科达电器有限公司", "PRIVATE_ENTERPRISE", "440607", None, None),
    ("b22", "驻佛山某部队营区", "ARMY_UNIT", "440608", None, decl("OWN_CANTEEN", 2_500_000, 30)),
    ("b23", "陈嘉欣", "INDIVIDUAL", "440604", None, None),
]

# ---------------------------------------------------------------- users
# username, displayName, role, regionCode, organization, memberRole
USERS = [
    ("admin", "扶贫办管理员", "ADMIN", None, None, None),
    ("lingshou-officer", "灵寿县扶贫办 王科长", "OFFICER", "130126", None, None),
    ("shijiazhuang-officer", "石家庄市乡村振兴局 赵处长", "OFFICER", "1301", None, None),
    ("foshan-officer", "佛山市扶贫协作办 梁主任", "OFFICER", "4406", None, None),
    ("hebei-auditor", "河北省审计厅 李审计", "AUDITOR", "13", None, None),
    ("qinglian-coop", "青廉合作社 张社长", "PRODUCER", None, "p01", "ADMIN"),
    ("qinglian-clerk", "青廉合作社 李会计", "PRODUCER", None, "p01", "MEMBER"),
    ("yanchuan-food", "燕川薯业 刘经理", "PRODUCER", None, "p02", "ADMIN"),
    ("gaoyupu-casing", "高于铺肠衣 高总", "PRODUCER", None, "p08", "ADMIN"),
    ("nihewan-donkey", "泥河湾驴业 吴总", "PRODUCER", None, "p13", "ADMIN"),
    ("senyuan-fungi", "森源菌业 田总", "PRODUCER", None, "p19", "ADMIN"),
    ("senyuan-sales", "森源菌业 销售小孙", "PRODUCER", None, "p19", "MEMBER"),
    ("ruifeng-produce", "瑞丰果蔬 边经理", "PRODUCER", None, "p25", "ADMIN"),
    ("tianyang-pineapple", "田洋菠萝合作社 陈社长", "PRODUCER", None, "p30", "ADMIN"),
    ("fucheng-wampee", "附城黄皮合作社 梁社长", "PRODUCER", None, "p34", "ADMIN"),
    ("sjz-canteen", "石家庄市机关食堂 采购员刘", "BUYER", None, "b02", "ADMIN"),
    ("sjz-jiguan", "石家庄市机关事务管理局 采购科张科长", "BUYER", None, "b01", "ADMIN"),
    ("jinong-purchasing", "冀农集团 采购部周经理", "BUYER", None, "b05", "ADMIN"),
    ("no42-school", "石家庄市第四十二中学 后勤处马主任", "BUYER", None, "b07", "ADMIN"),
    ("huiminjia-market", "惠民佳超市 采购主管孟", "BUYER", None, "b10", "ADMIN"),
    ("chancheng-jiguan", "禅城区机关事务管理局 采购员何", "BUYER", None, "b14", "ADMIN"),
    ("nanhai-hospital", "南海区第二人民医院 总务科冯科长", "BUYER", None, "b17", "ADMIN"),
    ("nanhai-hospital-staff", "南海区第二人民医院 总务科小潘", "BUYER", None, "b17", "MEMBER"),
    ("yueshan-catering", "粤膳团餐 采购经理邓", "BUYER", None, "b18", "ADMIN"),
    ("youxianhui-market", "优鲜汇超市 采购主管麦", "BUYER", None, "b20", "ADMIN"),
    ("chen-jiaxin", "陈嘉欣 个人买家", "BUYER", None, "b23", "ADMIN"),
]


def main():
    producer_by_key = {p[0]: p for p in PRODUCERS}
    producers = []
    for (key, name, kind, code, contact, modes, n, share, verified, suspended) in PRODUCERS:
        producers.append({
            "key": key, "name": name, "kind": kind, "regionCode": code,
            "licenceNo": uscc(kind, county_of(code)),
            "contactName": contact, "contactPhone": phone(),
            "linkageModes": modes, "poorHouseholdsLinked": n, "profitSharePercent": share,
            "verified": verified, "suspended": suspended,
        })
    world = {
        "note": "Poverty statuses and all organisations below are illustrative demo data, not official records.",
        "regionStatuses": [{"code": c, "status": s, "exitYear": y, "effectiveFrom": d}
                           for c, s, y, d in REGION_STATUSES],
        "pairings": [{"helperRegionCode": h, "helpedRegionCode": d, "kind": k, "startsOn": s, "endsOn": e}
                     for h, d, k, s, e in PAIRINGS],
        "producers": producers,
        "products": build_products(producer_by_key),
        "buyers": [{"key": k, "name": n, "kind": kd, "regionCode": c, "parent": p, "declaration": d}
                   for k, n, kd, c, p, d in BUYERS],
        "users": [{"username": u, "displayName": dn, "role": r, "regionCode": rc,
                   "organization": o, "memberRole": m} for u, dn, r, rc, o, m in USERS],
    }
    with open(os.path.join(HERE, "demo-world.json"), "w", encoding="utf-8") as f:
        json.dump(world, f, ensure_ascii=False, indent=2)
        f.write("\n")
    ps = world["products"]
    print(f"producers {len(producers)}, products {len(ps)}, "
          f"published {sum(p['published'] for p in ps)}, certified {sum(p['certified'] for p in ps)}, "
          f"buyers {len(BUYERS)}, users {len(USERS)}")


if __name__ == "__main__":
    main()
