#!/usr/bin/env python3
"""Memory of a dataset in Ferrite and in redis-server, side by side.

Each server starts empty (Ferrite with one shard), its RSS is read from
/proc/<pid>/status, the dataset is loaded over one pipelined connection,
and the RSS is read again; the growth is what the dataset costs, allocator
overhead included. Servers run one after the other, so they do not compete
for memory bandwidth.

Usage: benches/memory.py [--dataset zset1m|hash100k] [--ferrite target/release/ferrite-server]
"""
import argparse
import os
import socket
import subprocess
import sys
import time

from compare import resp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def dataset(name):
    """Yields the commands that build `name`, in batches."""
    if name == "zset1m":
        # One sorted set of 1M members, 14-byte names, fractional scores.
        for base in range(0, 1_000_000, 100):
            args = ["ZADD", "bigzset"]
            for i in range(base, base + 100):
                args += [f"{(i * 7919) % 1_000_003 / 8:.3f}", f"member:{i:07}"]
            yield resp(*args)
    elif name == "hash100k":
        # 100k hashes of 10 small fields (the listpack encoding).
        for i in range(100_000):
            args = ["HSET", f"hash:{i:06}"]
            for f in range(10):
                args += [f"field{f}", f"value{f}"]
            yield resp(*args)
    else:
        raise ValueError(name)


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def load(port, name):
    with socket.create_connection(("127.0.0.1", port)) as s:
        sent = 0
        batch = []
        for cmd in dataset(name):
            batch.append(cmd)
            if len(batch) == 100:
                s.sendall(b"".join(batch))
                sent += len(batch)
                batch = []
                drain(s, 100)
        if batch:
            s.sendall(b"".join(batch))
            drain(s, len(batch))
        s.sendall(resp("DBSIZE"))
        drain(s, 1)


def drain(s, replies):
    got, buf = 0, b""
    while got < replies:
        chunk = s.recv(65536)
        if not chunk:
            raise RuntimeError("server closed the connection")
        if b"-" in chunk[:1]:
            raise RuntimeError(chunk[:200])
        buf += chunk
        got = buf.count(b"\r\n")


def measure(kind, port, ferrite_bin, name):
    if kind == "ferrite":
        cmd = [ferrite_bin, "--port", str(port), "--bind", "127.0.0.1", "--shards", "1"]
    else:
        cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        before = rss_bytes(proc.pid)
        t0 = time.time()
        load(port, name)
        took = time.time() - t0
        time.sleep(0.5)
        after = rss_bytes(proc.pid)
        return before, after, took
    finally:
        proc.terminate()
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="zset1m")
    ap.add_argument("--ferrite", default=os.path.join(ROOT, "target/release/ferrite-server"))
    args = ap.parse_args()
    rows = {}
    for kind, port in (("ferrite", 16381), ("redis", 16382)):
        before, after, took = measure(kind, port, args.ferrite, args.dataset)
        rows[kind] = after - before
        print(f"{kind:8} RSS {before / 1e6:7.1f} MB -> {after / 1e6:7.1f} MB "
              f"(+{(after - before) / 1e6:.1f} MB, loaded in {took:.1f} s)", file=sys.stderr)
    print(f"| {args.dataset} | Ferrite +{rows['ferrite'] / 1e6:.1f} MB | "
          f"Redis +{rows['redis'] / 1e6:.1f} MB | ratio {rows['redis'] / rows['ferrite']:.2f} |")


if __name__ == "__main__":
    main()
