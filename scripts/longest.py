#!/usr/bin/env python3
"""The longest functions in src/ (lines from `fn` to its closing brace), excluding tests.

Run from the project root: `python3 scripts/longest.py [N]` (default 15).
"""

import os
import re
import sys

FN = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:const\s+)?(?:unsafe\s+)?fn\s+(\w+)")


def functions(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    in_tests = False
    for i, line in enumerate(lines):
        if re.match(r"^\s*#\[cfg\(test\)\]", line):
            in_tests = True
        match = FN.match(line)
        if not match or in_tests:
            continue
        depth, opened = 0, False
        for j in range(i, len(lines)):
            code = re.sub(r'"(?:\\.|[^"\\])*"|//.*', "", lines[j])
            if not opened and ";" in code and "{" not in code:
                break  # a declaration without a body
            depth += code.count("{") - code.count("}")
            opened = opened or "{" in code
            if opened and depth <= 0:
                yield match.group(1), i + 1, j - i + 1
                break


def main():
    most = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    found = []
    for root, _, files in os.walk("src"):
        for name in files:
            if name.endswith(".rs"):
                path = os.path.join(root, name)
                found += [(n, path, line, size) for n, line, size in functions(path)]
    found.sort(key=lambda f: -f[3])
    over = [f for f in found if f[3] > 60]
    print(f"functions: {len(found)}; over 60 lines: {len(over)}; over 100: {sum(f[3] > 100 for f in found)}")
    for name, path, line, size in found[:most]:
        print(f"{size:5}  {path}:{line}  {name}")


main()
