"""Kernel launcher for graded notebooks: limits, then an unprivileged user, then ipykernel.

Started by the kernelspec :func:`grading.sandbox.write_kernelspec` writes, as root, in the
notebook's working directory. It copies the connection file to a private folder the grading
user owns (the original is readable by root only), sets the resource limits, drops every
privilege and replaces itself with ``python -m ipykernel_launcher``. Student code therefore
starts with the limits in force and as a user who cannot read the gradebook.
"""

from __future__ import annotations

import argparse
import os
import pwd
import resource
import shutil
import sys
import tempfile
from pathlib import Path


def _limit(kind: int, value: int) -> None:
    resource.setrlimit(kind, (value, value))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connection-file", required=True)
    parser.add_argument("--user", default=None)
    parser.add_argument("--memory", type=int, required=True, help="address-space limit, bytes")
    parser.add_argument("--processes", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    args, extra = parser.parse_known_args(argv)  # the client appends kernel options

    connection = Path(args.connection_file)
    env = dict(os.environ)
    if args.user is not None:
        account = pwd.getpwnam(args.user)
        private = Path(tempfile.mkdtemp(prefix="graded-kernel-"))
        copy = private / "connection.json"
        shutil.copyfile(connection, copy)
        for path in (private, copy):
            os.chown(path, account.pw_uid, account.pw_gid)
        os.chmod(private, 0o700)
        os.chmod(copy, 0o600)
        connection = copy
        env.update(HOME=str(private), MPLCONFIGDIR=str(private / "matplotlib"), USER=args.user)
    _limit(resource.RLIMIT_AS, args.memory)
    _limit(resource.RLIMIT_NPROC, args.processes)
    _limit(resource.RLIMIT_CPU, args.cpu_seconds)
    _limit(resource.RLIMIT_CORE, 0)
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
