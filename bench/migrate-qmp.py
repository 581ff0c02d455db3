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


def main():
    vmdir, work = sys.argv[1], sys.argv[2]
    paused = "--paused" in sys.argv[3:]
    args = json.load(open(os.path.join(vmdir, "qemu.args")))
    t0 = time.monotonic()
    qmp_a, qmp_b = socket.socketpair()
    ch_a, ch_b = socket.socketpair()
    os.makedirs(work, exist_ok=True)

    def fds():
        # through fds above 4 first: either end may itself be 3 or 4
        os.dup2(qmp_b.fileno(), 100)
        os.dup2(ch_b.fileno(), 101)
        os.dup2(100, 3)
        os.dup2(101, 4)

    # pass_fds keeps 3 and 4 open: Popen closes the others after preexec_fn
    dest = subprocess.Popen(args + ["-incoming", "defer"], cwd=work, preexec_fn=fds, pass_fds=(3, 4),
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
