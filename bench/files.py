"""Files (issue 17): memory and throughput of uploads and downloads, against a running server
loaded with the demo world, signed in as the producer `qinglian-coop`.

  (a) uploads a 10 MB PDF to the producer (GraphQL multipart request) and downloads it from
      `/files/{id}`, reading the server's /proc/PID/status: its peak RSS (VmHWM, reset first
      through /proc/PID/clear_refs) against its RSS before. Target: under 2 MB of growth.
  (b) 50 concurrent uploads of 1 MB (distinct contents, so each is stored): uploads per second,
      MB/s and latency percentiles. Run it on PostgreSQL.

Prints one JSON line. Standard library only.

usage: bench/files.py BASE_URL SERVER_PID [--size-mb 10] [--concurrent 50] [--each-mb 1]
                     [--warmup-mb SIZE_MB]

Before (a), two transfers of --warmup-mb (by default the same size, other contents) fill what
the server keeps for good whatever the file (the database's page cache, pooled connections'
buffers, allocator arenas); `--warmup-mb 0.3` measures a cold server instead.

Run it (as root or the server's user, for clear_refs), e.g. on PostgreSQL:

  createdb fupin_bench   # an empty database
  export DATABASE_URL=postgres://root@127.0.0.1:5432/fupin_bench FILE_MAX_BYTES=33554432
  target/release/fupin-market seed-demo
  BIND_ADDR=127.0.0.1:8090 target/release/fupin-market serve & sleep 3
  python3 bench/files.py http://127.0.0.1:8090 $!

On SQLite, `DATA_DIR=$(mktemp -d) FILE_MAX_BYTES=33554432 target/release/fupin-market serve`
loads the demo world by itself.
"""
import argparse
import base64
import concurrent.futures
import hashlib
import http.client
import json
import os
import threading
import time
import urllib.parse

PASSWORD = "fupin-demo-2026"
UPLOAD = ("mutation($input: UploadFileInput!) { uploadFile(input: $input) {"
          " file { id url sha256 size } errors { code message } } }")


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("pid", type=int)
    parser.add_argument("--size-mb", type=float, default=10)
    parser.add_argument("--concurrent", type=int, default=50)
    parser.add_argument("--each-mb", type=float, default=1)
    # A first transfer of this size fills what the server keeps for good (the database's page
    # cache, pooled connections' buffers, the allocator's arenas) before the measured one.
    parser.add_argument("--warmup-mb", type=float, default=None)
    return parser.parse_args()


ARGS = parse_args()
URL = urllib.parse.urlsplit(ARGS.base)


def connection():
    return http.client.HTTPConnection(URL.hostname, URL.port or 80, timeout=600)


def gql(token, query, variables):
    conn = connection()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request("POST", "/graphql", json.dumps({"query": query, "variables": variables}), headers)
    body = json.load(conn.getresponse())
    conn.close()
    return body


def pdf(size, seed):
    """A PDF-looking file (sniffed by its first bytes) of incompressible bytes, unique per seed."""
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + seed.encode() + b"\n"
    return head + os.urandom(max(0, size - len(head)))


