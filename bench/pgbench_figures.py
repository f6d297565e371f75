"""One JSON line of figures from a pgbench run: pages (script runs) per second from its report
on stdin, p50/p99/max from its per-transaction logs (-l --log-prefix PREFIX).

usage: pgbench ... -l --log-prefix PREFIX | python3 pgbench_figures.py PREFIX
"""
import glob
import json
import re
import sys

prefix = sys.argv[1]
report = sys.stdin.read()


def number(pattern, default=0.0):
    match = re.search(pattern, report)
    return float(match.group(1)) if match else default


latencies = []
for path in glob.glob(prefix + ".*"):
    with open(path) as log:
        for line in log:
            fields = line.split()
            if len(fields) >= 3 and fields[2].isdigit():
                latencies.append(int(fields[2]) / 1000)
latencies.sort()


def percentile(p):
    if not latencies:
        return 0.0
    return latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))]


requests = int(number(r"number of transactions actually processed: (\d+)"))
seconds = number(r"duration: (\d+) s")
print(json.dumps({
    "requests": requests,
    "seconds": seconds,
    "rps": round(number(r"tps = ([\d.]+) \(without initial connection time\)"), 1),
    "p50_ms": round(percentile(50), 2),
    "p99_ms": round(percentile(99), 2),
    "max_ms": round(latencies[-1], 2) if latencies else 0.0,
    "errors": int(number(r"number of failed transactions: (\d+)")),
}))
