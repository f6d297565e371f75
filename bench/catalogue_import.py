"""Catalogue import (issue 18) against a running server loaded with the demo world
(`fupin-market seed-demo`): generates a ROWS-row CSV of new SKUs for a producer and times

  - a dry run (must answer every row CREATE and write nothing),
  - the real run (one transaction creating ROWS products),
  - a re-import of the same file (every row UNCHANGED, nothing written),
  - a file with 1% of the prices changed (UPDATE through the price history),

and, given the server's PID, its RSS growth: VmHWM is reset through /proc/PID/clear_refs when
allowed (same user), so the peak growth is VmHWM after a step minus VmRSS before it (if the reset
is refused, VmHWM is the process's lifetime peak and the growth is an upper bound).

usage: catalogue_import.py BASE_URL [ROWS] [--pid PID] [--user USERNAME] [--password PASSWORD]
  BASE_URL like http://127.0.0.1:8080; ROWS defaults to 10000; USERNAME defaults to the demo
  producer qinglian-coop (password fupin-demo-2026). Prints one JSON line.
  Targets (issue 18, PostgreSQL, release build): real run < 10 s, dry run < 5 s, RSS growth < 50 MB.
"""
import argparse
import json
import time
import urllib.error
import urllib.parse
import urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("base")
parser.add_argument("rows", nargs="?", type=int, default=10_000)
parser.add_argument("--pid", type=int)
parser.add_argument("--user", default="qinglian-coop")
parser.add_argument("--password", default="fupin-demo-2026")
args = parser.parse_args()
base = args.base.rstrip("/")
stamp = str(int(time.time()))


def gql(token, query, variables):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        base + "/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers=headers,
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.load(response)


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def reset_peak(pid):
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def post(token, producer, dry_run, data):
    query = urllib.parse.urlencode({"producerId": producer, "dryRun": "true" if dry_run else "false"})
    request = urllib.request.Request(
        f"{base}/imports/catalogue?{query}", data=data,
        headers={"Content-Type": "text/csv", "Authorization": f"Bearer {token}"},
    )
    before = peak_reset = None
    if args.pid:
        peak_reset = reset_peak(args.pid)
        before = status_kb(args.pid, "VmRSS")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            status, body = response.status, json.load(response)
    except urllib.error.HTTPError as error:
        status, body = error.code, json.load(error)
    seconds = time.monotonic() - started
    step = {"status": status, "seconds": round(seconds, 3),
            "created": body.get("created"), "updated": body.get("updated"),
            "unchanged": body.get("unchanged"), "errors": body.get("errors", [])[:3]}
    if args.pid:
        step["rss_growth_mb"] = round((status_kb(args.pid, "VmHWM") - before) / 1024, 1)
        step["peak_reset"] = peak_reset
    return step


login = gql(None, "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { accessToken errors { code } } }",
            {"u": args.user, "p": args.password})
token = login["data"]["login"]["accessToken"]
assert token, login
me = gql(token, "{ me { organization { producer { id } } } }", {})
producer = me["data"]["me"]["organization"]["producer"]["id"]

CATEGORIES = ["粮油", "蔬菜", "水果", "食用菌", "茶叶", "加工食品", "FRUIT", "GRAIN_OIL"]
SPECS = [("5kg/箱", "箱"), ("2kg/袋", "袋"), ("500g/盒", "盒")]


def csv_text(price_change_every=0):
    lines = ["商品编码,商品名称,品类,规格,单位,单价(元),库存,起订量,产地说明"]
    for i in range(args.rows):
        spec, unit = SPECS[i % len(SPECS)]
        cents = 1000 + (i * 37) % 9000
        if price_change_every and i % price_change_every == 0:
            cents += 1
        lines.append(f"B{stamp}-{i:05d},压测商品{i},{CATEGORIES[i % len(CATEGORIES)]},{spec},{unit},"
                     f"{cents // 100}.{cents % 100:02d},{i % 500},{1 + i % 3},\"合作社收购, 第{i % 40}组\"")
    return ("\n".join(lines) + "\n").encode()


good = csv_text()
dry = post(token, producer, True, good)
assert dry["status"] == 200 and dry["created"] == args.rows, dry
real = post(token, producer, False, good)
assert real["status"] == 200 and real["created"] == args.rows, real
again = post(token, producer, False, good)
assert again["status"] == 200 and again["unchanged"] == args.rows, again
changed = post(token, producer, False, csv_text(price_change_every=100))
assert changed["status"] == 200 and changed["updated"] == (args.rows + 99) // 100, changed
print(json.dumps({"rows": args.rows, "bytes": len(good), "dry_run": dry, "import": real,
                  "reimport": again, "price_changes": changed}, ensure_ascii=False))
