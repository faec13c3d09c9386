"""Worker slots: one unprivileged user per running job, shared safely by every grader on a host.

A job holds a slot for its whole life: a host-wide lock (``flock`` on
``/run/gan-grading/slot-K.lock``) that no other job, and no other grading command on the
host, can hold at the same time, and the slot's own user ``gan-grader-K`` (created on first
use: no home, no login shell, a group of its own). Because the user belongs to one job at a
time:

- files the job's kernel creates (its data folder, its home) can be opened by that user only,
  so a kernel cannot open another job's folders even with their paths in hand;
- the kernel's process limit (``RLIMIT_NPROC`` counts the processes of a user) is the job's
  alone: a fork bomb stops at its own cap and cannot starve the kernels of other jobs;
- "every process of the job" is "every process of the user": before the job starts and after
  it ends, all of them are killed (``kill(-1, SIGKILL)`` sent as that user, which reaches
  exactly that user's processes), and the files it left in the world-writable folders
  (``/tmp``, ``/var/tmp``, ``/dev/shm``, ``/run/lock``) are deleted. A slot is freed only once
  its user owns no process: a slot that cannot be emptied is never handed out again by this
  grader.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import shutil
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["USER_PREFIX", "Slot", "SlotError", "acquire", "hold", "processes_of", "empty"]

USER_PREFIX = "gan-grader-"
LOCKS = Path("/run/gan-grading")
MAX_SLOTS = 64
WORLD_WRITABLE = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), Path("/run/lock"))

_poisoned: set[int] = set()  # slots this grader could not empty: never reused by it
_poisoned_lock = threading.Lock()


class SlotError(RuntimeError):
    """A slot's user cannot be created or its processes cannot be ended."""


@dataclass(frozen=True)
class Slot:
    """One job's place on the host: index, user name, uid and gid."""

    index: int
    user: str
    uid: int
    gid: int


def _lock_dir() -> Path:
    LOCKS.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = LOCKS.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise SlotError(f"{LOCKS} must be a folder owned by root and writable by root only")
    return LOCKS


def _ensure_user(index: int) -> Slot:
    name = f"{USER_PREFIX}{index}"
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        if shutil.which("useradd") is None:
            raise SlotError("useradd (passwd package) is needed to create grading users") from None
        with open(_lock_dir() / "users.lock", "w") as guard:  # one useradd at a time
            fcntl.flock(guard, fcntl.LOCK_EX)
            try:
                account = pwd.getpwnam(name)
            except KeyError:
                made = subprocess.run(
                    ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
                     "/nonexistent", "--shell", "/usr/sbin/nologin", name],
                    capture_output=True, text=True, timeout=60,
                )  # fmt: skip
                if made.returncode != 0:
                    raise SlotError(f"useradd {name} failed: {made.stderr.strip()}") from None
                account = pwd.getpwnam(name)
    if account.pw_uid == 0 or account.pw_gid == 0:
        raise SlotError(f"user {name} has root's uid or gid")
    return Slot(index, name, account.pw_uid, account.pw_gid)


def processes_of(uid: int) -> list[int]:
    """Every live process (not a zombie) whose real, effective or saved uid is ``uid``."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status") as handle:
                fields = dict(line.split(":", 1) for line in handle if ":" in line)
        except OSError:
            continue  # it ended while we looked
        if fields.get("State", "Z").split()[0] != "Z" and str(uid) in fields["Uid"].split()[:3]:
            found.append(int(entry.name))
    return found


# kill(2) with pid -1 reaches every process the caller may signal but itself: run as the
# slot's user, that is exactly the user's processes, wherever they are
_KILL_ALL = "import os\ntry:\n    os.kill(-1, 9)\nexcept OSError:\n    pass"


def _kill_all(slot: Slot) -> None:
    """SIGKILL every process of the slot's user, from a process running as that user."""
    subprocess.run([sys.executable, "-I", "-S", "-c", _KILL_ALL], user=slot.uid, group=slot.gid,
                   extra_groups=[], capture_output=True, timeout=60, cwd="/")  # fmt: skip


def _remove_files_of(uid: int, folder: Path) -> None:
    """Delete what ``uid`` created in the world-writable ``folder`` (and its world-writable
    sub-folders, the only other places that user could write to)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        path = Path(entry.path)
        if info.st_uid == uid:
            if stat.S_ISDIR(info.st_mode):
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    path.unlink()
        elif stat.S_ISDIR(info.st_mode) and info.st_mode & 0o002:
            _remove_files_of(uid, path)


def empty(slot: Slot, timeout: float = 20.0) -> None:
    """End every process of the slot's user and delete its files in shared folders; raise
    :class:`SlotError` if processes remain after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while processes_of(slot.uid):
        if time.monotonic() > deadline:
            raise SlotError(f"processes of {slot.user} survived SIGKILL: {processes_of(slot.uid)}")
        _kill_all(slot)
        time.sleep(0.05)  # let the kernel reap them
    for folder in WORLD_WRITABLE:
        _remove_files_of(slot.uid, folder)


def _try_lock(index: int):  # noqa: ANN202 - an open file, or None when the slot is taken
    handle = open(_lock_dir() / f"slot-{index}.lock", "w")  # noqa: SIM115 - held by the caller
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


@contextlib.contextmanager
def acquire(poll: float = 0.25) -> Iterator[Slot]:
    """Hold a free slot (waiting for one if all are taken), emptied before and after use."""
    while True:
        for index in range(MAX_SLOTS):
            if index in _poisoned:
                continue
            handle = _try_lock(index)
            if handle is not None:
                break
        else:
            time.sleep(poll)
            continue
        break
    try:
        slot = _ensure_user(index)
        empty(slot)
        try:
            yield slot
        finally:
            empty(slot)
    except SlotError:
        with _poisoned_lock:
            _poisoned.add(index)
        raise
    finally:
        handle.close()  # releases the lock


@contextlib.contextmanager
def hold(user: str, timeout: float = 600.0) -> Iterator[Slot]:
    """Hold the slot of ``user`` (waiting while a job uses it), without emptying it: for
    checking, between jobs, that the user owns no process."""
    index = int(user.removeprefix(USER_PREFIX))
    deadline = time.monotonic() + timeout
    while (handle := _try_lock(index)) is None:
        if time.monotonic() > deadline:
            raise SlotError(f"slot {index} stayed busy for {timeout:.0f} s")
        time.sleep(0.1)
    try:
        yield _ensure_user(index)
    finally:
        handle.close()
