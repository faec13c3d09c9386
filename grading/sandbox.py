"""Isolation of each graded job, without Docker: namespaces, a user per slot, limits.

Each submission's ``nbgrader autograde`` runs as the first process (PID 1) of new PID,
network, IPC and mount namespaces (``unshare --net --pid --ipc --fork --mount-proc``):

- its ``/proc`` lists only the job's own processes, so a kernel cannot see, signal, trace or
  read (``cwd``, ``environ``, ``cmdline``) any process of another job or of the host;
- only loopback is up: nbgrader and its kernel talk over 127.0.0.1, nothing else is reachable;
- the shared writable folders (``/dev/shm``, ``/tmp``, ``/var/tmp``, ``/run/lock``) are replaced
  by empty ``tmpfs`` of the job's own, capped in size (``Limits.scratch_bytes`` each): a kernel
  sees no other job's files there, cannot fill the host's shared memory, and what it wrote is
  gone with the namespace (a folder that holds the job folder, the course or Python, such as
  ``/tmp`` when ``--out`` lies under it, is kept and cleaned by :func:`grading.slots.empty`);
- when nbgrader exits, or is killed (``--kill-child``: killing ``unshare`` kills it), the kernel
  ends every other process of the namespace: nothing a student starts outlives the job.

The kernel is started through :mod:`grading.kernel`, which applies resource limits (address
space, processes, CPU time), keeps only harmless environment variables and drops to the
unprivileged user of the job's slot (:mod:`grading.slots`) before Python runs any student
code; that user cannot read the gradebook, the masters or any other job's folders.

Measured on the course's machines (shared/PLATFORM.md): cgroup memory limits are not enforced
there, so memory is capped with ``RLIMIT_AS``; ``import torch`` reserves about 3.3 GB of address
space, so the cap must leave room for it (6 GB works).
"""

from __future__ import annotations

import codecs
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from . import slots
from .outputs import Clipped

__all__ = ["Finished", "Isolation", "Limits", "can_reach", "isolated_command", "private_scratch",
           "probe", "run", "write_kernelspec"]  # fmt: skip

NAMESPACES = ["unshare", "--net", "--pid", "--ipc", "--fork", "--kill-child", "--mount-proc"]
LOG_KEEP = 20_000  # characters kept at each end of a job's log


@dataclass(frozen=True)
class Limits:
    """Per-kernel limits: address space, processes of the slot's user, CPU seconds."""

    memory_bytes: int = 6 * 1024**3
    processes: int = 256
    cpu_seconds: int = 3600
    scratch_bytes: int = 256 * 1024**2  # each private /dev/shm, /tmp, /var/tmp, /run/lock


@dataclass(frozen=True)
class Isolation:
    """What the host can do; ``reasons`` says what is missing when it cannot isolate."""

    namespaces: bool
    users: bool
    reasons: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return self.namespaces and self.users

    def describe(self) -> str:
        if self.complete:
            return (
                "isolated: each job in its own PID, network (loopback only), IPC and mount "
                "namespaces with private temporary folders, its kernel as the job's own user "
                f"({slots.USER_PREFIX}N), with memory, process and CPU-time limits"
            )
        return "NOT isolated: " + "; ".join(self.reasons)


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=60, **kwargs)  # type: ignore[call-overload]


def _probe_namespaces() -> str | None:
    """None if a job's namespaces can be made here, else why not."""
    if not all(map(shutil.which, ("unshare", "ip"))):
        return "unshare or ip (util-linux, iproute2) is not installed"
    mount = _mount_scratch(Path("/tmp"), 1 << 20)  # a private temporary folder can be made
    script = f"ip link set lo up && {mount} && ip -o link show lo && ls /proc"
    result = _run([*NAMESPACES, "sh", "-c", script])
    pids = [name for name in result.stdout.split() if name.isdigit()]
    if result.returncode != 0 or "UP" not in result.stdout or len(pids) > 4:
        return f"cannot create PID and network namespaces: {result.stderr.strip()[:200]}"
    return None


