#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The plain row of bench/migrate.sh: the same live migration as hv
migrate, driven by a bare QMP script.  The source is a running hv VM's
QEMU (reached on its qmp.sock); the destination is a second QEMU with the
source's own command line (qemu.args) plus -incoming defer, its fds (QMP,
guest channel) given as socketpairs.  Prints one JSON line:
{"total_ms": ..., "downtime_ms": ...} where total runs from the
destination's spawn to the VM running there and the source quit.
With --paused the source is stopped before migrate and the destination
cont'ed after it (hv migrate's copy under TCG, docs/migration.md); the
downtime then runs from the stop.
usage: migrate-qmp.py VMDIR WORKDIR [--paused]"""
import json, os, socket, subprocess, sys, time


class QMP:
    def __init__(self, sock):
        self.s = sock
        self.f = sock.makefile("rb")
        self.events = []
        self.read()  # greeting
        self.cmd("qmp_capabilities")

    def read(self):
        line = self.f.readline()
        if not line:
            raise EOFError("QMP closed")
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.s.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            m = self.read()
            if "event" in m:
                self.events.append(m)
                continue
            if "error" in m:
                raise RuntimeError(f"{name}: {m['error']}")
            return m["return"]

    def event(self, name, pred=lambda m: True):
        while True:
            for i, m in enumerate(self.events):
                if m["event"] == name and pred(m):
                    return self.events.pop(i)
            self.events.append(self.read())


def open_plan(vmdir, work):
    """The files of the VM's qemu.fds, opened for a plain QEMU: disks and
    kernel from the VM's folder, sockets and logs in work."""
    try:
        plan = json.load(open(os.path.join(vmdir, "qemu.fds")))["fds"]
    except FileNotFoundError:
        return []
    out = []
    for e in plan:
        path = os.path.join(vmdir, e["path"])
        kind = e["kind"]
        if kind == "read":
            fd = os.open(path, os.O_RDONLY)
        elif kind == "rdwr":
            fd = os.open(path, os.O_RDWR)
        elif kind == "append":
            fd = os.open(os.path.join(work, os.path.basename(e["path"])), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        elif kind == "listen":
            sp = os.path.join(work, os.path.basename(e["path"]))
            if os.path.exists(sp):
                os.unlink(sp)
            ls = socket.socket(socket.AF_UNIX)
            ls.bind(sp)
            ls.listen(4)
            fd = os.dup(ls.fileno())
            ls.close()
        elif kind == "copy":
            cp = os.path.join(work, os.path.basename(e["path"]))
            with open(path, "rb") as a, open(cp, "wb") as b:
                b.write(a.read())
            fd = os.open(cp, os.O_RDONLY)
        else:
            raise RuntimeError(f"qemu.fds: unknown kind {kind}")
        out.append((fd, e["fd"]))
    return out


def main():
    vmdir, work = sys.argv[1], sys.argv[2]
    paused = "--paused" in sys.argv[3:]
    args = json.load(open(os.path.join(vmdir, "qemu.args")))
    t0 = time.monotonic()
    qmp_a, qmp_b = socket.socketpair()
    ch_a, ch_b = socket.socketpair()
    os.makedirs(work, exist_ok=True)

    # QEMU runs jailed under hv: its files come as fds (qemu.fds); the
    # plain QEMU gets the same files opened here (sockets and logs of its own)
    passed = [(qmp_b.fileno(), 3), (ch_b.fileno(), 4)] + open_plan(vmdir, work)

    def fds():
        # through fds above every target first: a source may be a target
        for i, (fd, _) in enumerate(passed):
            os.dup2(fd, 300 + i)
        for i, (_, target) in enumerate(passed):
            os.dup2(300 + i, target)
        for i in range(len(passed)):
            os.close(300 + i)

    # Python's own fds are close-on-exec; dup2's targets are not
    dest = subprocess.Popen(args + ["-incoming", "defer"], cwd=work, preexec_fn=fds, close_fds=False,
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "qemu.log"), "w"))
    qmp_b.close()
    ch_b.close()
    d = QMP(qmp_a)
    src_sock = socket.socket(socket.AF_UNIX)
    src_sock.connect(os.path.join(vmdir, "qmp.sock"))
    s = QMP(src_sock)
    d.cmd("migrate-incoming", uri="tcp:127.0.0.1:0")
    port = d.cmd("query-migrate")["socket-address"][0]["port"]
    s.cmd("migrate-set-capabilities", capabilities=[{"capability": "events", "state": True}])
    s.cmd("migrate-set-parameters", **{"max-bandwidth": 2**63 - 1})
    if paused:
        s.cmd("stop")
    t_stop = time.monotonic()
    s.cmd("migrate", uri=f"tcp:127.0.0.1:{port}")
    s.event("MIGRATION", lambda m: m["data"]["status"] in ("completed", "failed", "cancelled"))
    info = s.cmd("query-migrate")
    if info["status"] != "completed":
        raise RuntimeError(info)
    t_done = time.monotonic()
    # the destination, started without -S, runs once the state is in (a
    # paused source's state arrives paused: cont)
    while (st := d.cmd("query-status")["status"]) != "running":
        if paused and st == "paused":
            d.cmd("cont")
        time.sleep(0.001)
    t_run = time.monotonic()
    s.cmd("quit")
    total = (time.monotonic() - t0) * 1000
    down = (t_run - t_stop) * 1000 if paused else info.get("downtime", 0) + (t_run - t_done) * 1000
    print(json.dumps({"total_ms": round(total), "downtime_ms": round(down),
                      "qemu_downtime_ms": info.get("downtime")}))
    sys.stdout.flush()
    d.cmd("quit")
    dest.wait()


main()
