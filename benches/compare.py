#!/usr/bin/env python3
"""Side-by-side comparison of Ferrite and redis-server with redis-benchmark.

Method (../shared/benchmarking.md): both servers pinned to core 0, the load
generator pinned to core 1, runs alternated (Ferrite, Redis, Ferrite, ...),
several rounds; for every run the server's CPU time is read from
/proc/<pid>/task/*/schedstat before and after, giving server CPU nanoseconds
per request. Reported: medians over rounds, and the median of per-round ratios
Redis ns/op / Ferrite ns/op (higher is better for Ferrite).

Usage: benches/compare.py [--rounds 3] [--tests ping,set,get,incr,mset,lpush,...]
                          [--pipelines 1,16] [--ferrite target/release/ferrite-server]
                          [--aof always|everysec|no]
Writes a markdown table to stdout and raw rows to benches/results/<date>.csv.
"""
import argparse
import csv
import datetime
import glob
import os
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cpu_ns(pid):
    total = 0
    for f in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(f) as fh:
                total += int(fh.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def wait_port(port, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on {port} did not come up")


def start(kind, port, ferrite_bin, aof=None):
    if kind == "ferrite":
        cmd = [ferrite_bin, "--port", str(port), "--bind", "127.0.0.1", "--shards", "1"]
    else:
        cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no"]
    if aof:
        # Both with an AOF in a fresh directory, under the same fsync policy.
        import tempfile
        cmd += ["--appendonly", "yes", "--appendfsync", aof,
                "--dir", tempfile.mkdtemp(prefix=f"bench-aof-{kind}-")]
    proc = subprocess.Popen(["taskset", "-c", "0"] + cmd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_port(port)
    return proc


INCR_SCRIPT = "return redis.call('incr',KEYS[1])"
INCR_SHA = __import__("hashlib").sha1(INCR_SCRIPT.encode()).hexdigest()

# Tests redis-benchmark would mix with a fill it measures too (LRANGE_* runs
# an LPUSH of as many requests first; LPOP/RPOP on an empty list measure a
# miss), or does not have (ZRANGEBYSCORE): these run as a custom command
# after an unmeasured fill instead. name -> (command, fill).
CUSTOM = {
    "lrange_100": (["LRANGE", "mylist", "0", "99"], "list600"),
    "lrange_300": (["LRANGE", "mylist", "0", "299"], "list600"),
    "lrange_600": (["LRANGE", "mylist", "0", "599"], "list600"),
    # 10 of 1000 members (a skiplist), with their scores.
    "zrangebyscore_10": (["ZRANGEBYSCORE", "zbench", "500", "(510", "WITHSCORES"], "zset1000"),
    "publish_1": (["PUBLISH", "ch", "x" * 16], "none"),
    # The script benchmark: one INCR through Lua.
    "eval_incr": (["EVAL", INCR_SCRIPT, "1", "k"], "none"),
    "evalsha_incr": (["EVALSHA", INCR_SHA, "1", "k"], "script_incr"),
    "publish_100": (["PUBLISH", "ch", "x" * 16], "none"),
}
# Workloads redis-benchmark cannot express, run by benches/load.rs (built
# with `cargo build --release -p ferrite-benches --bin load`): name -> its
# arguments. `-P` is the number of transactions per batch; a request is one
# transaction (MULTI, 10 SETs of random keys, EXEC).
LOAD = {
    "txn10": ["tx", "--sets", "10"],
}
# PUBLISH fan-out: name -> number of subscribers (connections of
# `load subscribers`, pinned with the load generator, reading everything)
# held on channel `ch` during the measured PUBLISH ch <16 bytes> run.
SUBSCRIBERS = {"publish_1": 1, "publish_100": 100}
# Unmeasured fills: the redis-benchmark test run before the measured one.
FILL = {"lpop": "lpush", "rpop": "rpush", "spop": "sadd", "zpopmin": "zadd"}


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def send_all(port, payload, replies):
    """Sends `payload` and waits for `replies` single-line replies."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(payload)
        got, buf = 0, b""
        while got < replies:
            buf += s.recv(65536)
            got = buf.count(b"\r\n")


def fill(port, kind):
    """The unmeasured data a custom test reads."""
    if kind == "list600":
        # DEL mylist, then LPUSH 600 elements of 16 bytes, as redis-benchmark's fill does.
        cmds = [resp("DEL", "mylist")] + [resp("LPUSH", "mylist", b"x" * 16) for _ in range(600)]
    elif kind == "zset1000":
        cmds = [resp("DEL", "zbench")] + [
            resp("ZADD", "zbench", f"{i}.5", f"member:{i:06}") for i in range(1000)]
    elif kind == "script_incr":
        cmds = [resp("SCRIPT", "LOAD", INCR_SCRIPT)]
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(cmds[0])
            buf = b""
            while buf.count(b"\r\n") < 2:
                buf += s.recv(65536)
        return
    elif kind == "none":
        return
    else:
        raise ValueError(kind)
    send_all(port, b"".join(cmds), len(cmds))


def bench(port, test, pipeline, requests, clients, extra):
    if test in LOAD:
        cmd = ["taskset", "-c", "1", os.path.join(ROOT, "target/release/load")] + LOAD[test] + [
            "--port", str(port), "--clients", str(clients), "--transactions", str(requests),
            "--pipeline", str(pipeline)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        rps, p99 = out.strip().splitlines()[-1].split(",")
        return float(rps), float(p99)
    base = ["taskset", "-c", "1", "redis-benchmark", "-p", str(port), "-c", str(clients),
            "-n", str(requests), "-r", extra.get("r", "100000"), "-d", extra.get("d", "16"),
            "-P", str(pipeline),
            "--csv"]
    cmd = base + (CUSTOM[test][0] if test in CUSTOM else ["-t", test])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = list(csv.reader(out.strip().splitlines()))
    header, vals = rows[0], rows[-1]
    d = dict(zip(header, vals))
    return float(d["rps"]), float(d["p99_latency_ms"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tests", default="ping_mbulk,set,get,incr,mset")
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=0, help="0: 200k at -P 1, 2M at -P 16")
    ap.add_argument("--ferrite", default=os.path.join(ROOT, "target/release/ferrite-server"))
    ap.add_argument("--aof", choices=["always", "everysec", "no"], default=None,
                    help="run both servers with appendonly yes and this appendfsync")
    args = ap.parse_args()

    ports = {"ferrite": 16379, "redis": 16380}
    procs = {k: start(k, p, args.ferrite, args.aof) for k, p in ports.items()}
    results = []  # (test, P, kind, round, ns_per_op, rps, p99)
    try:
        for test in args.tests.split(","):
            for p in [int(x) for x in args.pipelines.split(",")]:
                n = args.requests or (200_000 if p == 1 else 2_000_000)
                for r in range(args.rounds):
                    for kind in ("ferrite", "redis"):
                        pid = procs[kind].pid
                        if test in CUSTOM:
                            fill(ports[kind], CUSTOM[test][1])
                        if test in FILL:
                            # Distinct members, so that every measured pop finds one.
                            bench(ports[kind], FILL[test], p, n, args.clients, {"r": "100000000"})
                        subs = None
                        if test in SUBSCRIBERS:
                            subs = subprocess.Popen(
                                ["taskset", "-c", "1", os.path.join(ROOT, "target/release/load"),
                                 "subscribers", "--port", str(ports[kind]),
                                 "--count", str(SUBSCRIBERS[test]), "--channel", "ch"],
                                stdout=subprocess.PIPE, text=True)
                            subs.stdout.readline()  # "ready"
                        before = cpu_ns(pid)
                        rps, p99 = bench(ports[kind], test, p, n, args.clients, {})
                        used = cpu_ns(pid) - before
                        if subs is not None:
                            subs.terminate()
                            subs.wait()
                        # MSET sets 10 keys but counts as one request.
                        results.append((test, p, kind, r, used / n, rps, p99))
                        print(f"{test:10} P{p:<3} {kind:8} round {r}: {used / n:8.0f} ns/op "
                              f"{rps:11.0f} rps p99 {p99:.3f} ms", file=sys.stderr)
    finally:
        for pr in procs.values():
            pr.terminate()
            pr.wait()

    os.makedirs(os.path.join(ROOT, "benches/results"), exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M")
    with open(os.path.join(ROOT, f"benches/results/{stamp}.csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["test", "pipeline", "server", "round", "cpu_ns_per_op", "rps", "p99_ms"])
        w.writerows(results)

    print("| workload | P | Ferrite ns/op | Redis ns/op | CPU ratio (Redis/Ferrite) | "
          "Ferrite rps | Redis rps | Ferrite p99 ms | Redis p99 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for test in args.tests.split(","):
        for p in [int(x) for x in args.pipelines.split(",")]:
            rows = [x for x in results if x[0] == test and x[1] == p]
            f = {x[3]: x for x in rows if x[2] == "ferrite"}
            rd = {x[3]: x for x in rows if x[2] == "redis"}
            ratios = [rd[i][4] / f[i][4] for i in f if i in rd and f[i][4] > 0]
            med = lambda xs, k: statistics.median(x[k] for x in xs.values())
            print(f"| {test} | {p} | {med(f, 4):.0f} | {med(rd, 4):.0f} | "
                  f"**{statistics.median(ratios):.2f}x** | {med(f, 5):.0f} | {med(rd, 5):.0f} | "
                  f"{med(f, 6):.3f} | {med(rd, 6):.3f} |")


if __name__ == "__main__":
    main()
