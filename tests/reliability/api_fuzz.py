#!/usr/bin/env python3
"""API fuzzing: schemathesis against the served /api/v1/openapi.json, on a loop with data,
as a coordinator. Fails on any 5xx and on any answer whose status, content type or body the
document does not allow.

Usage: api_fuzz.py BOUCLE_BINARY [--examples 100] [--seconds 600] [--schemathesis PATH]

Without --schemathesis and none on PATH, schemathesis is installed from PyPI into a virtual
environment at target/schemathesis (with the python3 on PATH).

The loop is simulated first (`boucle simulate --days 30`), so that ids, codes and sites of
the document's operations exist. Every operation is tried with schemathesis's examples,
coverage (edges of every schema, missing and wrong fields), fuzzing and stateful phases.
The token's own revocation (DELETE /auth/token) is left out: it would sign the rest of the
run out. Prints schemathesis's summary and exits as it does.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

from service import Service

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
VERSION = "4.32.5"
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance")


def schemathesis(given):
    """The schemathesis command: the one given, the one on PATH, or one installed here."""
    if given:
        return given
    if shutil.which("schemathesis"):
        return shutil.which("schemathesis")
    venv = os.path.join(ROOT, "target", "schemathesis")
    exe = os.path.join(venv, "bin", "schemathesis")
    if not os.path.exists(exe):
        python = shutil.which("python3") or sys.executable
        subprocess.run([python, "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q",
                        f"schemathesis=={VERSION}"], check=True)
    return exe


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("--examples", type=int, default=100)
    p.add_argument("--seconds", type=int, default=600)
    p.add_argument("--schemathesis")
    args = p.parse_args()
    st = schemathesis(args.schemathesis)
    work = tempfile.mkdtemp(prefix="boucle-api-fuzz-")
    server = Service(os.path.abspath(args.binary), os.path.join(work, "boucle.db"), work)
    server.cli("simulate", "--days", "30", "--scale", "0.2", "--seed", "7")
    server.sign_in("fuzz@loop.test")
    with server:
        run = subprocess.run([
            st, "run", f"{server.base}/openapi.json",
            "--url", server.base.removesuffix("/api/v1"),
            "-H", f"Authorization: Bearer {server.token}",
            "--checks", CHECKS,
            "--exclude-operation-id", "revokeToken",
            "--max-examples", str(args.examples),
            "--max-time", str(args.seconds),
            "--workers", "2",
            "--seed", "1",
            "--request-timeout", "30",
            "--report", "junit", "--report-dir", os.path.join(work, "report"),
            "--no-color",
        ], check=False, cwd=work)
        stopped = server.proc.poll()
    if stopped is not None:
        sys.exit(f"the server stopped during the run (exit {stopped}); see {work}/serve.log")
    if run.returncode != 0:
        sys.exit(f"schemathesis found failures (exit {run.returncode}); the run is in {work}")
    shutil.rmtree(work)
    print(f"no 5xx and no answer outside the document in {args.seconds} s at most")


if __name__ == "__main__":
    main()
