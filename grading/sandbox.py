"""Isolation of each graded notebook's kernel, without Docker.

Each submission is graded by one ``nbgrader autograde`` process started inside a new network
namespace (``unshare --net``) whose loopback is brought up: nbgrader and its kernel talk over
127.0.0.1 inside it, and nothing else is reachable. The kernel itself is started through
:mod:`grading.kernel`, which, before Python runs any student code, applies resource limits
(address space, processes, CPU time) and drops to an unprivileged user that cannot read the
gradebook, the master notebooks or other students' files. nbgrader kills a cell that runs past
its timeout; the grader kills a whole submission that runs past its own.

Measured on the course's machines (shared/PLATFORM.md): cgroup memory limits are not enforced
there, so memory is capped with ``RLIMIT_AS``; ``import torch`` reserves about 3.3 GB of address
space, so the cap must leave room for it (6 GB works).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Isolation", "Limits", "can_reach", "probe", "wrap_command", "write_kernelspec"]

GRADER_USER = "gan-grader"


@dataclass(frozen=True)
class Limits:
    """Per-kernel limits: address space, processes of the grading user, CPU seconds."""

    memory_bytes: int = 6 * 1024**3
    processes: int = 256
    cpu_seconds: int = 3600


@dataclass(frozen=True)
class Isolation:
    """What the host can do; ``reasons`` says what is missing when it cannot isolate."""

    network: bool
    user: str | None
    reasons: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return self.network and self.user is not None

    def describe(self) -> str:
        if self.complete:
            return (
                f"isolated: kernels run as user {self.user!r} in a new network namespace "
                "(loopback only), with memory, process and CPU-time limits"
            )
        return "NOT isolated: " + "; ".join(self.reasons)


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=60, **kwargs)  # type: ignore[call-overload]


def _ensure_user() -> str | None:
    try:
        pwd.getpwnam(GRADER_USER)
        return GRADER_USER
    except KeyError:
        pass
    if shutil.which("useradd") is None:
        return None
    result = _run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", GRADER_USER]
    )
    return GRADER_USER if result.returncode == 0 else None


def probe() -> Isolation:
    """Find out whether this host can isolate kernels (root, network namespaces, a user that
    can run this Python), creating the grading user if needed."""
    reasons: list[str] = []
    if os.geteuid() != 0:
        return Isolation(
            False, None, ("not running as root: cannot switch users or create namespaces",)
        )
    network = False
    if shutil.which("unshare") and shutil.which("ip"):
        result = _run(["unshare", "--net", "sh", "-c", "ip link set lo up && ip -o link show lo"])
        network = result.returncode == 0 and "UP" in result.stdout
        if not network:
            reasons.append(f"cannot create a network namespace: {result.stderr.strip()[:200]}")
    else:
        reasons.append("unshare or ip (util-linux, iproute2) is not installed")
    user = _ensure_user()
    if user is None:
        reasons.append(f"cannot create the unprivileged user {GRADER_USER!r}")
    else:
        check = _run(
            ["runuser", "-u", user, "--", sys.executable, "-c", "import helpers, ipykernel"]
        )
        if check.returncode != 0:
            last = check.stderr.strip().splitlines()[-1] if check.stderr.strip() else "no output"
            reasons.append(
                f"user {user!r} cannot run {sys.executable} and import helpers ({last}); "
                "every folder on the way to the Python installation and the course needs "
                "o+x (for example `chmod o+x /root` when Python lives under /root)"
            )
            user = None
    return Isolation(network, user, tuple(reasons))


def can_reach(user: str, folder: Path) -> bool:
    """Whether ``user`` can traverse every folder down to ``folder`` (o+x on each)."""
    return _run(["runuser", "-u", user, "--", "test", "-x", str(folder)]).returncode == 0


def write_kernelspec(folder: Path, isolation: Isolation, limits: Limits) -> Path:
    """A kernelspec named ``python3`` (the name every course notebook uses) that starts the
    kernel through :mod:`grading.kernel`. Put ``folder`` first on ``JUPYTER_PATH``."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    launcher = [sys.executable, "-m", "grading.kernel"]
    if isolation.user is not None:
        launcher += ["--user", isolation.user]
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


def wrap_command(command: list[str], isolation: Isolation) -> list[str]:
    """Run ``command`` inside a new network namespace with loopback up, when the host can."""
    if not isolation.network:
        return command
    quoted = " ".join(_quote(part) for part in command)
    return ["unshare", "--net", "sh", "-c", f"ip link set lo up && exec {quoted}"]


def _quote(part: str) -> str:
    import shlex

    return shlex.quote(part)
