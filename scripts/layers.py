#!/usr/bin/env python3
"""The import structure of src/: which module uses which, the import circles, and the rules
that reach into resolvers.

Run from the project root: `python3 scripts/layers.py` (add `--edges` to list every edge).
With `--check` it exits 1 when the layout rules are broken: a rule imports a resolver, an import
circle holds a rule, or the shared state (`state.rs`) reaches a module that reaches it back.
The api tests run the check (tests/api/layout.rs).
A module is a file; `use crate::…` trees, `super::…` and inline `crate::…` paths all count.
Resolvers are the GraphQL-facing files (`graphql.rs`, `*_api.rs`, `src/graphql/`) and the HTTP
edge (`src/http/`); everything else in a domain folder is a rule.
"""

import os
import re
import sys

SRC = "src"


def modules():
    found = {}
    for root, _, files in os.walk(SRC):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(root, name)
            parts = os.path.relpath(path, SRC)[:-3].split(os.sep)
            if parts[-1] in ("mod", "lib", "main"):
                parts = parts[:-1]
            found[tuple(parts)] = path
    return found


def strip_comments(text):
    # Unit tests are not part of the layout.
    text = re.split(r"#\[cfg\(test\)\]\s*mod\s+tests", text)[0]
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def expand(tree):
    """`a::{b, c::{d, e}}` -> [a::b, a::c::d, a::c::e]."""
    tree = tree.strip()
    depth, start = 0, None
    for i, ch in enumerate(tree):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}":
            depth -= 1
    if start is None:
        return [tree]
    prefix, inner = tree[:start], tree[start + 1 : tree.rfind("}")]
    items, depth, current = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            items.append(current)
            current = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        current += ch
    items.append(current)
    return [prefix + p for item in items if item.strip() for p in expand(item)]


def targets(module, text, known):
    text = strip_comments(text)
    paths = []
    for m in re.finditer(r"\buse\s+((?:crate|super)::[^;]*);", text, flags=re.S):
        paths += expand(re.sub(r"\s+", "", m.group(1)))
    text = re.sub(r"\buse\s+[^;]*;", "", text, flags=re.S)
    paths += re.findall(r"\b(?:crate|super)(?:::\w+)+", text)
    out = set()
    for path in paths:
        segments = path.split(" as ")[0].split("::")
        if segments[0] == "crate":
            base, rest = (), segments[1:]
        else:
            base = module[:-1] if not is_dir_module(module, known) else module
            rest = segments[1:]
            while rest and rest[0] == "super":
                base, rest = base[:-1], rest[1:]
        full = base + tuple(rest)
        for n in range(len(full), 0, -1):
            if full[:n] in known and full[:n] != module:
                out.add(full[:n])
                break
    return out


def is_dir_module(module, known):
    return known.get(module, "").endswith("mod.rs")


def is_resolver(module):
    name = module[-1] if module else ""
    return (
        name == "graphql"
        or name.endswith("_api")
        or module[:1] in (("graphql",), ("http",))
    )


def strongly_connected(graph):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            out.append(component)

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


def name(module):
    return "::".join(module) or "crate"


def main():
    known = modules()
    graph = {}
    for module, path in known.items():
        with open(path, encoding="utf-8") as f:
            graph[module] = targets(module, f.read(), known)
    # A parent module that only declares its children is not an import.
    for module in graph:
        graph[module] = {t for t in graph[module] if t[: len(module)] != module or not module}
    edges = sum(len(t) for t in graph.values())
    circles = [c for c in strongly_connected(graph) if len(c) > 1]
    circles.sort(key=len, reverse=True)
    leaking = sorted(
        (name(m), name(t))
        for m, ts in graph.items()
        if not is_resolver(m) and m not in (("cli",), ("server",), ("demo",), ())
        for t in ts
        if is_resolver(t)
    )
    print(f"modules: {len(graph)}, imports: {edges}")
    print(f"import circles: {len(circles)}; largest: {len(circles[0]) if circles else 0} modules")
    for circle in circles:
        print(f"  circle of {len(circle)}: " + ", ".join(sorted(name(m) for m in circle)))
    print(f"rule -> resolver imports: {len(leaking)}")
    for source, target in leaking:
        print(f"  {source} -> {target}")
    broken = check(graph, circles, leaking)
    for problem in broken:
        print(f"BROKEN: {problem}")
    if "--edges" in sys.argv:
        for m in sorted(graph):
            for t in sorted(graph[m]):
                print(f"{name(m)} -> {name(t)}")

    if "--check" in sys.argv and broken:
        sys.exit(1)


def reachable(graph, start):
    seen, todo = set(), [start]
    while todo:
        for t in graph.get(todo.pop(), ()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


def check(graph, circles, leaking):
    problems = [f"rule {s} imports resolver {t}" for s, t in leaking]
    for circle in circles:
        rules = sorted(name(m) for m in circle if not is_resolver(m))
        if rules:
            problems.append("import circle holds rules: " + ", ".join(rules))
    state = ("state",)
    for leaf in sorted(graph.get(state, ())):
        if state in reachable(graph, leaf) or is_resolver(leaf):
            problems.append(f"state imports {name(leaf)}, which is not a leaf")
    return problems


main()
