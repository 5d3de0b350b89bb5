#!/usr/bin/env python3
"""Replay: an offline queue of 10,000 scans sent three times, shuffled, by 32 concurrent
clients, leaves exactly the events, states and figures of one clean send.

Usage: replay.py BOUCLE_BINARY [--scans 10000] [--clients 32] [--times 3]

A till that lost its connection keeps its scans, each with its own id, and sends them when it
can, perhaps more than once and in any order. The script prepares a loop (jars filled at a
producer, shipped to a shop and received there), copies its database with `boucle backup`,
and makes the queue: for half as many jars as scans, a sale at the shop and, an hour later,
the return, each scan with its id and time. Then:

- on the copy, one clean send: the queue in order, 50 scans a request, by one client;
- on the original, the queue sent `--times` times, each time shuffled and in requests of 50,
  by `--clients` concurrent clients.

It checks that every answer is `recorded` or `duplicate` (never `rejected`), that both
databases hold exactly one event for each scan of the queue, that every jar's state and
history are the same in both, that the yearly loop report is the same, and that `boucle
check-figures` agrees with the events in both. Exits 0 with a summary line when all hold.
"""
import argparse
import concurrent.futures
import datetime
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid

from service import Service, give_up

BATCH = 50


def prepare(server, jars):
    """A producer, a shop, a washer; `jars` jars filled and delivered to the shop."""
    sites = {}
    for name, kind, lat, lon in (("Laiterie", "producer", 48.08, -1.49),
                                 ("Epicerie", "shop", 48.11, -1.68),
                                 ("Laverie", "washer", 48.05, -1.60)):
        status, site = server.call("POST", "/sites", {"name": name, "kind": kind, "lat": lat, "lon": lon})
        assert status == 201, site
        sites[kind] = site["id"]
    status, jar = server.call("POST", "/container-types", {"name": "Bocal 370 ml", "material": "glass",
                                                           "tare_mass_g": 210, "single_use_mass_g": 25})
    assert status == 201, jar
    codes = []
    while len(codes) < jars:
        n = min(2000, jars - len(codes))
        status, made = server.call("POST", "/containers", {"type_id": jar["id"], "site_id": sites["producer"],
                                                           "count": n, "at": "2026-01-05T08:00:00Z"})
        assert status == 201, made
        batch = [c["code"] for c in made["containers"]]
        for i in range(0, n, 1000):
            scans = [{"code": c, "action": "fill", "site_id": sites["producer"], "at": "2026-01-06T08:00:00Z"}
                     for c in batch[i:i + 1000]]
            status, answer = server.call("POST", "/scans", {"scans": scans})
            assert status == 200 and all(r["status"] == "recorded" for r in answer["results"]), answer
        status, ship = server.call("POST", "/shipments", {"from_site_id": sites["producer"], "to_site_id": sites["shop"],
                                                          "codes": batch, "departed_at": "2026-01-07T08:00:00Z"})
        assert status == 201, ship
        status, got = server.call("POST", f"/shipments/{ship['id']}/receive", {"at": "2026-01-07T11:00:00Z"})
        assert status == 200, got
        codes += batch
    return sites, codes


def the_queue(codes, shop, rng):
    """A sale and, an hour later, the return of each jar, over the days of February."""
    queue = []
    start = datetime.datetime(2026, 2, 1, 9, 0, 0)
    for i, code in enumerate(codes):
        sold = start + datetime.timedelta(minutes=rng.randrange(0, 27 * 24 * 60), seconds=i % 60)
        for action, at in (("sell", sold), ("return", sold + datetime.timedelta(hours=1))):
            queue.append({"id": str(uuid.uuid4()), "code": code, "action": action, "site_id": shop,
                          "at": at.strftime("%Y-%m-%dT%H:%M:%SZ")})
    queue.sort(key=lambda s: s["at"])
    return queue


def send(server, requests, clients):
    """Sends each request (a list of scans); returns the count of each status."""
    counts = {}

    def one(scans):
        status, answer = server.call("POST", "/scans", {"scans": scans})
        if status != 200:
            return [f"HTTP {status}: {answer}"]
        return [r["status"] if r["status"] != "rejected" else f"rejected: {r}" for r in answer["results"]]

    with concurrent.futures.ThreadPoolExecutor(max_workers=clients) as pool:
        for statuses in pool.map(one, requests):
            for s in statuses:
                counts[s] = counts.get(s, 0) + 1
    return counts


