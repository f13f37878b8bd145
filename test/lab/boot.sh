#!/bin/bash
# Boots L1, the lab's nested guest, once: it runs guest/stage2.sh, which sets up
# an SR-IOV host with its own libvirt, runs install.sh and every scenario, writes
# the results to the out dir and powers off. lab.sh calls this after prepare.sh;
# it can also be run alone (results in the out dir, no summary).
#
# L1 (-machine q35, TCG): Debian's kernel; the host's / over 9p (read-only, with
# a tmpfs overlay in L1); an emulated Intel 82576 (-device igb, QEMU >= 8) with
# SR-IOV behind a virtual Intel IOMMU (so VFs can be passed through with VFIO);
# the out dir as a second, writable 9p share; the serial console in console.log.
#
# Environment (all optional):
#   LAB_OUT               out dir (default <project>/.lab/out; emptied first)
#   LAB_RUN_TIMEOUT       hard limit for L1 in seconds (default 840)
#   LAB_BOOT_TIMEOUT      seconds for L1 to reach stage2 (default 120)
#   LAB_SCENARIO_LIST     scenario names to run (default: all)
#   LAB_SCENARIO_TIMEOUT  per scenario, seconds (default 300)
#   LAB_INSTALL_TIMEOUT   for the project's install.sh, seconds (default 300)
#   LAB_SKIP_INSTALL=1    don't run the project's install.sh (to check the lab alone)
#   LAB_ACCEL=tcg|kvm     kvm only on hosts with real VMX/SVM: the PVM-style
#                         /dev/kvm of some cloud machines hangs a stock kernel
#   LAB_MEM (MiB, 4096), LAB_SMP (2), LAB_KERNEL, LAB_QEMU, LAB_APPEND (kernel args)
#   LAB_STAGE2            another PID 1 script for L1, for work on the lab itself
# Exit status: 0 when L1 ran to its end (scenario results are in results.tsv).
set -euo pipefail
# shellcheck source=test/lab/host-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/host-lib.sh"

out=${LAB_OUT:-$PROJECT_DIR/.lab/out}
run_timeout=${LAB_RUN_TIMEOUT:-840}
boot_timeout=${LAB_BOOT_TIMEOUT:-120}
marker=.virt-sriov-lab-out

[[ $(id -u) -eq 0 ]] || lab_die "the lab must run as root (L1 reads the host's files over 9p as their owner)"
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage2=${LAB_STAGE2:-$LAB_DIR/guest/stage2.sh}
# Paths go on the kernel command line and into QEMU options: keep them simple.
for p in "$PROJECT_DIR" "$out" "$stage2"; do
  [[ $p =~ ^[A-Za-z0-9/._+-]+$ ]] || lab_die "unsupported characters in path '$p' (kernel command line/QEMU options)"
done
# The out dir is emptied; refuse anything that isn't one of ours.
if [[ -n $(ls -A "$out") && ! -e $out/$marker ]]; then
  lab_die "$out is not empty and not a lab out dir: refusing to empty it"
fi
find "$out" -mindepth 1 -delete
touch "$out/$marker"
{
  printf 'LAB_SCENARIO_LIST=%q\n' "${LAB_SCENARIO_LIST:-}"
  printf 'LAB_SCENARIO_TIMEOUT=%q\n' "${LAB_SCENARIO_TIMEOUT:-300}"
  printf 'LAB_INSTALL_TIMEOUT=%q\n' "${LAB_INSTALL_TIMEOUT:-300}"
  printf 'LAB_SKIP_INSTALL=%q\n' "${LAB_SKIP_INSTALL:-0}"
  printf 'LAB_CAPS_CACHE=%q\n' "$LAB_CACHE/libvirt-qemu-caps"
} > "$out/lab.env"

kernel=$(lab_kernel) || lab_die "no kernel image for L1"
# netdevsim.ko for this kernel, if prepare.sh could build it (scenarios/97-netdevsim.sh)
printf 'LAB_NETDEVSIM_KO=%q\n' "$(lab_netdevsim_ko "$kernel")" >> "$out/lab.env"
# the L2 Linux guest's kernel and initramfs (guest/lib.sh: lab_l2_linux_domain_xml)
l2kernel=$(lab_l2_kernel "$kernel")
[[ -s $l2kernel ]] || l2kernel=/boot/vmlinuz-$kernel
printf 'LAB_L2_KERNEL=%q\nLAB_L2_INITRD=%q\nLAB_L2_IMAGE_CACHE=%q\n' "$l2kernel" "$(lab_l2_initrd "$kernel")" "$LAB_CACHE/l2-image" >> "$out/lab.env"
qemu=$(lab_qemu) || lab_die "no QEMU to launch L1"
initrd=$(lab_initrd "$kernel")
[[ -s $initrd ]] || lab_die "no initramfs $initrd (run test/lab/prepare.sh)"

if [[ ${LAB_ACCEL:-tcg} == kvm ]]; then
  machine=q35,accel=kvm,kernel-irqchip=split cpu=host
else
  machine=q35,accel=tcg cpu=max