def upload(token, subject, data, name):
    boundary = "----fupin-bench-" + hashlib.sha1(name.encode()).hexdigest()
    operations = json.dumps({"query": UPLOAD, "variables": {
        "input": {"file": None, "subjectId": subject, "purpose": "OTHER"}}})
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{operations}\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{{"0": ["variables.input.file"]}}\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="{name}"\r\n'
        'Content-Type: application/pdf\r\n\r\n',
    ]
    body = "".join(parts).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    conn = connection()
    started = time.monotonic()
    conn.request("POST", "/graphql", body, {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    answer = json.load(response)
    elapsed = time.monotonic() - started
    conn.close()
    payload = (answer.get("data") or {}).get("uploadFile") or {}
    if response.status != 200 or payload.get("errors") or not payload.get("file"):
        raise SystemExit(f"upload failed: {response.status} {answer}")
    return payload["file"], elapsed


def download(token, url):
    """Reads the body in 64 KB pieces, hashing it; returns (sha256, bytes, seconds)."""
    conn = connection()
    started = time.monotonic()
    conn.request("GET", url, headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    if response.status != 200:
        raise SystemExit(f"download failed: {response.status} {response.read()[:300]}")
    digest, total = hashlib.sha256(), 0
    while True:
        piece = response.read(65536)
        if not piece:
            break
        digest.update(piece)
        total += len(piece)
    conn.close()
    return digest.hexdigest(), total, time.monotonic() - started


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise SystemExit(f"no {key} for {pid}")


def reset_peak(pid):
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as refs:
            refs.write("5")  # resets VmHWM to the current RSS
        return True
    except OSError:
        return False


def producer_id(token):
    me = gql(token, "{ me { organization { id } } }", {})
    org = me["data"]["me"]["organization"]["id"]
    raw = base64.urlsafe_b64decode(org + "=" * (-len(org) % 4)).decode()
    key = raw.split(":", 1)[1]
    return base64.urlsafe_b64encode(f"Producer:{key}".encode()).decode().rstrip("=")


def main():
    login = gql(None, "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p})"
                " { accessToken errors { code } } }", {"u": "qinglian-coop", "p": PASSWORD})
    token = login["data"]["login"]["accessToken"]
    subject = producer_id(token)
    pid = ARGS.pid
    stamp = str(time.time_ns())

    # Warm-up: connections, pools and buffers the first request allocates for good.
    warm_size = int((ARGS.size_mb if ARGS.warmup_mb is None else ARGS.warmup_mb) * 1024 * 1024)
    for i in range(2):
        warm, _ = upload(token, subject, pdf(max(warm_size, 1000), f"warm-{stamp}-{i}"), f"warm-{i}.pdf")
        download(token, warm["url"])
    time.sleep(0.5)

    # (a) one large upload and download.
    size = int(ARGS.size_mb * 1024 * 1024)
    data = pdf(size, f"big-{stamp}")
    expected = hashlib.sha256(data).hexdigest()
    peak_reset = reset_peak(pid)
    rss_before = status_kb(pid, "VmRSS")
    hwm_before = status_kb(pid, "VmHWM")
    sampled = [rss_before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            sampled.append(status_kb(pid, "VmRSS"))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    big, upload_s = upload(token, subject, data, "big.pdf")
    hwm_upload = status_kb(pid, "VmHWM")
    rss_between = status_kb(pid, "VmRSS")
    reset_peak(pid)
    digest, total, download_s = download(token, big["url"])
    done.set()
    sampler.join()
    hwm_download = status_kb(pid, "VmHWM")
    hwm_after = max(hwm_upload, hwm_download)
    rss_after = status_kb(pid, "VmRSS")
    if digest != expected or total != size or big["sha256"] != expected:
        raise SystemExit("the download differs from the upload")
    single = {
        "size_bytes": size,
        "warmup_bytes": warm_size,
        "upload_s": round(upload_s, 3),
        "download_s": round(download_s, 3),
        "rss_before_kb": rss_before,
        "rss_after_kb": rss_after,
        "peak_rss_kb": hwm_after,
        "peak_reset": peak_reset,
        # Peak during the transfer over the RSS before it (VmHWM reset just before).
        "peak_growth_kb": hwm_after - rss_before if peak_reset else hwm_after - hwm_before,
        "upload_peak_growth_kb": hwm_upload - rss_before,
        "download_peak_growth_kb": hwm_download - rss_between,
        "sampled_max_growth_kb": max(sampled) - rss_before,
        "target_kb": 2048,
    }

    # (b) concurrent uploads of distinct contents.
    each = int(ARGS.each_mb * 1024 * 1024)
    blobs = [pdf(each, f"c-{stamp}-{i}") for i in range(ARGS.concurrent)]
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=ARGS.concurrent) as pool:
        results = list(pool.map(lambda i: upload(token, subject, blobs[i], f"c{i}.pdf")[1],
                                range(ARGS.concurrent)))
    wall = time.monotonic() - started
    latencies = sorted(results)

    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000, 1)

    concurrent_result = {
        "uploads": ARGS.concurrent,
        "each_bytes": each,
        "wall_s": round(wall, 3),
        "uploads_per_s": round(ARGS.concurrent / wall, 1),
        "mb_per_s": round(ARGS.concurrent * each / 1024 / 1024 / wall, 1),
        "p50_ms": pct(50),
        "p99_ms": pct(99),
        "max_ms": round(latencies[-1] * 1000, 1),
        "rss_after_kb": status_kb(pid, "VmRSS"),
    }
    print(json.dumps({"bench": "files", "single": single, "concurrent": concurrent_result}))


if __name__ == "__main__":
    main()
