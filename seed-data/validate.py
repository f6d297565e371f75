#!/usr/bin/env python3
"""Checks seed-data/divisions/ and seed-data/demo-world.json. Standard library only.

Usage: python3 validate.py            exit status 0 when everything passes
"""
import csv, gzip, json, os, re, statistics, sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
DIV = os.path.join(HERE, "divisions")
ERRORS = []


def err(msg):
    ERRORS.append(msg)


# ------------------------------------------------------------------ divisions
HEADERS = {
    "provinces.csv.gz": ["code", "name"],
    "cities.csv.gz": ["code", "name", "provinceCode"],
    "areas.csv.gz": ["code", "name", "cityCode", "provinceCode"],
    "streets.csv.gz": ["code", "name", "areaCode", "provinceCode", "cityCode"],
    "villages.csv.gz": ["code", "name", "streetCode", "provinceCode", "cityCode", "areaCode"],
}
CODE_LEN = {"provinces.csv.gz": 2, "cities.csv.gz": 4, "areas.csv.gz": 6,
            "streets.csv.gz": 9, "villages.csv.gz": 12}
LINE_RE = re.compile(r'^\d+,"[^",]+"(,\d+)*$')


def load(name):
    path = os.path.join(DIV, name)
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        text = f.read()
    lines = text.split("\n")
    if lines[-1] != "":
        err(f"{name}: does not end with a newline")
    lines = lines[:-1]
    if lines[0].split(",") != HEADERS[name]:
        err(f"{name}: header {lines[0]!r}")
    for ln in lines[1:]:
        if not LINE_RE.match(ln) or "\r" in ln:
            err(f"{name}: unexpected line format {ln!r}")
    rows = list(csv.DictReader(lines))
    out = {}
    for r in rows:
        if len(r["code"]) != CODE_LEN[name]:
            err(f"{name}: code length {r['code']}")
        if r["code"] in out:
            err(f"{name}: duplicate code {r['code']}")
        out[r["code"]] = r
    return out


PROV, CITY, AREA, STREET, VILLAGE = (load(n) for n in HEADERS)
for n in ("LICENSE", "README.md"):
    if not os.path.isfile(os.path.join(DIV, n)):
        err(f"divisions/{n} missing")

if set(PROV) != {"13", "44"}:
    err(f"provinces: {sorted(PROV)}")
for c, r in CITY.items():
    if r["provinceCode"] not in PROV:
        err(f"city {c}: province missing")
if {c for c in CITY} != {c for c in CITY if CITY[c]["provinceCode"] in ("13", "44")}:
    err("cities outside 13/44")
for c, r in AREA.items():
    if r["cityCode"] not in CITY or r["provinceCode"] != CITY[r["cityCode"]]["provinceCode"]:
        err(f"area {c}: bad parent")
    if not (r["provinceCode"] == "13" or r["cityCode"] in ("4406", "4408", "4453")):
        err(f"area {c}: outside the subset")
COUNTIES = {"130126", "130636", "130727", "130881", "131124", "440825", "445322"}
for c, r in STREET.items():
    if r["areaCode"] not in COUNTIES or r["cityCode"] != AREA[r["areaCode"]]["cityCode"]:
        err(f"street {c}: bad parent")
for c, r in VILLAGE.items():
    s = STREET.get(r["streetCode"])
    if not s or s["areaCode"] != r["areaCode"] or s["cityCode"] != r["cityCode"]:
        err(f"village {c}: bad parent")
if {s["areaCode"] for s in STREET.values()} != COUNTIES:
    err("streets do not cover exactly the seven counties")
if {v["areaCode"] for v in VILLAGE.values()} != COUNTIES:
    err("villages do not cover exactly the seven counties")

