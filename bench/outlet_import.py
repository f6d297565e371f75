"""Imports an outlet's month of sales from a 10,000-row CSV through the API, on a server loaded
with the demo world (`fupin-market seed-demo`): registers a supermarket in 灵寿县 and its zone,
has lingshou-officer approve it, then times

  - a file with one broken cell (it must name its row and column, and write nothing),
  - the good file (all or nothing: one report of 10,000 lines),
  - the officer's acceptance of the report into the ledger.

Prints one JSON line. usage: outlet_import.py BASE_URL [ROWS]   (BASE_URL like http://127.0.0.1:8080)
"""
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

base = sys.argv[1].rstrip("/")
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
PASSWORD = "fupin-demo-2026"
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


def field(body, *path):
    for key in path:
        body = body[key]
    return body


def login(username, password):
    body = gql(None, "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { accessToken errors { code } } }",
               {"u": username, "p": password})
    return field(body, "data", "login", "accessToken")


def post_file(token, outlet, period, data):
    query = urllib.parse.urlencode({"outletId": outlet, "period": period})
    request = urllib.request.Request(
        f"{base}/imports/outlet-sales?{query}", data=data,
        headers={"Content-Type": "text/csv", "Authorization": f"Bearer {token}"},
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            status, body = response.status, json.load(response)
    except urllib.error.HTTPError as error:
        status, body = error.code, json.load(error)
    return status, body, time.monotonic() - started


# A supermarket in 灵寿县 and its zone, approved by the county officer.
register = gql(None, """mutation($input: RegisterInput!) { register(input: $input) { accessToken errors { code message } } }""",
               {"input": {"username": f"bench-mart-{stamp}", "password": "bench-outlet-passphrase-2026",
                          "displayName": "王店长", "organization": {"name": f"北国超市灵寿店{stamp}", "kind": "BUYER"}}})
mart = field(register, "data", "register", "accessToken")
org = field(gql(mart, "{ me { organization { id } } }", {}), "data", "me", "organization", "id")
buyer = gql(mart, "mutation($input: CreateBuyerInput!) { createBuyer(input: $input) { errors { code message } } }",
            {"input": {"organizationId": org, "name": f"北国超市灵寿店{stamp}", "kind": "SUPERMARKET",
                       "regionCode": "130126", "contactName": "王店长", "contactPhone": "0311-82000000"}})
assert field(buyer, "data", "createBuyer", "errors") == [], buyer
outlet = gql(mart, "mutation($input: RegisterOutletInput!) { registerOutlet(input: $input) { outlet { id } errors { code message } } }",
             {"input": {"kind": "ZONE", "name": "消费扶贫专区", "regionCode": "130126", "opensOn": "2026-01-01"}})
outlet_id = field(outlet, "data", "registerOutlet", "outlet", "id")
officer = login("lingshou-officer", PASSWORD)
approved = gql(officer, "mutation($id: ID!) { reviewOutlet(input: {outletId: $id, decision: APPROVE}) { errors { code } } }",
               {"id": outlet_id})
assert field(approved, "data", "reviewOutlet", "errors") == [], approved

products = [p["id"] for p in field(gql(None, "{ products(first: 100, filter: {regionCode: \"130126\"}) { nodes { id } } }", {}),
                                    "data", "products", "nodes")]
assert products, "no products in 130126: load the demo world"
period = "2026-06"
lines = ["商品编号,数量,金额(元),销售日期"]
for i in range(rows):
    quantity = 1 + i % 7
    lines.append(f"{products[i % len(products)]},{quantity},{quantity * 12}.{i % 100:02d},2026-06-{1 + i % 30:02d}")
good = ("\n".join(lines) + "\n").encode()
broken_row = rows * 3 // 4  # a data row (the sheet's row broken_row + 2)
bad_lines = list(lines)
bad_lines[broken_row + 1] = bad_lines[broken_row + 1].replace(",2026-06-", ",2026-13-")
bad = ("\n".join(bad_lines) + "\n").encode()

status, body, bad_seconds = post_file(mart, outlet_id, period, bad)
assert status == 422, (status, body)
first_error = body["errors"][0]

status, body, seconds = post_file(mart, outlet_id, period, good)
assert status == 200 and body["errors"] == [], (status, str(body)[:400])
report = body["report"]["id"]

started = time.monotonic()
try:
    accepted = gql(officer, "mutation($id: ID!) { reviewOutletReport(input: {reportId: $id, decision: ACCEPT}) { report { status totals { countedQuantity countedAmount } } errors { code message } } }",
                   {"id": report})
    payload = field(accepted, "data", "reviewOutletReport")
except urllib.error.HTTPError as error:
    # Past the server's request time limit (504): the transaction rolled back.
    payload = {"report": None, "errors": [{"http": error.code, "body": json.load(error)}]}
accept_seconds = time.monotonic() - started
print(json.dumps({
    "rows": rows, "bytes": len(good),
    "import_seconds": round(seconds, 3),
    "bad_file_seconds": round(bad_seconds, 3), "bad_file_error": first_error,
    "accept_seconds": round(accept_seconds, 3), "accepted": payload["report"] and payload["report"]["status"],
    "counted": payload["report"] and payload["report"]["totals"], "accept_errors": payload["errors"],
}, ensure_ascii=False))
