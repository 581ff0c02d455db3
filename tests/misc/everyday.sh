#!/bin/bash
# SPDX-License-Identifier: MIT
# Everyday use (issue 13): hv doctor on this host, the completion scripts
# of bash, zsh and fish, the man pages, and make install into a DESTDIR
# whose hv boots the default guest from where it was installed.
. "$(dirname "$0")/../vm/lib.bash"
T=$(mktemp -d)
trap 'cleanup; rm -rf "$T"' EXIT

# --- hv doctor
"$HV" doctor --json >"$T/doctor.json"
check "hv doctor exits 0: hv can run VMs here" test $? -eq 0
field() { python3 -c "import json,sys; d=json.load(open('$T/doctor.json')); print($1)"; }
check "hv doctor --json parses" python3 -c "import json; json.load(open('$T/doctor.json'))"
expect_eq "it says hv uses TCG" "$(field "d['accel']")" "tcg"
expect_match "and why: kvm_pvm or no VMX/SVM" "$(field "d['accel_reason']")" "kvm_pvm|vmx or svm"
expect_match "it names the expected cost" "$(field "[c['value'] for c in d['checks'] if c['name']=='accel'][0]")" \
	"10-50x slower"
expect_match "it finds QEMU and its version" "$(field "[c['value'] for c in d['checks'] if c['name']=='qemu'][0]")" \
	"QEMU emulator version [0-9]"
expect_match "it tells the cgroup layout" "$(field "[c['value'] for c in d['checks'] if c['name']=='cgroup'][0]")" \
	"^(v1|v2|hybrid)"
expect_eq "every warning comes with a one-line fix" \
	"$(field "sum(1 for c in d['checks'] if c['level'] in ('warn','fatal') and not c['fix'])")" "0"
out=$(HV_QEMU=/nonexistent/qemu "$HV" doctor)
check "without QEMU hv doctor exits non-zero" test $? -ne 0
expect_match "and says what to install" "$out" "fix: apt-get install qemu-system-x86"

# --- completion: a defined VM (never booted) and a network to complete
"$HV" create alpha-vm --disk 16M >/dev/null
"$HV" create beta-vm --disk 16M >/dev/null
"$HV" net create labnet --mode internal >/dev/null
"$HV" completion bash >"$T/hv.bash"
complete_bash() { # WORDS...: the candidates bash offers for the last word
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _hv; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$T/hv.bash" "$@" | sort | tr '\n' ' '
}
check "the bash script loads and registers _hv for hv" \
	bash -c ". '$T/hv.bash' && complete -p hv | grep -q -- '-F _hv'"
expect_eq "bash completes a VM name" "$(complete_bash "$HV" start al)" "alpha-vm "
expect_eq "bash completes every VM" "$(complete_bash "$HV" info "")" "alpha-vm beta-vm "
expect_eq "bash completes commands" "$(complete_bash "$HV" sn)" "snapshot "
expect_eq "bash completes subcommands" "$(complete_bash "$HV" net de)" "delete "
expect_eq "bash completes a network" "$(complete_bash "$HV" net info l)" "labnet "
expect_eq "bash completes options" "$(complete_bash "$HV" stop --f)" "--force "
expect_eq "bash completes an option's values" "$(complete_bash "$HV" create x --machine "")" "microvm q35 "
expect_match "bash completes file names for --disk" "$(cd "$T" && complete_bash "$HV" create x --disk hv.ba)" \
	"hv.bash"
"$HV" snapshot create alpha-vm before-upgrade >/dev/null
expect_eq "bash completes a snapshot of the VM named before" "$(complete_bash "$HV" snapshot revert alpha-vm "")" \
	"before-upgrade "
expect_eq "and hv clone's --snapshot value" "$(complete_bash "$HV" clone alpha-vm --snapshot b)" "before-upgrade "
check "the zsh script parses (zsh -n)" bash -c "'$HV' completion zsh | zsh -n"
check "the fish script parses (fish -n)" bash -c "'$HV' completion fish | fish -n"
expect_match "fish offers VM names through it" \
	"$(fish -c "source ($HV completion fish | psub); complete -C '$HV start al'" 2>&1)" "alpha-vm"
"$HV" net delete labnet >/dev/null

# --- man pages
check "make built hv.1 and a page per command group" test -s build/man/hv.1 -a -s build/man/hv-net.1 \
	-a -s build/man/hv-ctr.1
for p in build/man/*.1; do
	w=$(MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null)
	expect_eq "man renders $(basename "$p") without warnings" "$w" ""
done
expect_match "hv.1 documents hv create's options" "$(MANWIDTH=80 man -l build/man/hv.1 2>/dev/null)" \
	"--cloud-init FILE"

# --- make install DESTDIR
D=$T/dest
make --no-print-directory install DESTDIR="$D" PREFIX=/usr >"$T/install.log" 2>&1
check "make install DESTDIR=... PREFIX=/usr succeeds" test $? -eq 0
for f in bin/hv share/man/man1/hv.1 share/man/man1/hv-net.1 share/bash-completion/completions/hv \
	share/zsh/site-functions/_hv share/fish/vendor_completions.d/hv.fish lib/hv/guest/vmlinux \
	lib/hv/guest/initramfs.cpio share/hv/web/index.html; do
	check "installed $f" test -s "$D/usr/$f"
done
expect_eq "bin/hv-runc is a link to hv" "$(readlink "$D/usr/bin/hv-runc")" "hv"
expect_match "the installed hv-runc speaks runc" "$("$D/usr/bin/hv-runc" --version)" "^hv-runc version"
expect_match "the installed hv finds its guest under PREFIX/lib/hv" "$("$D/usr/bin/hv" doctor)" \
	"default guest in $D/usr/bin/../lib/hv/guest"
out=$(timeout 300 "$D/usr/bin/hv" run -- true 2>&1)
check "the installed hv runs 'hv run -- true' from there" test $? -eq 0 || echo "$out" | tail -5
make --no-print-directory uninstall DESTDIR="$D" PREFIX=/usr >>"$T/install.log" 2>&1
expect_eq "make uninstall leaves no file behind" "$(find "$D" -type f -o -type l | wc -l)" "0"
done_testing
