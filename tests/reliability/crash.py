#!/usr/bin/env python3
"""Crash safety: kills `boucle serve` with SIGKILL in the middle of heavy scan load, again and
again, restarting it each time, then checks that nothing acknowledged was lost.

Usage: crash.py BOUCLE_BINARY [--kills 20] [--workers 8]

Each round starts the server on a SQLite file, sends single fill scans (each with its own id)
and 20-container shipments from several threads, and kills the server at a random moment
0.5 to 2 s in. Scans cut off by the kill are sent again, with the same id, once the server is
back: each must then be recorded once, or found already recorded; shipments cut off are looked
up by their id, and count as acknowledged when found. At the end, with the
server stopped, it checks:

- every scan the server acknowledged is an event in the database;
- every shipment is all or nothing: each shipment row has one `ship` event for each container
  on board, and every acknowledged shipment has all its containers;
- `boucle check-figures`: counters, trips, holdings and every container's state agree with
  the fold of its events;
- SQLite's integrity check passes.

Exits 0 and prints one summary line when all hold; prints what broke and exits 1 otherwise.
Only the Python standard library is used.
"""
import argparse
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from service import Service, give_up

SHIPMENT_SIZE = 20


class Ledger:
    """What the server acknowledged, and what was cut off by a kill."""

    def __init__(self, codes):
        self.lock = threading.Lock()
        self.codes = codes
        self.scans = {}          # scan id -> code, acknowledged
        self.shipments = {}      # shipment id -> codes, acknowledged
        self.cut_scans = []      # (id, code) sent when the server died
        self.cut_shipments = []  # (id, codes)
        self.problems = []

    def take(self, n):
        with self.lock:
            if len(self.codes) < n:
                return None
            taken, self.codes = self.codes[:n], self.codes[n:]
            return taken


def scan_body(sid, code, site):
    return {"scans": [{"id": sid, "code": code, "action": "fill", "site_id": site}]}


def worker(loop, ledger, sites, ships, stop):
    while not stop.is_set():
        if ships:
            codes = ledger.take(SHIPMENT_SIZE)
            if codes is None:
                return
            sid = str(uuid.uuid4())
            body = {"id": sid, "from_site_id": sites["producer"], "to_site_id": sites["shop"],
                    "codes": codes}
            try:
                status, answer = loop.call("POST", "/shipments", body)
            except OSError:
                with ledger.lock:
                    ledger.cut_shipments.append((sid, codes))
                return
            with ledger.lock:
                if status == 201:
                    ledger.shipments[sid] = codes
                else:
                    ledger.problems.append(f"shipment {sid}: {status} {answer}")
        else:
            taken = ledger.take(1)
            if taken is None:
                return
            sid, code = str(uuid.uuid4()), taken[0]
            try:
                status, answer = loop.call("POST", "/scans", scan_body(sid, code, sites["producer"]))
            except OSError:
                with ledger.lock:
                    ledger.cut_scans.append((sid, code))
                return
            with ledger.lock:
                if status == 200 and answer["results"][0]["status"] == "recorded":
                    ledger.scans[sid] = code
                else:
                    ledger.problems.append(f"scan {sid} of {code}: {status} {answer}")


