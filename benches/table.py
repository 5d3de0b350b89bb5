"""Prints the benchmark kit's table (Markdown) from the figures of one run of benches/bench.sh.

Usage: table.py RESULTS DATE SMOKE; RESULTS holds NAME=VALUE lines.
"""
import os
import platform
import sys

path, date, smoke = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
f = {}
for line in open(path):
    name, _, value = line.strip().partition("=")
    f[name] = value


def num(name):
    try:
        return float(f.get(name, ""))
    except ValueError:
        return None


def show(x, unit):
    if x is None:
        return "not measured"
    if unit == "req/s":
        return f"{x:,.0f} req/s"
    if unit == "rows/s":
        return f"{x:,.0f} rows/s"
    if unit == "ms":
        return f"{x:.1f} ms"
    if unit == "s":
        return f"{x:.3f} s"
    if unit == "MB":
        return f"{x / 1024:.0f} MB"
    return str(x)


rows = []


def ratio(what, name, unit, base, base_name, target):
    x, b = num(name), num(base)
    r = x / b if x is not None and b else None
    met = "" if r is None else ("met" if r >= target else "missed")
    errors = " (errors)" if f.get(name + ".errors") else ""
    rows.append((what, show(x, unit) + errors, f"{base_name}: {show(b, unit)}",
                 "" if r is None else f"{r:.0%}", f"≥ {target:.0%}", met))


def limit(what, name, unit, bound, scale=1.0, base=None, base_name=""):
    x = num(name)
    met = "" if x is None else ("met" if x * scale < bound else "missed")
    errors = " (errors)" if f.get(name + ".errors") else ""
    beside = f"{base_name}: {show(num(base), unit)}" if base else ""
    rows.append((what, show(x, unit) + errors, beside, "", f"< {show(bound / scale, unit)}", met))


def beside(what, name, unit, base, base_name):
    x, b = num(name), num(base)
    r = x / b if x is not None and b else None
    rows.append((what, show(x, unit), f"{base_name}: {show(b, unit)}",
                 "" if r is None else f"{r:.0%}", "", ""))


ratio("single return scans, SQLite", "scans", "req/s", "R", "R", 0.60)
beside("the same scans", "scans", "req/s", "R.tx", "R×10 in a transaction")
limit("scans at a fixed 40% of their maximum, p99", "soak.p99", "ms", 25,
      base="R.soak.p99", base_name="R at the same rate")
limit("scans at a fixed 40% of their maximum, p99.9", "soak.p99.9", "ms", 100,
      base="R.soak.p99.9", base_name="R at the same rate")
if num("soak.server.p99") is not None:
    rows.append(("the same scans, time in the server (request read to answer written), p99 / p99.9 / max",
                 f"{f['soak.server.p99']} / {f['soak.server.p99.9']} / {f['soak.server.max']} ms",
                 "", "", "", ""))
ratio("500-container shipment, events written", "ship.rows", "rows/s", "R.batch.rows", "R batched", 0.50)
ratio("stock of one site", "stock", "req/s", "H", "H", 0.30)
limit(f"yearly report, {int(num('report.big.events') or 0):,} events, p95", "report.big", "s", 0.5)
limit(f"yearly report, {int(num('report.small.events') or 0):,} events, p95", "report.small", "s", 0.5)
ratio("single return scans, PostgreSQL", "scans.pg", "req/s", "R.pg", "R on PostgreSQL", 0.50)
beside("the same scans, PostgreSQL", "scans.pg", "req/s", "R.tx.pg", "R×10 in a transaction")
limit("server peak resident memory (SQLite, after every load)", "rss", "MB", 150 * 1024)
limit("startup with migrations, existing database", "startup", "s", 1.0)

print()
print(f"Boucle benchmark kit, {date}, {platform.machine()} {os.cpu_count()} cores, "
      f"Linux {platform.release()}" + (" (smoke run: loads of seconds, no target)" if smoke else ""))
print(f"fixed rate: {f.get('soak', '?')} req/s achieved")
for name, base in (("scans", "R"),):
    w, n, bw, bn = (num(k) for k in (name + ".written", name + ".count", base + ".written", base + ".count"))
    if w and n and bw and bn:
        print(f"written to storage a request: {w / n / 1024:.1f} KiB for a scan, "
              f"{bw / bn / 1024:.1f} KiB for an R insert")
print()
print("| what | Boucle | baseline | ratio | target | |")
print("|---|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r if not smoke else r[:5] + ("",)) + " |")
