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
With --copy-storage the destination gets new disks in WORKDIR (the same
virtual size) exported over NBD; the source mirrors each into them
(blockdev-mirror, sync full) until READY, then RAM moves with
pause-before-switchover, and the mirrors are cancelled in sync at the
pre-switchover point (hv migrate --copy-storage's sequence).
usage: migrate-qmp.py VMDIR WORKDIR [--paused] [--copy-storage]"""
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


def new_disks(vmdir, work):
    """--copy-storage: an empty qcow2 in work for each disk of the VM's
    folder that the VM writes (qemu.fds' rdwr entries), the same size."""
    plan = json.load(open(os.path.join(vmdir, "qemu.fds")))["fds"]
    out = {}
    for e in plan:
        if e["kind"] != "rdwr" or "/" in e["path"] or not e["path"].startswith("disk"):
            continue
        src = os.path.join(vmdir, e["path"])
        size = json.loads(subprocess.check_output(["qemu-img", "info", "-U", "--output=json", src]))["virtual-size"]
        dst = os.path.join(work, e["path"])
        subprocess.check_call(["qemu-img", "create", "-q", "-f", "qcow2", dst, str(size)])
        out[e["path"]] = dst
    return out


def open_plan(vmdir, work, replaced=None):
    """The files of the VM's qemu.fds, opened for a plain QEMU: disks and
    kernel from the VM's folder (or replaced ones), sockets and logs in work."""
    try:
        plan = json.load(open(os.path.join(vmdir, "qemu.fds")))["fds"]
    except FileNotFoundError:
        return []
    out = []
    for e in plan:
        path = (replaced or {}).get(e["path"]) or os.path.join(vmdir, e["path"])
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


def mirror(s, d, drives):
    """NBD exports of the destination's new disks; a mirror of each source
    disk into them, until every job is READY."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    nbd_port = ls.getsockname()[1]
    ls.close()
    d.cmd("nbd-server-start", addr={"type": "inet", "data": {"host": "127.0.0.1", "port": str(nbd_port)}})
    nodes = {b["device"]: b["inserted"]["node-name"] for b in d.cmd("query-block") if "inserted" in b}
    for drv in drives:
        d.cmd("block-export-add", type="nbd", id=drv, name=drv, writable=True, **{"node-name": nodes[drv]})
    for drv in drives:
        s.cmd("blockdev-add", driver="nbd", export=drv, **{"node-name": "hvmig-" + drv},
              server={"type": "inet", "host": "127.0.0.1", "port": str(nbd_port)})
        s.cmd("blockdev-mirror", device=drv, target="hvmig-" + drv, sync="full", **{"job-id": "hvmig-" + drv})
    for drv in drives:
        s.event("BLOCK_JOB_READY", lambda m, drv=drv: m["data"]["device"] == "hvmig-" + drv)


def main():
    vmdir, work = sys.argv[1], sys.argv[2]
    paused = "--paused" in sys.argv[3:]
    copy = "--copy-storage" in sys.argv[3:]
    args = json.load(open(os.path.join(vmdir, "qemu.args")))
    t0 = time.monotonic()
    qmp_a, qmp_b = socket.socketpair()
    ch_a, ch_b = socket.socketpair()
    os.makedirs(work, exist_ok=True)

    # QEMU runs jailed under hv: its files come as fds (qemu.fds); the
    # plain QEMU gets the same files opened here (sockets and logs of its own)
    disks = new_disks(vmdir, work) if copy else {}
    passed = [(qmp_b.fileno(), 3), (ch_b.fileno(), 4)] + open_plan(vmdir, work, disks)

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
    caps = [{"capability": "events", "state": True}]
    if copy:
        caps.append({"capability": "pause-before-switchover", "state": True})
    s.cmd("migrate-set-capabilities", capabilities=caps)
    s.cmd("migrate-set-parameters", **{"max-bandwidth": 2**63 - 1})
    drives = sorted(os.path.splitext(k)[0] for k in disks)
    if copy:
        mirror(s, d, drives)
    if paused:
        s.cmd("stop")
    t_stop = time.monotonic()
    s.cmd("migrate", uri=f"tcp:127.0.0.1:{port}")
    end = ("completed", "failed", "cancelled") + (("pre-switchover",) if copy else ())
    s.event("MIGRATION", lambda m: m["data"]["status"] in end)
    if copy:
        # the copies end in sync while the source stands still
        for drv in drives:
            s.cmd("block-job-cancel", device="hvmig-" + drv)
            s.event("BLOCK_JOB_COMPLETED", lambda m, drv=drv: m["data"]["device"] == "hvmig-" + drv)
            s.cmd("blockdev-del", **{"node-name": "hvmig-" + drv})
        s.cmd("migrate-continue", state="pre-switchover")
        s.event("MIGRATION", lambda m: m["data"]["status"] in ("completed", "failed", "cancelled"))
    info = s.cmd("query-migrate")
    if info["status"] != "completed":
        raise RuntimeError(info)
    t_done = time.monotonic()
    if copy:
        for drv in drives:
            d.cmd("block-export-del", id=drv)
        d.cmd("nbd-server-stop")
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
