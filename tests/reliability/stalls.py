"""The soak's slowest seconds beside what the machine did meanwhile.

Usage: stalls.py SLOWEST MACHINE [COUNT]

SLOWEST is benches/codes.lua's SLOWEST_FILE (a line a second: the monotonic second, the
slowest answer of the requests due in it, in ms); MACHINE is tests/reliability/watch.py's
log. Prints how many seconds had an answer slower than 100 ms and 1 s, then, for the COUNT
slowest (default 5), what the machine logged from the second the request was due to the
second it was answered: the disk's busiest share, the most write-back, what the server wrote,
and which of its threads waited on the disk, and in what.
"""

import sys


def main():
    slowest = [tuple(map(float, line.split())) for line in open(sys.argv[1]) if line.strip()]
    machine = {}
    for line in open(sys.argv[2]):
        if line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) == 9:
            machine[int(fields[0])] = fields
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    if not slowest:
        print("no paced request recorded")
        return
    start = slowest[0][0]
    over = lambda ms: sum(1 for _, worst in slowest if worst > ms)
    print(f"seconds with an answer over 100 ms: {over(100)}, over 1 s: {over(1000)} "
          f"(of {len(slowest)})")
    for second, worst in sorted(slowest, key=lambda s: -s[1])[:count]:
        seen = [machine[s] for s in range(int(second), int(second + worst / 1000) + 2) if s in machine]
        if not seen:
            print(f"  +{second - start:.0f} s: {worst:.1f} ms (nothing logged)")
            continue
        busy = max(int(f[6]) for f in seen)
        writeback = max(int(f[5]) for f in seen) // 1024
        written = sum(int(f[7]) for f in seen) // 1024 // len(seen)
        waits = sorted({w for f in seen for w in f[8].split(",") if w != "-"})
        print(f"  +{second - start:.0f} s: {worst:.1f} ms; disk busy up to {busy}%, write-back up to "
              f"{writeback} MB, {written} MB written a second; waiting: {', '.join(waits) or 'none'}")


if __name__ == "__main__":
    main()
