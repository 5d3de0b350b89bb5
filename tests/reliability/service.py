"""What the reliability scripts share: `boucle serve` on a SQLite file, its command line and
its API, with the Python standard library only."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    def __init__(self, binary, db, work):
        self.binary, self.db = binary, db
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        self.env = dict(os.environ, DATABASE_URL=db, BIND_ADDR=f"127.0.0.1:{self.port}",
                        RUST_LOG="warn", MAIL_DIR=os.path.join(work, "mail"))
        self.log = open(os.path.join(work, "serve.log"), "ab")
        self.proc = None
        self.token = None

    def cli(self, *args, stdin=""):
        """Runs a command of the binary on this database; its standard output."""
        out = subprocess.run([self.binary, *args], env=self.env, input=stdin.encode(),
                             capture_output=True, check=False)
        if out.returncode != 0:
            sys.exit(f"boucle {' '.join(args)} failed: {out.stderr.decode()}")
        return out.stdout.decode().strip()

    def sign_in(self, email):
        """A coordinator with this e-mail, and a token of theirs for the calls."""
        self.cli("user", "add", "--email", email, "--role", "coordinator", "--password-stdin",
                 stdin="reliability test passphrase\n")
        self.token = self.cli("token", "create", "--email", email, "--name", "reliability")

    def figures_disagree(self):
        """What `boucle check-figures` says of this database when its stored figures or
        states disagree with its events; None when they agree."""
        out = subprocess.run([self.binary, "check-figures"], env=self.env, capture_output=True,
                             check=False)
        return None if out.returncode == 0 else (out.stdout + out.stderr).decode()[-2000:]

    def start(self):
        self.proc = subprocess.Popen([self.binary, "serve"], env=self.env,
                                     stdout=self.log, stderr=self.log)
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{self.base}/health", timeout=1).read()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    sys.exit(f"the server did not start (exit {self.proc.returncode}); "
                             f"see {self.log.name}")
                time.sleep(0.05)
        sys.exit("the server did not answer within 15 s")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()

    def kill(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *_):
        self.stop()

    def call(self, method, path, body=None, timeout=120):
        """The answer's status and JSON body; raises OSError when the server is gone."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.base}{path}", data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")


def give_up(problems, where):
    """Prints the first problems found and exits 1, saying where the databases were left."""
    print("\n".join(problems[:50]), file=sys.stderr)
    sys.exit(f"{len(problems)} problems; {where}")
