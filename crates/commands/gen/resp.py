"""The small RESP2 client the generators use to ask a running Redis."""


def send(sock, *args):
    """Sends one command (string arguments) as a multibulk request."""
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(out)


def parse(f):
    """Reads one reply from the socket file `f` (strings decoded)."""
    line = f.readline()
    t, rest = line[:1], line[1:-2]
    if t in (b"+", b"-"):
        return rest.decode()
    if t == b":":
        return int(rest)
    if t == b"$":
        n = int(rest)
        if n < 0:
            return None
        return f.read(n + 2)[:-2].decode()
    if t == b"*":
        n = int(rest)
        return [parse(f) for _ in range(n)]
    raise ValueError(line)


def call(sock, *args):
    """Sends one command and reads its reply."""
    send(sock, *args)
    return parse(sock.makefile("rb"))