# If the full source tables are at hand, every subset line must be a verbatim source line and
# nothing that belongs in the subset may be missing.
SRC = "/work/shared/data/divisions"
if os.path.isdir(SRC):
    for name in HEADERS:
        with gzip.open(os.path.join(SRC, name), "rt", encoding="utf-8", newline="") as f:
            src_lines = f.read().split("\n")
        with gzip.open(os.path.join(DIV, name), "rt", encoding="utf-8", newline="") as f:
            sub_lines = f.read().split("\n")
        if src_lines[0] != sub_lines[0]:
            err(f"{name}: header differs from source")
        src_set = set(src_lines[1:])
        for ln in sub_lines[1:]:
            if ln and ln not in src_set:
                err(f"{name}: line not in source {ln!r}")
    with gzip.open(os.path.join(SRC, "villages.csv.gz"), "rt", encoding="utf-8") as f:
        n_src = sum(1 for r in csv.DictReader(f) if r["areaCode"] in COUNTIES)
    if n_src != len(VILLAGE):
        err(f"villages: {len(VILLAGE)} rows, source has {n_src} for the seven counties")

# ------------------------------------------------------------------ demo world
with open(os.path.join(HERE, "demo-world.json"), encoding="utf-8") as f:
    W = json.load(f)

TOP = ["note", "regionStatuses", "pairings", "producers", "products", "buyers", "users"]
if list(W) != TOP:
    err(f"top-level keys {list(W)}")
if "illustrative" not in W.get("note", ""):
    err("note must say the data are illustrative")

STATUS = {"DEEP_POVERTY", "POOR", "EXITED", "NOT_POOR"}
PAIR_KIND = {"EAST_WEST", "DESIGNATED", "IN_PROVINCE"}
PROD_KIND = {"LEADING_ENTERPRISE", "COOPERATIVE", "FAMILY_FARM", "POVERTY_WORKSHOP",
             "VILLAGE_COLLECTIVE", "HOUSEHOLD"}
LINKAGE = {"WAGE", "ASSET_INCOME", "BUSINESS_INCOME"}
CATEGORIES = {"GRAIN_OIL", "VEGETABLES", "FRUIT", "MEAT", "POULTRY_EGGS", "AQUATIC",
              "EDIBLE_FUNGI", "HERBAL_MEDICINE", "TEA", "PROCESSED_FOOD", "HANDICRAFTS",
              "RURAL_TOURISM", "LABOUR_SERVICES"}
MARKS = {"GREEN_FOOD", "ORGANIC", "GEOGRAPHICAL_INDICATION", "REGIONAL_BRAND"}
BUYER_KIND = {"AGENCY", "STATE_ENTERPRISE", "SCHOOL", "HOSPITAL", "ARMY_UNIT", "CANTEEN",
              "SUPERMARKET", "PRIVATE_ENTERPRISE", "SOCIAL_ORGANIZATION", "INDIVIDUAL"}
CANTEEN = {"OWN_CANTEEN", "NO_CANTEEN", "SHARES_CANTEEN", "OUTSOURCED"}
ROLES = {"ADMIN", "OFFICER", "AUDITOR", "PRODUCER", "BUYER"}
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CJK_RE = re.compile(r"[\u4e00-\u9fff]")
SEVEN = COUNTIES


def exact_keys(obj, keys, what):
    if not isinstance(obj, dict) or list(obj) != keys:
        err(f"{what}: keys {list(obj) if isinstance(obj, dict) else type(obj)} != {keys}")
        return False
    return True


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


# regionStatuses: county or village of the subset
seen = set()
for i, s in enumerate(W["regionStatuses"]):
    w = f"regionStatuses[{i}]"
    if not exact_keys(s, ["code", "status", "exitYear", "effectiveFrom"], w):
        continue
    if s["code"] not in AREA and s["code"] not in VILLAGE:
        err(f"{w}: {s['code']} is not a county or village of the subset")
    if s["code"] in seen:
        err(f"{w}: duplicate code")
    seen.add(s["code"])
    if s["status"] not in STATUS:
        err(f"{w}: status {s['status']}")
    if s["status"] == "EXITED":
        if not (is_int(s["exitYear"]) and 2016 <= s["exitYear"] <= 2020):
            err(f"{w}: EXITED needs exitYear 2016-2020")
    elif s["exitYear"] is not None:
        err(f"{w}: exitYear only for EXITED")
    if not DATE_RE.match(s["effectiveFrom"] or ""):
        err(f"{w}: effectiveFrom")
county_status = {s["code"]: s["status"] for s in W["regionStatuses"] if s["code"] in AREA}
if set(county_status) != SEVEN:
    err(f"county statuses for {sorted(county_status)}")
