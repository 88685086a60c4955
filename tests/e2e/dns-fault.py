#!/usr/bin/env python3
"""A name server that answers every query badly, for the tests of what a
resolver does with bad input. Stdlib only.

  dns-fault.py ADDR PORT MODE

Listens on ADDR:PORT over UDP and TCP (RFC 1035 4.2.2: each message behind a
two-byte length) and answers every query by MODE:

  servfail   RCODE 2 (SERVFAIL), the question echoed, nothing else
  nxdomain   RCODE 3 (NXDOMAIN), the question echoed, no SOA
  malformed  ANCOUNT says 1, but the answer's RDLENGTH runs past the end
  truncated  over UDP: the TC bit, no answers; over TCP: a length prefix
             larger than what follows, then the connection is closed
  silent     reads every query and never answers (TCP connections stay open)

Prints "ready" on stdout once both sockets listen; exits on SIGTERM.
"""
import selectors
import signal
import socket
import struct
import sys

MODES = ("servfail", "nxdomain", "malformed", "truncated", "silent")


def question(query):
    """The question section of QUERY (the first question), or b"" if garbled."""
    if len(query) < 12 or struct.unpack("!H", query[4:6])[0] == 0:
        return b""
    i = 12
    while i < len(query) and query[i] != 0:
        if query[i] & 0xC0:
            return b""
        i += 1 + query[i]
    end = i + 5  # the root label, QTYPE, QCLASS
    return query[12:end] if end <= len(query) else b""


def answer(query, mode, tcp):
    """The reply to QUERY, or None for no reply."""
    if mode == "silent" or len(query) < 12:
        return None
    qid, qflags = struct.unpack("!HH", query[:4])
    q = question(query)
    # QR, the query's opcode and RD, RA
    flags = 0x8000 | (qflags & 0x7900) | 0x0080
    ancount = 0
    body = q
    if mode == "servfail":
        flags |= 2
    elif mode == "nxdomain":
        flags |= 0x0400 | 3  # an authoritative denial, without the SOA
    elif mode == "malformed":
        qtype = struct.unpack("!H", q[-4:-2])[0] if q else 1
        # pointer to the question's name, QTYPE, IN, TTL 5, RDLENGTH 64, 2 bytes of data
        body = q + struct.pack("!HHHIH", 0xC00C, qtype, 1, 5, 64) + b"\x7f\x00"
        ancount = 1
    elif mode == "truncated" and not tcp:
        flags |= 0x0200
    header = struct.pack("!HHHHHH", qid, flags, 1 if q else 0, ancount, 0, 0)
    return header + body


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in MODES:
        print(__doc__)
        return 2
    addr, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((addr, port))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((addr, port))
    listener.listen(16)
    sel = selectors.DefaultSelector()
    sel.register(udp, selectors.EVENT_READ, "udp")
    sel.register(listener, selectors.EVENT_READ, "listener")
    buffers = {}  # TCP connection -> bytes received and not yet answered
    print("ready", flush=True)

    while True:
        for key, _ in sel.select():
            sock = key.fileobj
            if key.data == "udp":
                query, peer = udp.recvfrom(65535)
                reply = answer(query, mode, False)
                if reply is not None:
                    try:
                        udp.sendto(reply, peer)
                    except OSError:
                        pass
            elif key.data == "listener":
                conn, _ = listener.accept()
                buffers[conn] = b""
                sel.register(conn, selectors.EVENT_READ, "tcp")
            else:
                try:
                    data = sock.recv(65535)
                except OSError:
                    data = b""
                closed = not data
                buffers[sock] += data
                while not closed and len(buffers[sock]) >= 2:
                    length = struct.unpack("!H", buffers[sock][:2])[0]
                    if len(buffers[sock]) < 2 + length:
                        break
                    query, buffers[sock] = buffers[sock][2:2 + length], buffers[sock][2 + length:]
                    reply = answer(query, mode, True)
                    if reply is None:
                        continue
                    # truncated: promise 100 bytes more than are sent, then hang up
                    extra = 100 if mode == "truncated" else 0
                    try:
                        sock.sendall(struct.pack("!H", len(reply) + extra) + reply)
                    except OSError:
                        closed = True
                    closed = closed or mode == "truncated"
                if closed:
                    sel.unregister(sock)
                    del buffers[sock]
                    sock.close()


if __name__ == "__main__":
    sys.exit(main())
