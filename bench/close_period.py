"""Closes a year for a region through the API and checks it: prints one JSON line with the
seconds `closePeriod` took, the seconds `verifyClosedPeriod` took and whether it matched.

usage: close_period.py URL TOKEN REGION YEAR
"""
import json
import sys
import time
import urllib.request

url, token, region, year = sys.argv[1:5]


def gql(query, variables):
    request = urllib.request.Request(
        url,
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.load(response)


started = time.monotonic()
closed = gql(
    "mutation($input: ClosePeriodInput!) { closePeriod(input: $input) { closedPeriod { id } errors { code message } } }",
    {"input": {"regionCode": region, "period": year}},
)
seconds = time.monotonic() - started
payload = (closed.get("data") or {}).get("closePeriod") or {}
if payload.get("errors") or not payload.get("closedPeriod"):
    sys.exit(f"closePeriod failed: {json.dumps(closed, ensure_ascii=False)[:400]}")
started = time.monotonic()
verified = gql(
    "query($id: ID!) { verifyClosedPeriod(id: $id) { matches checked } }",
    {"id": payload["closedPeriod"]["id"]},
)
verify_seconds = time.monotonic() - started
found = verified["data"]["verifyClosedPeriod"]
print(json.dumps({"seconds": seconds, "verify_seconds": verify_seconds,
                  "matches": found["matches"], "checked": found["checked"]}))