def probe() -> Isolation:
    """Find out whether this host can isolate jobs (root, namespaces, slot users that can run
    this Python), creating a slot user if needed."""
    if os.geteuid() != 0:
        return Isolation(False, False, ("not running as root: cannot switch users or create "
                                        "namespaces",))  # fmt: skip
    namespace_problem = _probe_namespaces()
    reasons = [namespace_problem] if namespace_problem else []
    users = False
    try:
        with slots.acquire() as slot:
            try:
                check = _run([sys.executable, "-c", "import helpers, ipykernel"], user=slot.uid,
                             group=slot.gid, extra_groups=[], cwd="/")  # fmt: skip
                users, last = check.returncode == 0, (check.stderr.strip() or "no output")
            except OSError as err:  # the user cannot even start this Python
                users, last = False, str(err)
        if not users:
            last = last.splitlines()[-1]
            reasons.append(
                f"user {slot.user!r} cannot run {sys.executable} and import helpers ({last}); "
                "every folder on the way to the Python installation and the course needs "
                "o+x (for example `chmod o+x /root` when Python lives under /root)"
            )
    except slots.SlotError as err:
        reasons.append(f"cannot create the grading users: {err}")
    return Isolation(namespace_problem is None, users, tuple(reasons))


def can_reach(folder: Path) -> bool:
    """Whether the grading users can traverse every folder down to ``folder`` (o+x on each)."""
    with slots.acquire() as slot:
        check = _run(["test", "-x", str(folder)], user=slot.uid, group=slot.gid,
                     extra_groups=[], cwd="/")  # fmt: skip
    return check.returncode == 0


def write_kernelspec(folder: Path, limits: Limits, home: Path, user: str | None) -> Path:
    """A kernelspec named ``python3`` (the name every course notebook uses) that starts the
    kernel through :mod:`grading.kernel`, as ``user``, with ``home`` as its home and
    temporary folder. Put ``folder`` first on ``JUPYTER_PATH``."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    launcher = [sys.executable, "-m", "grading.kernel", "--home", str(home)]
    if user is not None:
        launcher += ["--user", user]
    launcher += [
        "--memory", str(limits.memory_bytes), "--processes", str(limits.processes),
        "--cpu-seconds", str(limits.cpu_seconds), "--connection-file", "{connection_file}",
    ]  # fmt: skip
    (spec / "kernel.json").write_text(
        json.dumps(
            {"argv": launcher, "display_name": "Python 3 (graded, isolated)", "language": "python"},
            indent=1,
        )
    )
    return folder


def _mount_scratch(folder: Path, size: int) -> str:
    """Shell: an empty tmpfs of ``size`` bytes on ``folder``, writable by all (sticky)."""
    return f"mount -t tmpfs -o size={size},mode=1777,nosuid,nodev tmpfs {shlex.quote(str(folder))}"


def private_scratch(needed: list[Path]) -> list[Path]:
    """The shared writable folders (:data:`grading.slots.WORLD_WRITABLE`) a job can be given
    private copies of: those that exist and hold none of the ``needed`` paths (the job
    folder, the course, the Python installation), which an empty tmpfs would hide."""
    inside = [path.resolve() for path in needed]
    return [
        folder
        for folder in slots.WORLD_WRITABLE
        if folder.is_dir()
        and not folder.is_symlink()
        and not any(path.is_relative_to(folder.resolve()) for path in inside)
    ]


def isolated_command(command: list[str], isolation: Isolation, limits: Limits,
                     scratch: list[Path]) -> list[str]:  # fmt: skip
    """``command`` as the first process of a job's own namespaces, with an empty tmpfs on
    each ``scratch`` folder (see :func:`private_scratch`), when the host can."""
    if not isolation.namespaces:
        return command
    steps = ["ip link set lo up"] + [_mount_scratch(f, limits.scratch_bytes) for f in scratch]
    quoted = " ".join(shlex.quote(part) for part in command)
    return [*NAMESPACES, "sh", "-c", " && ".join([*steps, f"exec {quoted}"])]


@dataclass(frozen=True)
class Finished:
    """How a job's command ended: its log (first and last lines), exit code, timed out."""

    log: str
    returncode: int | None
    timed_out: bool


def _drain(stream, clipped: Clipped) -> None:  # noqa: ANN001 - a binary pipe
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    while chunk := stream.read1(1 << 16):
        clipped.add(decoder.decode(chunk))
    clipped.add(decoder.decode(b"", final=True))


def run(command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> Finished:
    """Run ``command`` in its own session, keeping only the ends of its output however much
    it writes; after ``timeout`` seconds kill it (and, isolated, its whole namespace)."""
    clipped = Clipped(LOG_KEEP)
    process = subprocess.Popen(command, cwd=cwd, env=env, start_new_session=True,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)  # fmt: skip
    reader = threading.Thread(target=_drain, args=(process.stdout, clipped), daemon=True)
    reader.start()
    timed_out = False
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    reader.join(timeout=30)
    process.stdout.close()
    return Finished(clipped.text, process.returncode, timed_out)