def snapshot(db, queue_ids):
    conn = sqlite3.connect(db)
    conn.execute("CREATE TEMP TABLE q (id TEXT PRIMARY KEY)")
    conn.executemany("INSERT INTO q VALUES (?)", [(i,) for i in queue_ids])
    from_queue = conn.execute("SELECT count(*) FROM events WHERE id IN (SELECT id FROM q)").fetchone()[0]
    others = conn.execute("SELECT count(*) FROM events WHERE action IN ('sell', 'return') "
                          "AND id NOT IN (SELECT id FROM q)").fetchone()[0]
    states = conn.execute("SELECT code, state, condition, site_id, uses FROM containers ORDER BY code").fetchall()
    history = conn.execute("SELECT c.code, e.id, e.action, e.at FROM events e JOIN containers c "
                           "ON c.id = e.container_id ORDER BY c.code, e.at, e.id").fetchall()
    conn.close()
    return from_queue, others, states, history


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("binary")
    p.add_argument("--scans", type=int, default=10000)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--times", type=int, default=3)
    args = p.parse_args()
    binary = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="boucle-replay-")
    db, clean_db = os.path.join(work, "replayed.db"), os.path.join(work, "clean.db")
    rng = random.Random(11)
    server = Service(binary, db, work)
    server.sign_in("replay@loop.test")
    with server:
        sites, codes = prepare(server, args.scans // 2)
        server.cli("backup", clean_db)
        queue = the_queue(codes, sites["shop"], rng)
        t0 = time.time()
        replayed = {}
        for _ in range(args.times):
            shuffled = queue[:]
            rng.shuffle(shuffled)
            requests = [shuffled[i:i + BATCH] for i in range(0, len(shuffled), BATCH)]
            for k, v in send(server, requests, args.clients).items():
                replayed[k] = replayed.get(k, 0) + v
        replay_secs = time.time() - t0
        report_path = "/reports/loop?from=2026-01-01&to=2027-01-01"
        replayed_report = server.call("GET", report_path)
    clean = Service(binary, clean_db, work)
    clean.token = server.token
    with clean:
        in_order = [queue[i:i + BATCH] for i in range(0, len(queue), BATCH)]
        clean_counts = send(clean, in_order, 1)
        clean_report = clean.call("GET", report_path)

    problems = []
    if set(replayed) - {"recorded", "duplicate"} or set(clean_counts) - {"recorded"}:
        problems.append(f"answers: replayed {dict(list(replayed.items())[:5])}, clean {dict(list(clean_counts.items())[:5])}")
    if replayed.get("recorded") != len(queue):
        problems.append(f"{replayed.get('recorded')} scans recorded over the replays, not {len(queue)}")
    ids = [s["id"] for s in queue]
    a, b = snapshot(db, ids), snapshot(clean_db, ids)
    if a[0] != len(queue) or b[0] != len(queue):
        problems.append(f"events of the queue: {a[0]} replayed, {b[0]} clean, not {len(queue)}")
    if a[1] or b[1]:
        problems.append(f"sales and returns not in the queue: {a[1]} replayed, {b[1]} clean")
    if a[2] != b[2]:
        diff = [(x, y) for x, y in zip(a[2], b[2]) if x != y][:3]
        problems.append(f"container states differ, e.g. {diff}")
    if a[3] != b[3]:
        problems.append("container histories differ")
    if replayed_report != clean_report:
        problems.append(f"the loop reports differ: {replayed_report} against {clean_report}")
    for service in (server, clean):
        disagree = service.figures_disagree()
        if disagree:
            problems.append(f"check-figures on {service.db}: {disagree}")
    if problems:
        give_up(problems, f"the databases are in {work}")
    print(f"replay: {len(queue)} scans sent {args.times} times shuffled by {args.clients} clients in "
          f"{replay_secs:.1f} s ({replayed.get('recorded', 0)} recorded, {replayed.get('duplicate', 0)} "
          f"duplicates, 0 rejected): exactly {len(queue)} events, states, histories and the loop report "
          f"the same as one clean send; check-figures agrees on both")
    subprocess.run(["rm", "-rf", work], check=False)


if __name__ == "__main__":
    main()
