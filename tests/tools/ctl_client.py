#!/usr/bin/env python3
"""A raw client of simpuld's control socket (docs/PROTOCOL.md, "Control
protocol"), for the integration tests: what the CLI never does (many
connections held open, frames cut short, replies never read) and requests
it has no command for.

  ctl_client.py SOCK call CMD [ARGS_JSON]
      one request; prints each reply as a JSON line ({"status": .., ...fields})
  ctl_client.py SOCK hold N READY idle
  ctl_client.py SOCK hold N READY header LENGTH
  ctl_client.py SOCK hold N READY request CMD [ARGS_JSON]
      opens N connections that stay idle, or send a header declaring LENGTH
      and three bytes of it, or send one request and never read; writes
      READY once all are sent, then holds them until killed

Only the msgpack this protocol uses is encoded and decoded; the standard
library has no msgpack.
"""
import json
import socket
import struct
import sys
import time


def pack(v):
    if v is None:
        return b"\xc0"
    if v is True:
        return b"\xc3"
    if v is False:
        return b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 0x80:
            return bytes([v])
        if -32 <= v < 0:
            return struct.pack(">b", v)
        for lo, hi, tag, fmt in ((0, 0xFF, 0xCC, ">B"), (0, 0xFFFF, 0xCD, ">H"),
                                 (0, 0xFFFFFFFF, 0xCE, ">I"), (0, 2**64 - 1, 0xCF, ">Q"),
                                 (-0x80, -1, 0xD0, ">b"), (-0x8000, -1, 0xD1, ">h"),
                                 (-0x80000000, -1, 0xD2, ">i"), (-2**63, -1, 0xD3, ">q")):
            if lo <= v <= hi:
                return bytes([tag]) + struct.pack(fmt, v)
        raise ValueError("integer out of range")
    if isinstance(v, str):
        b = v.encode()
        if len(b) < 32:
            return bytes([0xA0 | len(b)]) + b
        if len(b) < 0x100:
            return b"\xd9" + bytes([len(b)]) + b
        return (b"\xda" + struct.pack(">H", len(b)) if len(b) < 0x10000
                else b"\xdb" + struct.pack(">I", len(b))) + b
    if isinstance(v, (bytes, bytearray)):
        if len(v) < 0x100:
            return b"\xc4" + bytes([len(v)]) + v
        return (b"\xc5" + struct.pack(">H", len(v)) if len(v) < 0x10000
                else b"\xc6" + struct.pack(">I", len(v))) + v
    if isinstance(v, list):
        head = bytes([0x90 | len(v)]) if len(v) < 16 else b"\xdc" + struct.pack(">H", len(v))
        return head + b"".join(pack(x) for x in v)
    if isinstance(v, dict):
        head = bytes([0x80 | len(v)]) if len(v) < 16 else b"\xde" + struct.pack(">H", len(v))
        return head + b"".join(pack(k) + pack(x) for k, x in sorted(v.items()))
    raise TypeError(type(v))


def unpack(b, i=0):
    """Returns (value, next index); binaries come back as hex strings."""
    t = b[i]
    if t < 0x80:
        return t, i + 1
    if t >= 0xE0:
        return t - 0x100, i + 1
    if 0xA0 <= t < 0xC0:
        n = t & 0x1F
        return b[i + 1:i + 1 + n].decode(), i + 1 + n
    if 0x90 <= t < 0xA0:
        return unpack_array(b, i + 1, t & 0x0F)
    if 0x80 <= t < 0x90:
        return unpack_map(b, i + 1, t & 0x0F)
    if t in (0xC0, 0xC2, 0xC3):
        return {0xC0: None, 0xC2: False, 0xC3: True}[t], i + 1
    sizes = {0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q",
             0xD0: ">b", 0xD1: ">h", 0xD2: ">i", 0xD3: ">q"}
    if t in sizes:
        n = struct.calcsize(sizes[t])
        return struct.unpack(sizes[t], b[i + 1:i + 1 + n])[0], i + 1 + n
    lens = {0xD9: (">B", "str"), 0xDA: (">H", "str"), 0xDB: (">I", "str"),
            0xC4: (">B", "bin"), 0xC5: (">H", "bin"), 0xC6: (">I", "bin"),
            0xDC: (">H", "array"), 0xDD: (">I", "array"),
            0xDE: (">H", "map"), 0xDF: (">I", "map")}
    if t not in lens:
        raise ValueError("msgpack type 0x%02x is not used by the control protocol" % t)
    fmt, kind = lens[t]
    w = struct.calcsize(fmt)
    n = struct.unpack(fmt, b[i + 1:i + 1 + w])[0]
    i += 1 + w
    if kind == "str":
        return b[i:i + n].decode(), i + n
    if kind == "bin":
        return b[i:i + n].hex(), i + n
    return (unpack_array if kind == "array" else unpack_map)(b, i, n)


def unpack_array(b, i, n):
    out = []
    for _ in range(n):
        v, i = unpack(b, i)
        out.append(v)
    return out, i


def unpack_map(b, i, n):
    out = {}
    for _ in range(n):
        k, i = unpack(b, i)
        out[k], i = unpack(b, i)
    return out, i


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


def request(cmd, args):
    return frame(pack([1, cmd, args]))


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def read_exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise EOFError("simpuld closed the connection")
        out += chunk
    return out


def call(path, cmd, args):
    s = connect(path)
    s.sendall(request(cmd, args))
    while True:
        (n,) = struct.unpack(">I", read_exact(s, 4))
        (version, status, fields), _ = unpack(read_exact(s, n))
        fields["status"] = status
        print(json.dumps(fields))
        if status != 1:
            return 0 if status == 0 else 1


def hold(path, n, ready, what, rest):
    conns = []
    for _ in range(n):
        s = connect(path)
        if what == "header":
            s.sendall(struct.pack(">I", int(rest[0])) + b"\x93\x01\xa4")
        elif what == "request":
            s.sendall(request(rest[0], json.loads(rest[1]) if len(rest) > 1 else {}))
        conns.append(s)
    with open(ready, "w") as f:
        f.write("%d\n" % len(conns))
    while True:
        time.sleep(3600)


def main(argv):
    path, mode = argv[1], argv[2]
    if mode == "call":
        return call(path, argv[3], json.loads(argv[4]) if len(argv) > 4 else {})
    if mode == "hold":
        return hold(path, int(argv[3]), argv[4], argv[5], argv[6:])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
