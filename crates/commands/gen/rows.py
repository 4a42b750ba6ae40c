#!/usr/bin/env python3
"""Prints command-table rows for Ferrite from a running Redis 7.0's COMMAND INFO.

The facts (arity, flags, key positions, ACL categories, tips) come from asking
the oracle; summaries are written by us. Usage:
    gen/rows.py PORT GROUP EXEC_KIND name [name ...]
SUBS=a,b,c in the environment keeps only those subcommands.
EXEC_KIND is `keyed` (handler cmd_<name>) or `runtime` (RuntimeCmd::<Name>).
"""
import os
import socket
import sys

from resp import call as resp


FLAG = {
    "write": "WRITE", "readonly": "READONLY", "denyoom": "DENYOOM", "admin": "ADMIN",
    "pubsub": "PUBSUB", "noscript": "NOSCRIPT", "blocking": "BLOCKING", "loading": "LOADING",
    "stale": "STALE", "skip_monitor": "SKIP_MONITOR", "skip_slowlog": "SKIP_SLOWLOG",
    "fast": "FAST", "no_auth": "NO_AUTH", "may_replicate": "MAY_REPLICATE",
    "no_mandatory_keys": "NO_MANDATORY_KEYS", "no_async_loading": "NO_ASYNC_LOADING",
    "no_multi": "NO_MULTI", "allow_busy": "ALLOW_BUSY",
}


def camel(name):
    return "".join(p.capitalize() for p in name.replace("-", "_").split("_"))


def row(info, group, kind, indent="    "):
    name, arity, flags, first, last, step, acl, tips = info[:8]
    subs = info[9] if len(info) > 9 else []
    fl = ["Flags::" + FLAG[f] for f in flags]
    fl = (fl[0] + "".join(".union(%s)" % f for f in fl[1:])) if fl else "Flags::empty()"
    short = name.split("|")[-1]
    if subs:
        exe = "Exec::Container"
    elif kind == "keyed":
        exe = "Exec::Keyed(cmd_%s)" % name.replace("|", "_").replace("-", "_")
    else:
        exe = "Exec::Runtime(RuntimeCmd::%s)" % camel(name.split("|")[0])
    s = '%sCommandSpec::new("%s", %d, Group::%s, %s)\n' % (indent, name, arity, group, exe)
    s += "%s    .flags(%s)\n" % (indent, fl)
    if first:
        s += "%s    .keys(%d, %d, %d)\n" % (indent, first, last, step)
    s += "%s    .acl(&[%s])\n" % (indent, ", ".join('"%s"' % a for a in acl))
    if tips:
        s += "%s    .tips(&[%s])\n" % (indent, ", ".join('"%s"' % t for t in tips))
    if subs:
        s += "%s    .subs(&[\n" % indent
        only = os.environ.get("SUBS")
        for sub in subs:
            if only and sub[0].split("|")[1] not in only.split(","):
                continue
            s += row(sub, group, kind, indent + "        ") + ",\n"
        s += "%s    ])" % indent
    return s.rstrip("\n")


def main():
    port, group, kind, names = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
    sock = socket.create_connection(("127.0.0.1", port))
    for n in names:
        info = resp(sock, "COMMAND", "INFO", n)[0]
        if info is None:
            print("// %s: unknown to the oracle" % n)
            continue
        print(row(info, group, kind) + ",")


main()