for c in ("130126", "130727"):
    if county_status.get(c) != "DEEP_POVERTY":
        err(f"{c} should be DEEP_POVERTY")
n_vill = sum(1 for s in W["regionStatuses"] if s["code"] in VILLAGE)
if not 8 <= n_vill <= 12:
    err(f"{n_vill} village statuses (want 8-12)")
for s in W["regionStatuses"]:
    if s["code"] in VILLAGE and s["status"] not in ("POOR", "DEEP_POVERTY"):
        err(f"village {s['code']}: status {s['status']}")

# pairings
for i, p in enumerate(W["pairings"]):
    w = f"pairings[{i}]"
    if not exact_keys(p, ["helperRegionCode", "helpedRegionCode", "kind", "startsOn", "endsOn"], w):
        continue
    if p["helperRegionCode"] not in CITY:
        err(f"{w}: helper {p['helperRegionCode']} is not a city")
    if p["helpedRegionCode"] not in AREA and p["helpedRegionCode"] not in VILLAGE:
        err(f"{w}: helped {p['helpedRegionCode']} is not a county or village")
    if p["kind"] not in PAIR_KIND:
        err(f"{w}: kind {p['kind']}")
    if not DATE_RE.match(p["startsOn"] or "") or (p["endsOn"] is not None and not DATE_RE.match(p["endsOn"])):
        err(f"{w}: dates")
pair_set = {(p["helperRegionCode"], p["helpedRegionCode"]) for p in W["pairings"]}
for need in (("4406", "440825"), ("4406", "445322")):
    if need not in pair_set:
        err(f"pairing {need} missing")

# producers
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc_ok(code):
    if len(code) != 18 or any(c not in USCC_CHARS for c in code):
        return False
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(code[:17], USCC_W))
    return USCC_CHARS[(31 - total % 31) % 31] == code[17]


producers = {}
for i, p in enumerate(W["producers"]):
    w = f"producers[{i}]"
    if not exact_keys(p, ["key", "name", "kind", "regionCode", "licenceNo", "contactName",
                          "contactPhone", "linkageModes", "poorHouseholdsLinked",
                          "profitSharePercent", "verified", "suspended"], w):
        continue
    if p["key"] in producers:
        err(f"{w}: duplicate key {p['key']}")
    producers[p["key"]] = p
    if p["kind"] not in PROD_KIND:
        err(f"{w}: kind {p['kind']}")
    rc = p["regionCode"]
    if rc not in AREA and rc not in STREET and rc not in VILLAGE:
        err(f"{w}: regionCode {rc} is not a county/township/village")
    elif rc[:6] not in SEVEN:
        err(f"{w}: regionCode {rc} outside the seven counties")
    if not uscc_ok(p["licenceNo"]) or p["licenceNo"][2:8] != rc[:6]:
        err(f"{w}: licenceNo {p['licenceNo']}")
    if not CJK_RE.search(p["name"]) or not CJK_RE.search(p["contactName"]):
        err(f"{w}: names must be Chinese")
    if not re.fullmatch(r"1[3-9]\d{9}", p["contactPhone"]):
        err(f"{w}: phone {p['contactPhone']}")
    lm = p["linkageModes"]
    if not (isinstance(lm, list) and 1 <= len(lm) <= 3 and len(set(lm)) == len(lm) and set(lm) <= LINKAGE):
        err(f"{w}: linkageModes {lm}")
    if not (is_int(p["poorHouseholdsLinked"]) and p["poorHouseholdsLinked"] >= 0):
        err(f"{w}: poorHouseholdsLinked")
    if not (is_int(p["profitSharePercent"]) and 0 <= p["profitSharePercent"] <= 30):
        err(f"{w}: profitSharePercent")
    if not isinstance(p["verified"], bool):
        err(f"{w}: verified")
    if not (p["suspended"] is False or (isinstance(p["suspended"], str) and p["suspended"].strip())):
        err(f"{w}: suspended must be false or a reason")
if not 30 <= len(producers) <= 40:
    err(f"{len(producers)} producers (want 30-40)")
