#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Test helper.  Server: echo.py serve ADDR PORT [--once] [--tag TAG]
#   echoes every connection's bytes back, prefixed by TAG (default none);
#   with --tag "peer" it answers "PEER-IP:" + data (to show source NAT).
# Client: echo.py send ADDR PORT MESSAGE [TIMEOUT]: prints the reply.
import socket, sys, threading

def serve(addr, port, tag):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(16)
    print("listening", flush=True)
    while True:
        c, peer = s.accept()
        threading.Thread(target=handle, args=(c, peer, tag), daemon=True).start()

def handle(c, peer, tag):
    try:
        data = b""
        c.settimeout(10)
        while not data.endswith(b"\n"):
            d = c.recv(4096)
            if not d:
                break
            data += d
        prefix = (peer[0] + ":").encode() if tag == "peer" else b""
        c.sendall(prefix + data)
    finally:
        c.close()

def send(addr, port, msg, timeout=5):
    c = socket.create_connection((addr, int(port)), timeout=float(timeout))
    c.sendall(msg.encode() + b"\n")
    out = b""
    while True:
        d = c.recv(4096)
        if not d:
            break
        out += d
    sys.stdout.write(out.decode(errors="replace"))

if __name__ == "__main__":
    if sys.argv[1] == "serve":
        tag = sys.argv[sys.argv.index("--tag") + 1] if "--tag" in sys.argv else ""
        serve(sys.argv[2], sys.argv[3], tag)
    else:
        try:
            send(*sys.argv[2:])
        except OSError as e:
            print("error:", e, file=sys.stderr)
            sys.exit(1)