def resend(loop, ledger, sites):
    """Sends again what a kill cut off, with the same ids: each is recorded now or was then."""
    cut, ledger.cut_scans = ledger.cut_scans, []
    sent = len(cut)
    for sid, code in cut:
        status, answer = loop.call("POST", "/scans", scan_body(sid, code, sites["producer"]))
        result = answer["results"][0] if status == 200 else None
        if result and result["status"] in ("recorded", "duplicate") and result["id"] == sid:
            ledger.scans[sid] = code
        else:
            ledger.problems.append(f"scan {sid} sent again: {status} {answer}")
    cut, ledger.cut_shipments = ledger.cut_shipments, []
    for sid, codes in cut:
        status, answer = loop.call("GET", f"/shipments/{sid}")
        if status == 200:
            ledger.shipments[sid] = codes
        elif status != 404:
            ledger.problems.append(f"shipment {sid} looked up: {status} {answer}")
    return sent + len(cut)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("binary")
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--workers", type=int, default=8)
    args = p.parse_args()
    work = tempfile.mkdtemp(prefix="boucle-crash-")
    loop = Service(os.path.abspath(args.binary), os.path.join(work, "boucle.db"), work)
    loop.sign_in("crash@loop.test")
    loop.start()
    sites = {}
    for name, kind, lat, lon in (("Laiterie", "producer", 48.08, -1.49),
                                 ("Epicerie", "shop", 48.11, -1.68)):
        status, site = loop.call("POST", "/sites", {"name": name, "kind": kind, "lat": lat, "lon": lon})
        assert status == 201, site
        sites[kind] = site["id"]
    status, jar = loop.call("POST", "/container-types", {"name": "Bocal 370 ml", "material": "glass",
                                                         "tare_mass_g": 210, "single_use_mass_g": 25})
    assert status == 201, jar
    codes = []
    for _ in range(max(1, args.kills) * 3):
        status, made = loop.call("POST", "/containers", {"type_id": jar["id"], "site_id": sites["producer"],
                                                         "count": 2000})
        assert status == 201, made
        codes += [c["code"] for c in made["containers"]]
    ledger = Ledger(codes)
    rng = random.Random(7)
    resent = 0
    for _ in range(args.kills):
        stop = threading.Event()
        threads = [threading.Thread(target=worker, args=(loop, ledger, sites, i % 4 == 3, stop))
                   for i in range(args.workers)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.5, 2.0))
        loop.kill()
        stop.set()
        for t in threads:
            t.join()
        loop.start()
        resent += resend(loop, ledger, sites)
    loop.kill()

    problems = ledger.problems
    db = sqlite3.connect(loop.db)
    check = db.execute("PRAGMA integrity_check").fetchall()
    if check != [("ok",)]:
        problems.append(f"integrity check: {check[:5]}")
    recorded = {r[0] for r in db.execute("SELECT id FROM events")}
    lost = [sid for sid in ledger.scans if sid not in recorded]
    problems += [f"acknowledged scan {sid} of {ledger.scans[sid]} is not in the database" for sid in lost]
    on_board = dict(db.execute("SELECT shipment_id, sum(containers) FROM shipment_loads GROUP BY 1"))
    shipped = dict(db.execute("SELECT shipment_id, count(*) FROM events WHERE action = 'ship' "
                              "AND shipment_id IS NOT NULL GROUP BY 1"))
    for (sid,) in db.execute("SELECT id FROM shipments"):
        if shipped.get(sid, 0) != SHIPMENT_SIZE or on_board.get(sid, 0) != SHIPMENT_SIZE:
            problems.append(f"shipment {sid}: {shipped.get(sid, 0)} ship events, "
                            f"{on_board.get(sid, 0)} on board, not all {SHIPMENT_SIZE} nor none")
    for sid in ledger.shipments:
        if shipped.get(sid, 0) != SHIPMENT_SIZE:
            problems.append(f"acknowledged shipment {sid} has {shipped.get(sid, 0)} ship events")
    events = db.execute("SELECT count(*) FROM events").fetchone()[0]
    db.close()
    disagree = loop.figures_disagree()
    if disagree:
        problems.append("check-figures: " + disagree)
    if problems:
        give_up(problems, f"after {args.kills} kills; the database is in {work}")
    print(f"{args.kills} kills survived: {len(ledger.scans)} acknowledged scans and "
          f"{len(ledger.shipments)} acknowledged shipments of {SHIPMENT_SIZE}, all in the database "
          f"({events} events); {resent} cut-off requests sent again, each recorded once; "
          f"figures and states agree with the events; integrity check ok; events lost: 0")
    subprocess.run(["rm", "-rf", work], check=False)


if __name__ == "__main__":
    main()