if len({p["licenceNo"] for p in producers.values()}) != len(producers):
    err("licence numbers not unique")
n_susp = sum(1 for p in producers.values() if p["suspended"])
n_unver = sum(1 for p in producers.values() if not p["verified"])
if n_susp != 1 or n_unver != 2:
    err(f"suspended {n_susp} (want 1), unverified {n_unver} (want 2)")
if {p["regionCode"][:6] for p in producers.values()} != SEVEN:
    err("producers do not cover the seven counties")
if set(p["kind"] for p in producers.values()) != PROD_KIND:
    err("not every producer kind is used")

# products
products = W["products"]
seen = set()
for i, p in enumerate(products):
    w = f"products[{i}]"
    if not exact_keys(p, ["producer", "name", "category", "spec", "unit", "priceFen",
                          "minOrderQuantity", "stock", "originStatement", "qualityMarks",
                          "traceCode", "published", "certified"], w):
        continue
    pr = producers.get(p["producer"])
    if not pr:
        err(f"{w}: producer {p['producer']} unknown")
        continue
    if (p["producer"], p["name"]) in seen:
        err(f"{w}: duplicate name {p['name']} for {p['producer']}")
    seen.add((p["producer"], p["name"]))
    if p["category"] not in CATEGORIES:
        err(f"{w}: category {p['category']}")
    if not CJK_RE.search(p["name"]) or not p["spec"] or not p["unit"]:
        err(f"{w}: name/spec/unit")
    if not (is_int(p["priceFen"]) and p["priceFen"] > 0):
        err(f"{w}: priceFen")
    if not (is_int(p["minOrderQuantity"]) and p["minOrderQuantity"] >= 1):
        err(f"{w}: minOrderQuantity")
    if not (is_int(p["stock"]) and p["stock"] >= 0):
        err(f"{w}: stock")
    if not (isinstance(p["originStatement"], str) and len(p["originStatement"]) >= 20):
        err(f"{w}: originStatement")
    qm = p["qualityMarks"]
    if not (isinstance(qm, list) and set(qm) <= MARKS and len(set(qm)) == len(qm)):
        err(f"{w}: qualityMarks {qm}")
    if p["traceCode"] is not None and not (isinstance(p["traceCode"], str) and p["traceCode"]):
        err(f"{w}: traceCode")
    if not isinstance(p["published"], bool) or not isinstance(p["certified"], bool):
        err(f"{w}: published/certified")
    if p["certified"] and not (pr["verified"] and pr["suspended"] is False):
        err(f"{w}: certified but producer {pr['key']} is unverified or suspended")
    if p["certified"] and not p["published"]:
        err(f"{w}: certified but not published")
    if p["published"] and not (pr["verified"] and pr["suspended"] is False):
        err(f"{w}: published but producer {pr['key']} is unverified or suspended")
if not 250 <= len(products) <= 350:
    err(f"{len(products)} products (want 250-350)")
if {p["category"] for p in products} != CATEGORIES:
    err(f"categories missing: {CATEGORIES - {p['category'] for p in products}}")
pub = sum(p["published"] for p in products) / len(products)
cert = sum(p["certified"] for p in products) / len(products)
if not (0.62 <= pub <= 0.78 and 0.33 <= cert <= 0.47):
    err(f"published {pub:.0%} / certified {cert:.0%} (want about 70% / 40%)")
for word, want in (("红薯", "灵寿红薯"), ("菠萝", "徐闻菠萝"), ("驴肉", "阳原驴肉"),
                   ("香菇", "平泉香菇"), ("黄皮", "郁南无核黄皮"), ("沙糖桔", "郁南沙糖桔"),
                   ("肠衣", "顺平"), ("葡萄", "饶阳葡萄")):
    if not any(word in p["name"] and want in p["name"] for p in products):
        err(f"no product name with {want} / {word}")

# price flags: a product is flagged when its price is more than 1.5x the median price of the
# other products of the same category, unit and spec (the comparable items); the intended
# overpriced items must be flagged, and nothing else, and they must also stand out against
# the coarser group (same category and unit).
OVERPRICED = {("p02", "灵寿红薯(精选礼盒)"), ("p15", "阳原小米(有机)"), ("p20", "平泉干香菇(特级)"),
              ("p35", "郁南沙糖桔(特级礼盒)"), ("p38", "郁南南粤家政保洁服务(深度)")}


