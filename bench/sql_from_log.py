"""Turns the PostgreSQL log of one request into a pgbench script.

The server's statements are logged by PostgreSQL itself (log_min_duration_statement = 0 on
the bench database): `execute <name>: SQL` with `$n` placeholders, followed by
`DETAIL:  parameters: $1 = '…', …`. Each statement becomes one pgbench command whose `$n`
are pgbench variables bound in prepared mode (-M prepared), as the server binds them; the
values are written as `-D name=value` lines.

usage: sql_from_log.py DATABASE PREFIX SCRIPT DEFINES < log-excerpt
"""
import re
import sys

database, prefix, script_path, defines_path = sys.argv[1:5]
HEADER = re.compile(r"^\S+ \S+ \S+ \[\d+\] (?:\S+@(\S+) )?(\w+):  (.*)$")
STATEMENT = re.compile(r"^duration: [\d.]+ ms  (?:execute [^:]*|statement): (.*)$", re.S)
PARAM = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')")

# Group continuation lines (a tab first) with the entry they continue.
entries = []
for line in sys.stdin.read().splitlines():
    match = HEADER.match(line)
    if match:
        entries.append([match.group(1), match.group(2), match.group(3)])
    elif entries and line.startswith("\t"):
        entries[-1][2] += "\n" + line[1:]

statements = []
# A DETAIL belongs to the LOG line before it; parse and bind steps have their own, skipped.
last_was_statement = False
for db, kind, text in entries:
    if db != database:
        continue
    if kind == "LOG":
        match = STATEMENT.match(text)
        last_was_statement = bool(match)
        if match:
            statements.append([match.group(1).strip(), {}])
    elif kind == "DETAIL" and last_was_statement and text.startswith("parameters: "):
        statements[-1][1] = {
            int(n): None if v == "NULL" else v[1:-1].replace("''", "'")
            for n, v in PARAM.findall(text)
        }

with open(script_path, "w") as script, open(defines_path, "w") as defines:
    for i, (sql, params) in enumerate(statements):
        def bind(match):
            n = int(match.group(1))
            value = params.get(n)
            if value is None:
                return "NULL"
            name = f"{prefix}s{i}p{n}"
            defines.write(f"{name}={value}\n")
            return f":{name}"
        sql = re.sub(r"\$(\d+)\b", bind, " ".join(sql.split()))
        script.write(sql.rstrip(";") + ";\n")
print(len(statements))
