#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Is a guest's oops after a live move hv's doing?  The dirtying default
guest moved between two bare QEMU processes (no hv in the path): the
source with an hv VM's own qemu.args, its disk replaced by DISK (a
qcow2 whose first DIRTY_SIZE bytes are tests/migrate/dirty.c's static
binary, copied into the guest with head -c), driven on its serial
console; the destination the same argv plus -incoming defer.  Prints the
migration's figures, the workload's counter and invariant at the
destination, and OOPS or NO-OOPS from its console.log (docs/migration.md).
Variants: pause=1 (stop the source before migrate), S=1 (destination
-S, cont after), accel=tcg,thread=single, cpu=MODEL, extra="ARGS".
usage: migrate-plain-check.py QEMU_ARGS DISK DIRTY_SIZE WORKDIR [VARIANT...]"""
import json, os, socket, subprocess, sys, time, select
ARGS, DISK, W = sys.argv[1], sys.argv[2], sys.argv[4]
os.environ["DSIZE"] = sys.argv[3]
variant = dict(a.split("=", 1) for a in sys.argv[5:])
args = json.load(open(ARGS))
for i, a in enumerate(args):
    if a.startswith("if=none,id=disk0"):
        args[i] = f"if=none,id=disk0,file={DISK},format=qcow2,cache=writeback,discard=unmap"
extra = variant.get("extra", "").split()
if "cpu" in variant: extra += ["-cpu", variant["cpu"]]
if "accel" in variant:
    j = args.index("-accel"); args[j+1] = variant["accel"]
args = args + extra

class QMP:
    def __init__(s, sock):
        s.s = sock; s.f = sock.makefile("rb"); s.ev = []
        s.read(); s.cmd("qmp_capabilities")
    def read(s):
        l = s.f.readline()
        if not l: raise EOFError
        return json.loads(l)
    def cmd(s, name, **a):
        m = {"execute": name}
        if a: m["arguments"] = a
        s.s.sendall(json.dumps(m).encode() + b"\n")
        while True:
            m = s.read()
            if "event" in m: s.ev.append(m); continue
            if "error" in m: raise RuntimeError(f"{name}: {m['error']}")
            return m["return"]
    def event(s, name, pred):
        while True:
            for i, m in enumerate(s.ev):
                if m["event"] == name and pred(m): return s.ev.pop(i)
            s.ev.append(s.read())

def spawn(d, more):
    os.makedirs(d, exist_ok=True)
    qa, qb = socket.socketpair(); ca, cb = socket.socketpair()
    def fds():
        a = os.dup(qb.fileno()) + 0; b = os.dup(cb.fileno())
        a2 = os.fcntl if False else None
        x = os.dup2(a, 100); y = os.dup2(b, 101)
        os.dup2(100, 3); os.dup2(101, 4)
    p = subprocess.Popen(args + more, cwd=d, preexec_fn=fds, pass_fds=(3, 4), stdout=subprocess.DEVNULL,
                         stderr=open(d + "/qemu.log", "w"))
    qb.close(); cb.close()
    return p, QMP(qa), ca

class Console:
    def __init__(s, d):
        for _ in range(100):
            try:
                s.s = socket.socket(socket.AF_UNIX); s.s.connect(d + "/console.sock"); break
            except OSError: time.sleep(0.1)
        s.buf = b""
    def until(s, pat, t=60):
        end = time.time() + t
        while pat.encode() not in s.buf:
            if time.time() > end: raise TimeoutError(pat + " / " + s.buf[-300:].decode(errors="replace"))
            r, _, _ = select.select([s.s], [], [], 0.5)
            if r: s.buf += s.s.recv(65536)
        i = s.buf.index(pat.encode()) + len(pat); out = s.buf[:i]; s.buf = s.buf[i:]; return out.decode(errors="replace")
    def run(s, cmd, t=60):
        s.s.sendall(cmd.encode() + b"; echo @@DONE@@\n")
        s.until("@@DONE@@\r\n"); return s.until("@@DONE@@", t)

src_d, dst_d = W + "/src", W + "/dst"
procs = []
import atexit
def _reap():
    for p in procs:
        if p.poll() is None:
            p.kill(); p.wait()
atexit.register(_reap)
sp, sq, sch = spawn(src_d, []); procs.append(sp)
con = Console(src_d)
con.s.sendall(b"\n")
con.until(":~#", 90)
size = int(os.environ.get("DSIZE", "0"))
print(con.run(f"head -c {size} /dev/vda > /root/dirty; chmod +x /root/dirty; mkdir -p /run/t; mount -t tmpfs t /run/t;"
              " setsid /root/dirty 128 /run/t/check /run/t/count </dev/null >/dev/null 2>&1 & sleep 3; cat /run/t/count"))
paused = variant.get("S") == "1"
dp, dq, dch = spawn(dst_d, ["-incoming", "defer"] + (["-S"] if paused else [])); procs.append(dp)
t0 = time.time()
caps = [{"capability": "events", "state": True}]
if variant.get("hvcaps") == "1":
    caps += [{"capability": "auto-converge", "state": False}, {"capability": "postcopy-ram", "state": False}]
dq.cmd("migrate-set-capabilities", capabilities=caps)
dq.cmd("migrate-incoming", uri="tcp:127.0.0.1:0")
port = dq.cmd("query-migrate")["socket-address"][0]["port"]
sq.cmd("migrate-set-capabilities", capabilities=caps)
sq.cmd("migrate-set-parameters", **{"max-bandwidth": int(variant.get("bw", 2**63 - 1)),
                                    "downtime-limit": int(variant.get("dl", 300))})
if variant.get("pause") == "1":
    sq.cmd("stop"); paused = True
sq.cmd("migrate", uri=f"tcp:127.0.0.1:{port}")
sq.event("MIGRATION", lambda m: m["data"]["status"] in ("completed", "failed", "cancelled"))
info = sq.cmd("query-migrate")
print("source:", info["status"], "total", info.get("total-time"), "downtime", info.get("downtime"),
      "passes", info.get("ram", {}).get("dirty-sync-count"), "MB", info.get("ram", {}).get("transferred", 0) >> 20)
if paused:
    while dq.cmd("query-status")["status"] not in ("paused", "running"): time.sleep(0.01)
    dq.cmd("cont")
while dq.cmd("query-status")["status"] != "running": time.sleep(0.01)
sq.cmd("quit"); sp.wait()
dcon = Console(dst_d)
time.sleep(8)
res = "?"
try:
    c1 = dcon.run("cat /run/t/count", 30); time.sleep(2); c2 = dcon.run("cat /run/t/count", 30)
    chk = dcon.run("rm -f /run/t/check; kill -USR1 $(pidof dirty); sleep 1; cat /run/t/check", 30)
    res = f"count {c1.strip()} -> {c2.strip()}; check {chk.strip()}"
except Exception as e:
    res = f"console: {e}"
log = open(dst_d + "/console.log", "rb").read().decode(errors="replace")
oops = [l for l in log.splitlines() if any(k in l for k in ("BUG", "Oops", "panic", "NX-protected"))]
print("dest:", res)
print("OOPS" if oops else "NO-OOPS", oops[:3])
try: dq.cmd("quit")
except Exception: pass
try: dp.wait(10)
except Exception: pass
