"""Kernel launcher for graded notebooks: limits, a clean environment, a user, then ipykernel.

Started by the kernelspec :func:`grading.sandbox.write_kernelspec` writes, as root, in the
notebook's working directory, inside the job's namespaces. It copies the connection file into
the job's home folder (which the slot's user owns; the original is readable by root only),
keeps only the environment variables a kernel needs (the grader's own, such as a database
password, never reach student code), sets the resource limits and a private umask, drops every
privilege for good (``no_new_privs``: no setuid or setgid program, such as a host's
``crontab``, ``at`` or ``su``, gives it any right back) and replaces itself with
``python -m ipykernel_launcher``. Student code therefore
starts with the limits in force, as a user who cannot read the gradebook, with its home and
temporary files in a folder only that user can open.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import pwd
import resource
import shutil
import sys
from pathlib import Path

KEPT_NAMES = {"PATH", "PYTHONPATH", "LANG", "LANGUAGE", "TZ", "PYTHONHASHSEED", "MPLBACKEND",
              "PYDEVD_DISABLE_FILE_VALIDATION"}  # fmt: skip
KEPT_PREFIXES = ("GAN_COURSE_", "NBGRADER_", "LC_", "OMP_", "MKL_", "CUDA_", "CUBLAS_", "TORCH_",
                 "PYTORCH_")  # fmt: skip


def kernel_environment(environ: dict[str, str], home: Path, user: str | None) -> dict[str, str]:
    """The variables a graded kernel gets: the harmless ones of ``environ``, and its home."""
    env = {k: v for k, v in environ.items() if k in KEPT_NAMES or k.startswith(KEPT_PREFIXES)}
    env.update(HOME=str(home), TMPDIR=str(home), MPLCONFIGDIR=str(home / "matplotlib"),
               IPYTHONDIR=str(home / "ipython"))  # fmt: skip
    if user is not None:
        env.update(USER=user, LOGNAME=user)
    return env


def _limit(kind: int, value: int) -> None:
    resource.setrlimit(kind, (value, value))


PR_SET_NO_NEW_PRIVS = 38  # <linux/prctl.h>


def _no_new_privileges() -> None:
    """Set ``no_new_privs``, inherited by every child: ``execve`` of a setuid or setgid program
    no longer changes the ids, so nothing the kernel starts can schedule work (``crontab``,
    ``at``) that outlives its job or regain a privilege."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise SystemExit(
            f"grading.kernel: prctl(NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connection-file", required=True)
    parser.add_argument("--home", required=True, help="the kernel's home and temporary folder")
    parser.add_argument("--user", default=None)
    parser.add_argument("--memory", type=int, required=True, help="address-space limit, bytes")
    parser.add_argument("--processes", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    args, extra = parser.parse_known_args(argv)  # the client appends kernel options

    home = Path(args.home)
    connection = home / "connection.json"
    shutil.copyfile(args.connection_file, connection)
    os.chmod(connection, 0o600)
    if args.user is not None:
        account = pwd.getpwnam(args.user)
        os.chown(connection, account.pw_uid, account.pw_gid)
    env = kernel_environment(dict(os.environ), home, args.user)
    _limit(resource.RLIMIT_AS, args.memory)
    _limit(resource.RLIMIT_NPROC, args.processes)
    _limit(resource.RLIMIT_CPU, args.cpu_seconds)
    _limit(resource.RLIMIT_CORE, 0)
    os.umask(0o077)  # what the student's code creates is its own: nobody else may read it
    _no_new_privileges()
    if args.user is not None:
        os.setgroups([])
        os.setgid(account.pw_gid)
        os.setuid(account.pw_uid)
        if os.getuid() == 0 or os.geteuid() == 0:
            raise SystemExit("grading.kernel: could not drop root privileges")
    command = [sys.executable, "-m", "ipykernel_launcher", "-f", str(connection), *extra]
    os.execve(sys.executable, command, env)


if __name__ == "__main__":
    main()