def flags(keyf, min_peers):
    out = {}
    for p in products:
        peers = [q["priceFen"] for q in products if q is not p and keyf(q) == keyf(p)]
        if len(peers) >= min_peers:
            med = statistics.median(peers)
            if p["priceFen"] > 1.5 * med:
                out[(p["producer"], p["name"])] = (p["priceFen"], med)
    return out


fine = flags(lambda q: (q["category"], q["unit"], q["spec"]), 2)
coarse = flags(lambda q: (q["category"], q["unit"]), 3)
if set(fine) != OVERPRICED:
    err(f"spec-level price flags {sorted(fine)} != intended {sorted(OVERPRICED)}")
for k in OVERPRICED:
    if k not in coarse:
        err(f"{k} not flagged against its category and unit")

# buyers
buyers = {}
for i, b in enumerate(W["buyers"]):
    w = f"buyers[{i}]"
    if not exact_keys(b, ["key", "name", "kind", "regionCode", "parent", "declaration"], w):
        continue
    if b["key"] in buyers or b["key"] in producers:
        err(f"{w}: duplicate key {b['key']}")
    buyers[b["key"]] = b
for k, b in buyers.items():
    w = f"buyer {k}"
    if b["kind"] not in BUYER_KIND:
        err(f"{w}: kind {b['kind']}")
    if not CJK_RE.search(b["name"]):
        err(f"{w}: name")
    rc = b["regionCode"]
    if rc not in CITY and rc not in AREA:
        err(f"{w}: regionCode {rc} is not a city or county")
    elif not (rc.startswith("13") or rc.startswith("4406")):
        err(f"{w}: regionCode {rc} outside Hebei and Foshan")
    if b["parent"] is not None:
        if b["parent"] not in buyers or b["parent"] == k:
            err(f"{w}: parent {b['parent']}")
        seen_chain, cur = {k}, b["parent"]
        while cur in buyers:
            if cur in seen_chain:
                err(f"{w}: parent cycle")
                break
            seen_chain.add(cur)
            cur = buyers[cur]["parent"]
    d = b["declaration"]
    if d is None:
        continue
    if not exact_keys(d, ["year", "canteen", "canteenBudgetFen", "reservedSharePercent",
                          "sharesCanteenOf", "contractor"], f"{w}.declaration"):
        continue
    if d["year"] != 2026 or d["canteen"] not in CANTEEN:
        err(f"{w}: declaration year/canteen")
    if d["canteen"] in ("OWN_CANTEEN", "OUTSOURCED"):
        if not (is_int(d["canteenBudgetFen"]) and 50_000_000 <= d["canteenBudgetFen"] <= 500_000_000):
            err(f"{w}: canteenBudgetFen {d['canteenBudgetFen']} (want 500,000-5,000,000 yuan in fen)")
        if not (is_int(d["reservedSharePercent"]) and 10 <= d["reservedSharePercent"] <= 30):
            err(f"{w}: reservedSharePercent")
        if rc.startswith("44") and d["reservedSharePercent"] != 30:
            err(f"{w}: Guangdong units reserve 30%")
    else:
        if d["canteenBudgetFen"] is not None or d["reservedSharePercent"] is not None:
            err(f"{w}: {d['canteen']} has no budget or share of its own")
    if d["canteen"] == "SHARES_CANTEEN":
        o = buyers.get(d["sharesCanteenOf"])
        if not o or o is b or not o["declaration"] or o["declaration"]["canteen"] != "OWN_CANTEEN":
            err(f"{w}: sharesCanteenOf must name a buyer with its own canteen")
    elif d["sharesCanteenOf"] is not None:
        err(f"{w}: sharesCanteenOf only for SHARES_CANTEEN")
    if d["canteen"] == "OUTSOURCED":
        c = buyers.get(d["contractor"])
        if not c or c["kind"] not in ("CANTEEN", "PRIVATE_ENTERPRISE"):
            err(f"{w}: contractor must be a CANTEEN or PRIVATE_ENTERPRISE buyer")
    elif d["contractor"] is not None:
        err(f"{w}: contractor only for OUTSOURCED")
