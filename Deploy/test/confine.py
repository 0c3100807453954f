#!/usr/bin/python3
"""Runs a command under the confinement a systemd unit asks for, as far as a process can impose
it on itself without a running systemd (containers, CI): the unit's User= (or the account given
with --user, standing in for one that does not exist here), SystemCallFilter= (with
SystemCallErrorNumber=), RestrictAddressFamilies=, MemoryDenyWriteExecute=, NoNewPrivileges= and
an empty CapabilityBoundingSet=. It shows that the service still works under its hardening.
Run it as root (switching accounts and dropping capabilities need it).

    confine.py UNIT_FILE [--user ACCOUNT] -- COMMAND [ARG...]

System call groups (@system-service, …) are expanded by `systemd-analyze syscall-filter`, so the
allow list is the installed systemd's own. Differences from systemd: a socket() of a refused
family fails with the filter's errno instead of EAFNOSUPPORT; MemoryDenyWriteExecute= is the
kernel's PR_SET_MDWE (Linux 6.3+), which refuses the same mappings.
"""
import ctypes
import errno
import os
import pwd
import socket
import subprocess
import sys

import seccomp  # Debian: python3-seccomp

PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 24, 38, 65, 1


def service_settings(path):
    """The [Service] section's assignments, in order (continuation lines joined)."""
    settings, section, pending = [], None, ""
    for raw in open(path, encoding="utf-8"):
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line:
            key, value = line.split("=", 1)
            settings.append((key.strip(), value.strip()))
    return settings


def expand(name, seen=None):
    """A syscall name, or every syscall of a @group (recursively)."""
    if not name.startswith("@"):
        return {name}
    seen = seen if seen is not None else set()
    if name in seen:
        return set()
    seen.add(name)
    out = subprocess.run(["systemd-analyze", "syscall-filter", name], check=True, capture_output=True, text=True).stdout
    calls = set()
    for line in out.splitlines()[1:]:
        item = line.strip()
        if item and not item.startswith("#"):
            calls |= expand(item, seen)
    return calls


def main():
    args = sys.argv[1:]
    user = None
    if len(args) > 2 and args[1] == "--user":
        user = args[2]
        del args[1:3]
    if len(args) < 3 or args[1] != "--":
        sys.exit("usage: confine.py UNIT_FILE [--user ACCOUNT] -- COMMAND [ARG...]")
    settings = service_settings(args[0])
    command = args[2:]
    user = user or dict(settings).get("User")

    allowed, allow_list = set(), None
    for key, value in settings:
        if key != "SystemCallFilter" or not value:
            continue
        deny = value.startswith("~")
        names = set().union(*(expand(n) for n in value.lstrip("~").split()))
        if allow_list is None:
            allow_list = not deny
        if deny:
            allowed -= names
        else:
            allowed |= names
    if not allow_list:
        sys.exit("confine.py: the unit has no SystemCallFilter= allow list")
    error = dict(settings).get("SystemCallErrorNumber", "EPERM")
    families = dict(settings).get("RestrictAddressFamilies", "").split()

    if dict(settings).get("CapabilityBoundingSet", None) == "":
        libc = ctypes.CDLL(None, use_errno=True)
        for cap in range(0, 64):
            if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == errno.EINVAL:
                break
    if user:
        account = pwd.getpwnam(user)
        os.setgroups([])
        os.setgid(account.pw_gid)
        os.setuid(account.pw_uid)
    libc = ctypes.CDLL(None, use_errno=True)
    if dict(settings).get("NoNewPrivileges") in ("yes", "true"):
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            sys.exit("confine.py: PR_SET_NO_NEW_PRIVS failed")
    if dict(settings).get("MemoryDenyWriteExecute") in ("yes", "true"):
        if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
            sys.exit("confine.py: PR_SET_MDWE failed (Linux 6.3 or later)")

    rules = seccomp.SyscallFilter(defaction=seccomp.ERRNO(getattr(errno, error)))
    for name in sorted(allowed):
        if name == "socket" and families:
            continue
        try:
            rules.add_rule(seccomp.ALLOW, name)
        except (RuntimeError, ValueError):
            pass  # not a system call of this architecture
    for family in families:
        rules.add_rule(seccomp.ALLOW, "socket", seccomp.Arg(0, seccomp.EQ, int(getattr(socket, family))))
    rules.load()
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
