#!/usr/bin/env python3
"""Rebuild seed-data/divisions/ (a subset of china-division 2.7.0) from the full tables.

Usage: python3 build_divisions.py [SOURCE_DIR]   (default /work/shared/data/divisions)
Lines are copied byte for byte from the source, so columns and quoting are unchanged.
"""
import gzip, os, shutil, sys

SRC = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/divisions"
DST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "divisions")

PROVINCES = {"13", "44"}
AREA_CITIES = {"4406", "4408", "4453"}          # all areas of Hebei plus these Guangdong cities
COUNTIES = {"130126", "130636", "130727", "130881", "131124", "440825", "445322"}


def filt(name, keep):
    with gzip.open(os.path.join(SRC, name), "rt", encoding="utf-8", newline="") as f:
        lines = f.readlines()
    header, rows = lines[0], lines[1:]
    cols = header.rstrip("\n").split(",")
    out = [header]
    for line in rows:
        # names never contain commas or quotes in this data set (checked by validate.py)
        vals = [v.strip('"') for v in line.rstrip("\n").split(",")]
        if keep(dict(zip(cols, vals))):
            out.append(line)
    data = "".join(out).encode("utf-8")
    with open(os.path.join(DST, name), "wb") as raw:
        # mtime=0 and no file name: byte-identical output on every run
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as g:
            g.write(data)
    return len(out) - 1


def main():
    os.makedirs(DST, exist_ok=True)
    counts = {
        "provinces.csv.gz": filt("provinces.csv.gz", lambda r: r["code"] in PROVINCES),
        "cities.csv.gz": filt("cities.csv.gz", lambda r: r["provinceCode"] in PROVINCES),
        "areas.csv.gz": filt("areas.csv.gz",
                             lambda r: r["provinceCode"] == "13" or r["cityCode"] in AREA_CITIES),
        "streets.csv.gz": filt("streets.csv.gz", lambda r: r["areaCode"] in COUNTIES),
        "villages.csv.gz": filt("villages.csv.gz", lambda r: r["areaCode"] in COUNTIES),
    }
    shutil.copyfile(os.path.join(SRC, "LICENSE"), os.path.join(DST, "LICENSE"))
    for k, v in counts.items():
        print(f"{k}\t{v}")


if __name__ == "__main__":
    main()
