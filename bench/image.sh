#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/image.sh - from a Debian image to "SSH answers", hv against the
# plain QEMU workflow a user would script by hand.
#
#   hv (kernel)    `hv create --image IMG` (the image's own kernel loaded
#                  directly: no firmware, no GRUB) + `hv start --wait`,
#                  which returns once cloud-init has finished and the
#                  guest's sshd sends its banner.
#   hv (firmware)  the same with --boot firmware (SeaBIOS, GRUB).
#   plain QEMU     `qemu-img create` of an overlay, `cloud-localds` of a
#                  seed with the same user and key (Debian cloud-image-utils),
#                  qemu-system-x86_64 q35 + SeaBIOS booting the disk with
#                  the seed as a CD-ROM and a slirp forward to port 22,
#                  polled every 0.5 s until sshd sends its banner.
#   virt-install --import is not compared: libvirt is not running here.
#
# All three boot the same image with the same CPU count, memory, NIC and
# accelerator (TCG on this host).  The hv rows are timed twice in the same
# run: to the end of `hv start --wait` (cloud-init finished and sshd
# answering, hv's definition of ready) and to sshd's first banner on the
# forwarded port, the event the plain row ends at.  Each figure is the median of RUNS runs (default 5) with min
# and max, wall clock from the first command to the banner.  Also timed
# once: `hv image build debian-12` with a warm package cache.
#
# Usage: bench/image.sh       (as root; run `make` first)
# Environment: RUNS (default 5), IMAGE (reuse an image already in HV_HOME).
set -u
export LC_ALL=C
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
HV=$ROOT/build/hv
RUNS=${RUNS:-5}
TIMEOUT=600
export HV_HOME=${HV_HOME:-$(mktemp -d /tmp/hv-bench-image.XXXXXX)}
T=$(mktemp -d /tmp/hv-bench-image-work.XXXXXX)
QPID=
cleanup() {
	[ -n "$QPID" ] && kill "$QPID" 2>/dev/null
	for vm in $("$HV" list --json 2>/dev/null | python3 -c 'import json,sys; [print(v["name"]) for v in json.load(sys.stdin)]' 2>/dev/null); do
		"$HV" delete --force "$vm" >/dev/null 2>&1
	done
	rm -rf "$T"
}
trap cleanup EXIT
now() { echo "${EPOCHREALTIME/./}"; }
ms() { echo $((($2 - $1) / 1000)); }
stats() { python3 -c 'import statistics,sys; v=[int(x) for x in sys.argv[1:]]; print("%d %d %d" % (statistics.median(v), min(v), max(v)))' "$@"; }
banner() { # banner PORT: does sshd answer on 127.0.0.1:PORT?
	python3 - "$1" <<'PY'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
    s.settimeout(2)
    sys.exit(0 if s.recv(4) == b"SSH-" else 1)
except Exception:
    sys.exit(1)
PY
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

ssh-keygen -q -t ed25519 -N '' -f "$T/key"
IMG=${IMAGE:-bench-deb}
if ! "$HV" image info "$IMG" >/dev/null 2>&1; then
	t0=$(now)
	"$HV" image build debian-12 --name "$IMG" >/dev/null || { echo "image build failed" >&2; exit 1; }
	echo "hv image build debian-12 (warm package cache): $(ms "$t0" "$(now)") ms"
fi
DISK=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["disk"])' < <("$HV" image info "$IMG" --json))

declare -a hvk hvf hvkb hvfb plain
for ((i = 0; i < RUNS; i++)); do
	for mode in kernel firmware; do
		vm=bi$i$mode
		t0=$(now)
		"$HV" create "$vm" --image "$IMG" --ssh-key "$T/key.pub" --memory 1G --boot "$mode" >/dev/null || exit 1
		"$HV" start "$vm" --wait --timeout $TIMEOUT >/dev/null &
		wpid=$!
		# the same event as the plain row: sshd's first banner on the forwarded port
		tb=""
		while kill -0 "$wpid" 2>/dev/null; do
			port=$(python3 -c "import json; print(json.load(open('$HV_HOME/vms/$vm/ssh.json'))['port'])" 2>/dev/null)
			if [ -n "$port" ] && banner "$port"; then tb=$(ms "$t0" "$(now)"); break; fi
			sleep 0.5
		done
		wait "$wpid" || { echo "hv $mode run $i failed" >&2; exit 1; }
		t=$(ms "$t0" "$(now)")
		[ -n "$tb" ] || tb=$t
		if [ $mode = kernel ]; then hvk+=("$t"); hvkb+=("$tb"); else hvf+=("$t"); hvfb+=("$tb"); fi
		"$HV" delete --force "$vm" >/dev/null
	done
	# the plain workflow
	port=$(free_port)
	t0=$(now)
	qemu-img create -q -f qcow2 -b "$DISK" -F qcow2 "$T/ovl.qcow2"
	printf '#cloud-config\nusers:\n  - name: bench\n    sudo: ALL=(ALL) NOPASSWD:ALL\n    ssh_authorized_keys: ["%s"]\n' "$(cat "$T/key.pub")" >"$T/user-data"
	printf 'instance-id: bench-%s\nlocal-hostname: bench\n' "$i" >"$T/meta-data"
	cloud-localds "$T/seed.iso" "$T/user-data" "$T/meta-data"
	qemu-system-x86_64 -nodefaults -display none -machine q35,accel=tcg -m 1024 \
		-drive if=virtio,file="$T/ovl.qcow2",format=qcow2 -drive file="$T/seed.iso",format=raw,media=cdrom,readonly=on \
		-netdev user,id=n0,hostfwd=tcp:127.0.0.1:$port-:22 -device virtio-net-pci,netdev=n0 \
		-serial file:"$T/console.log" &
	QPID=$!
	until banner "$port"; do
		kill -0 "$QPID" 2>/dev/null || { echo "plain QEMU died" >&2; exit 1; }
		sleep 0.5
	done
	plain+=("$(ms "$t0" "$(now)")")
	kill "$QPID"; wait "$QPID" 2>/dev/null; QPID=
	rm -f "$T/ovl.qcow2" "$T/seed.iso"
done
read -r km kmin kmax < <(stats "${hvk[@]}")
read -r fm fmin fmax < <(stats "${hvf[@]}")
read -r kb kbmin kbmax < <(stats "${hvkb[@]}")
read -r fb fbmin fbmax < <(stats "${hvfb[@]}")
read -r pm pmin pmax < <(stats "${plain[@]}")
printf '%-46s %8s %8s %8s\n' "image -> (ms)" median min max
printf '%-46s %8d %8d %8d\n' "hv --image + start --wait (cloud-init done)" "$km" "$kmin" "$kmax"
printf '%-46s %8d %8d %8d\n' "  the same run, sshd's first banner" "$kb" "$kbmin" "$kbmax"
printf '%-46s %8d %8d %8d\n' "hv --boot firmware, --wait" "$fm" "$fmin" "$fmax"
printf '%-46s %8d %8d %8d\n' "  the same run, sshd's first banner" "$fb" "$fbmin" "$fbmax"
printf '%-46s %8d %8d %8d\n' "plain QEMU + cloud-localds, sshd's banner" "$pm" "$pmin" "$pmax"
python3 -c "print('ratio hv/plain at the first banner: %.2f (firmware %.2f); --wait/plain: %.2f (firmware %.2f)' % ($kb/$pm, $fb/$pm, $km/$pm, $fm/$pm))"
