"""What the machine and the server do, second by second, while a load runs: to tell what a
stall of the server coincides with.

Usage: watch.py PID DATABASE OUT

Writes a line a second to OUT until the process PID ends: the monotonic clock (seconds, as
benches/codes.lua's SLOWEST_FILE), the server's resident memory (kB), the sizes of the
database and of its write-ahead log (kB), the kernel's dirty and write-back memory (kB), the
share of the second the database's disk was busy (%), what the server wrote (kB), and the
server's threads waiting on the disk (state D) with the kernel function they wait in.
"""

import os
import sys
import time


def meminfo():
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            key, value = line.split(":", 1)
            out[key] = int(value.split()[0])
    return out


def disk_of(path):
    """The block device holding path, as named in /proc/diskstats."""
    dev = os.stat(path).st_dev
    major, minor = os.major(dev), os.minor(dev)
    with open("/proc/diskstats") as f:
        for line in f:
            fields = line.split()
            if int(fields[0]) == major and int(fields[1]) == minor:
                return fields[2]
    return None


def busy_ms(disk):
    if disk is None:
        return 0
    with open("/proc/diskstats") as f:
        for line in f:
            fields = line.split()
            if fields[2] == disk:
                return int(fields[12])
    return 0


def written(pid):
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    return 0


def waiting(pid):
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
            state = stat.rsplit(")", 1)[1].split()[0]
            if state != "D":
                continue
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/wchan") as f:
                wchan = f.read().strip()
            out.append(f"{name}:{wchan}")
        except OSError:
            pass
    return out


def size_kb(path):
    try:
        return os.stat(path).st_size // 1024
    except OSError:
        return 0


def main():
    pid, database, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    disk = disk_of(os.path.dirname(os.path.abspath(database)))
    last_busy, last_written = busy_ms(disk), written(pid)
    with open(out, "w") as f:
        f.write("# mono rss_kb db_kb wal_kb dirty_kb writeback_kb disk_busy_% written_kb waiting\n")
        while True:
            time.sleep(1 - time.monotonic() % 1)
            try:
                with open(f"/proc/{pid}/status") as s:
                    rss = next(int(l.split()[1]) for l in s if l.startswith("VmRSS"))
                now_written, now_busy = written(pid), busy_ms(disk)
                mem = meminfo()
                f.write(
                    f"{time.monotonic():.0f} {rss} {size_kb(database)} {size_kb(database + '-wal')} "
                    f"{mem['Dirty']} {mem['Writeback']} {(now_busy - last_busy) / 10:.0f} "
                    f"{(now_written - last_written) // 1024} {','.join(waiting(pid)) or '-'}\n"
                )
                f.flush()
                last_busy, last_written = now_busy, now_written
            except (OSError, StopIteration):
                return


if __name__ == "__main__":
    main()