if not 15 <= len(buyers) <= 25:
    err(f"{len(buyers)} buyers (want 15-25)")
if {b["kind"] for b in buyers.values()} != BUYER_KIND:
    err(f"buyer kinds missing: {BUYER_KIND - {b['kind'] for b in buyers.values()}}")
canteens = Counter(b["declaration"]["canteen"] for b in buyers.values() if b["declaration"])
if not (canteens["NO_CANTEEN"] >= 1 and canteens["SHARES_CANTEEN"] >= 1
        and canteens["OUTSOURCED"] >= 1 and canteens["OWN_CANTEEN"] >= 3):
    err(f"declarations {dict(canteens)}")
if not any(b["regionCode"].startswith("4406") for b in buyers.values()):
    err("no Foshan buyers")

# users
names = set()
for i, u in enumerate(W["users"]):
    w = f"users[{i}]"
    if not exact_keys(u, ["username", "displayName", "role", "regionCode", "organization", "memberRole"], w):
        continue
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", u["username"]) or u["username"] in names:
        err(f"{w}: username {u['username']!r}")
    names.add(u["username"])
    if not CJK_RE.search(u["displayName"]):
        err(f"{w}: displayName")
    r = u["role"]
    if r not in ROLES:
        err(f"{w}: role {r}")
    if r in ("OFFICER", "AUDITOR"):
        rc = u["regionCode"]
        if rc not in PROV and rc not in CITY and rc not in AREA and rc not in STREET and rc not in VILLAGE:
            err(f"{w}: scope {rc}")
    elif u["regionCode"] is not None:
        err(f"{w}: regionCode only for OFFICER/AUDITOR")
    if r == "PRODUCER":
        if u["organization"] not in producers:
            err(f"{w}: organization {u['organization']} is not a producer")
    elif r == "BUYER":
        if u["organization"] not in buyers:
            err(f"{w}: organization {u['organization']} is not a buyer")
    elif u["organization"] is not None:
        err(f"{w}: organization only for PRODUCER/BUYER")
    if r in ("PRODUCER", "BUYER"):
        if u["memberRole"] not in ("ADMIN", "MEMBER"):
            err(f"{w}: memberRole")
    elif u["memberRole"] is not None:
        err(f"{w}: memberRole only for members")
roles = Counter(u["role"] for u in W["users"])
if "admin" not in names or roles["ADMIN"] != 1 or not 2 <= roles["OFFICER"] <= 3 or roles["AUDITOR"] != 1:
    err(f"roles {dict(roles)}")
for u in W["users"]:
    if u["role"] == "AUDITOR" and u["regionCode"] != "13":
        err("auditor scope should be 13")
orgs_with_admin = {u["organization"] for u in W["users"] if u["memberRole"] == "ADMIN"}
for u in W["users"]:
    if u["memberRole"] == "MEMBER" and u["organization"] not in orgs_with_admin:
        err(f"{u['username']}: organisation has no ADMIN member")

# ------------------------------------------------------------------ report
print("rows: " + ", ".join(f"{n} {len(t)}" for n, t in zip(HEADERS, (PROV, CITY, AREA, STREET, VILLAGE))))
print(f"world: {len(W['regionStatuses'])} statuses, {len(W['pairings'])} pairings, {len(producers)} producers, "
      f"{len(products)} products ({pub:.0%} published, {cert:.0%} certified), {len(buyers)} buyers, "
      f"{len(W['users'])} users")
print("overpriced (price, median of comparable items, same category+unit+spec):")
for k, (price, med) in sorted(fine.items()):
    print(f"  {k[0]} {k[1]}: {price / 100:.2f} yuan vs {med / 100:.2f}")
extra = sorted(set(coarse) - OVERPRICED)
print(f"also above 1.5x when only category+unit are compared ({len(extra)}): "
      + "; ".join(f"{k[1]}" for k in extra))
if ERRORS:
    print(f"\n{len(ERRORS)} problem(s):")
    for e in ERRORS:
        print("  " + e)
    sys.exit(1)
print("OK")