fi
lab_qemu_argv "$qemu"
# shellcheck disable=SC2054  # the commas are QEMU's option syntax
qemu_args=(
  -name virt-sriov-lab-l1
  -machine "$machine" -cpu "$cpu" -smp "${LAB_SMP:-2}" -m "${LAB_MEM:-4096}"
  # the vIOMMU first: VFIO in L1 needs it; caching-mode for assigned devices
  -device intel-iommu,intremap=on,caching-mode=on
  # -audio none: else QEMU probes its audio modules and complains of missing libraries
  -display none -vga none -monitor none -audio none -no-reboot
  -serial "file:$out/console.log"
  -pidfile "$out/qemu-l1.pid"
  -kernel "/boot/vmlinuz-$kernel" -initrd "$initrd"
  -append "console=ttyS0 intel_iommu=on iommu=pt panic=-1 loglevel=4 mitigations=off lab.stage2=$stage2 ${LAB_APPEND:-}"
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
  -virtfs "local,path=$out,mount_tag=labout,security_model=none"
  # the SR-IOV NIC: igb (82576, 7 VFs) on its own root port, on a closed user net
  -netdev user,id=uplink,restrict=on
  -device pcie-root-port,id=rp1,slot=1,chassis=1
  -device igb,bus=rp1,netdev=uplink,mac=52:54:00:12:34:56
)

# No QEMU may outlive this script: the trap kills it on every exit path, and
# PR_SET_PDEATHSIG (setpriv) kills it even if this script is SIGKILLed.
tpid=
# shellcheck disable=SC2317  # invoked by the trap
stop_l1() {
  local pid
  if [[ -s $out/qemu-l1.pid ]]; then
    pid=$(< "$out/qemu-l1.pid")
    if [[ $(tr '\0' ' ' < "/proc/$pid/cmdline" 2> /dev/null) == *virt-sriov-lab-l1* ]]; then
      kill -TERM "$pid" 2> /dev/null || true
      for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2> /dev/null || break; sleep 0.5; done
      kill -KILL "$pid" 2> /dev/null || true
    fi
  fi
  [[ -z $tpid ]] || kill -TERM "$tpid" 2> /dev/null || true
  rm -f "$out/qemu-l1.pid"
}
trap stop_l1 EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
pdeath=()
command -v setpriv > /dev/null && pdeath=(setpriv --pdeathsig KILL)

shown=0
show_progress() { # new complete lines of L1's progress file
  local line n=0
  [[ -f $out/progress ]] || return 0
  while IFS= read -r line; do
    printf 'lab: %s\n' "$line"
    n=$((n + 1))
  done < <(tail -n "+$((shown + 1))" "$out/progress")
  shown=$((shown + n))
}
tail_console() {
  lab_say "last lines of $out/console.log:"
  tail -n 25 "$out/console.log" 2> /dev/null | sed 's/^/    /' >&2 || true
  [[ ! -s $out/qemu-l1.stdout ]] || { lab_say "QEMU said:"; sed 's/^/    /' "$out/qemu-l1.stdout" >&2; }
}

lab_say "booting L1: $("${LAB_QEMU_ARGV[@]}" --version | sed -n 1p), kernel $kernel, ${LAB_ACCEL:-tcg}, limit ${run_timeout}s"
start=$SECONDS
"${pdeath[@]}" timeout -k 10 "$run_timeout" "${pdeath[@]}" "${LAB_QEMU_ARGV[@]}" "${qemu_args[@]}" \
  < /dev/null > "$out/qemu-l1.stdout" 2>&1 &
tpid=$!

booted=0
while kill -0 "$tpid" 2> /dev/null; do
  show_progress
  if ((!booted)); then
    if grep -qs '^booted=' "$out/status"; then
      booted=1
      lab_say "L1 reached stage2 in $((SECONDS - start))s"
    elif ((SECONDS - start > boot_timeout)); then
      lab_say "ERROR: L1 did not boot within ${boot_timeout}s (LAB_BOOT_TIMEOUT)"
      tail_console
      exit 1
    fi
  fi
  sleep 1
done
rc=0
wait "$tpid" || rc=$?
tpid=
show_progress
elapsed=$((SECONDS - start))

if grep -qs '^finished=1' "$out/status"; then
  lab_say "L1 ran for ${elapsed}s"
  # libvirtd's QEMU capabilities (see stage2.sh), for the next run; under the
  # cache's lock (another lab run may do the same), and never worth failing for.
  if compgen -G "$out/libvirt/caps/*.xml" > /dev/null; then
    (
      flock -w 60 9 &&
        rm -rf "$LAB_CACHE/libvirt-qemu-caps" &&
        cp -r "$out/libvirt/caps" "$LAB_CACHE/libvirt-qemu-caps"
    ) 9> "$LAB_CACHE/.lock" || lab_say "warning: could not keep libvirt's QEMU capabilities"
  fi
  # the L2 Linux guest saved booted (guest/lib.sh: lab_l2_image_build), if L1 made one:
  # the next runs restore it instead of booting it (the newest only: ~50 MB each)
  if compgen -G "$out/l2-image/*.save" > /dev/null; then
    (
      flock -w 60 9 &&
        rm -rf "$LAB_CACHE/l2-image" &&
        mkdir -p "$LAB_CACHE/l2-image" &&
        mv "$out"/l2-image/*.save "$LAB_CACHE/l2-image/"
    ) 9> "$LAB_CACHE/.lock" || lab_say "warning: could not keep the L2 guest's booted image"
  fi
  exit 0
fi
if ((rc == 124 || rc == 137)); then
  lab_say "ERROR: L1 timed out after ${run_timeout}s and was killed"
elif ((!booted)); then
  lab_say "ERROR: L1 did not boot (QEMU exit status $rc after ${elapsed}s)"
else
  lab_say "ERROR: L1 stopped before finishing (QEMU exit status $rc after ${elapsed}s)"
fi
tail_console
exit 1
