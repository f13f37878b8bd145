#!/bin/bash
# PID 1 of L1, the SR-IOV lab guest (started by initramfs-init, see boot.sh).
#
# L1's root is the host's root (read-only 9p) under a tmpfs overlay; /lab-out is
# the host's out dir. This script sets L1 up as a small SR-IOV host with its own
# libvirt, runs the project's install.sh (if any) and then every scenario, and
# powers L1 off whatever happens (the host reads what it wrote to /lab-out).
#
# Written to /lab-out:
#   status            key=value lines: booted, setup, install, finished
#   progress          one line per step, shown live by the host
#   stage2.log        this script's output (also on the serial console)
#   install.log       output of $PROJECT/install.sh
#   results.tsv       one line per scenario (see run-scenarios.sh)
#   scenarios/        per-scenario logs, checks and artifacts
#   libvirt/          libvirtd's log and the guests' QEMU logs
#   dmesg.txt
#
# No set -e: whatever fails, PID 1 must go on to power off (if PID 1 exits, the
# kernel panics, reboots, and QEMU's -no-reboot ends L1 anyway).
set -uo pipefail

LAB_GUEST=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT=$(cd "$LAB_GUEST/../../.." && pwd)
LAB_OUT=/lab-out
export LAB_GUEST PROJECT LAB_OUT
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C.UTF-8 HOME=/root TERM=dumb LIBVIRT_DEFAULT_URI=qemu:///system VIRT_SRIOV_LAB=1
# shellcheck source=test/lab/guest/lib.sh
. "$LAB_GUEST/lib.sh"

status() { echo "$1=$2" >> "$LAB_OUT/status"; }

# ---------------------------------------------------------------- base system
# What an init system and udev would do. No udev: /dev/fd links by hand (bash's
# process substitution needs them), modules loaded explicitly below.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
# A fresh /run: the host's pid files and sockets mean nothing here. (No tmpfs on
# /tmp: the overlay is writable already, and a project may live under /tmp.)
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/lock /run/lab
hostname lab-l1
ip link set lo up
# No IPv6 on the NICs to come (PF, VF netdevs): nothing to send then. Every frame
# the emulated igb PF sends under a loaded TCG risks "Detected Tx Unit Hang", and
# the igb driver may answer that with a PF reset, which drops the VFs' settings.
echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6
# L1 has no DNS (its only NIC is the PF, on a closed network). Resolve our own
# name locally and fail other lookups at once: libvirt looks the hostname up,
# and the host's nameserver would make it wait for seconds.
echo "127.0.1.1 lab-l1" >> /etc/hosts
rm -f /etc/resolv.conf
echo "options timeout:1 attempts:1" > /etc/resolv.conf

exec > >(tee -a "$LAB_OUT/stage2.log" > /dev/console) 2>&1

poweroff_l1() {
  lab_progress "collecting logs, powering off"
  dmesg > "$LAB_OUT/dmesg.txt" 2>&1
  mkdir -p "$LAB_OUT/libvirt/qemu" "$LAB_OUT/libvirt/caps"
  cp -r /var/log/libvirt/qemu/. "$LAB_OUT/libvirt/qemu/" 2> /dev/null
  cp /var/cache/libvirt/qemu/capabilities/*.xml "$LAB_OUT/libvirt/caps/" 2> /dev/null
  status finished 1
  sync
  echo 1 > /proc/sys/kernel/sysrq
  echo o > /proc/sysrq-trigger
  # wait for the power-off with a builtin: programs on the 9p root are going away
  read -r -t 30 _ < /dev/console
}
trap poweroff_l1 EXIT

status booted "$(cut -d' ' -f1 /proc/uptime)"
lab_progress "booted: kernel $(uname -r), project $PROJECT"

# Settings from the host (boot.sh): LAB_SCENARIO_LIST, LAB_SCENARIO_TIMEOUT,
# LAB_INSTALL_TIMEOUT, LAB_SKIP_INSTALL
if [[ -r $LAB_OUT/lab.env ]]; then
  set -a
  # shellcheck source=/dev/null
  . "$LAB_OUT/lab.env"
  set +a
fi

# ---------------------------------------------------------------- SR-IOV host
setup_failed() {
  lab_progress "SETUP FAILED: $*"
  status setup "failed: $*"
  LAB_SETUP_ERROR=$*
  export LAB_SETUP_ERROR
}

find_pf() { # the igb device that can make VFs (not a VF itself)
  local d
  for d in /sys/bus/pci/drivers/igb/0000:*; do
    [[ -e $d/sriov_totalvfs ]] || continue
    PF=$(lab_first_entry "$d/net") || continue
    PFPCI=$(basename "$d")
    return 0
  done
  return 1
}

# Private libvirt: forget whatever the host has defined (domains, networks,
# pools, hooks, state, the capabilities cache). Only the overlay changes.
clean_libvirt_config() {
  rm -rf /etc/libvirt/hooks /etc/libvirt/qemu/*.xml /etc/libvirt/qemu/autostart \
    /etc/libvirt/qemu/networks/*.xml /etc/libvirt/qemu/networks/autostart \
    /etc/libvirt/storage /etc/libvirt/secrets \
    /var/lib/libvirt/qemu /var/lib/libvirt/network /var/lib/libvirt/dnsmasq \
    /var/cache/libvirt/qemu /var/log/libvirt
  mkdir -p /etc/libvirt/hooks /var/lib/libvirt/qemu /var/log/libvirt/qemu "$LAB_OUT/libvirt"
  # libvirtd's first start probes QEMU, 15-30 s under TCG. The result of the last
  # run is kept in the host's lab cache (boot.sh); libvirtd checks it as after any
  # reboot (QEMU and libvirt binaries, versions) and probes again if it is stale.
  if compgen -G "${LAB_CAPS_CACHE:-/nonexistent}/*.xml" > /dev/null; then
    mkdir -p /var/cache/libvirt/qemu/capabilities
    cp "$LAB_CAPS_CACHE"/*.xml /var/cache/libvirt/qemu/capabilities/
  fi
  # libvirtd's own log goes straight to the host (survives a hang of L1); hooks,
  # host devices and netdev handling in detail, the rest from warnings up.
  cat >> /etc/libvirt/libvirtd.conf << EOF

# virt-sriov lab
log_level = 3
log_filters = "1:hook 1:hostdev 1:util.pci 1:netdev"
log_outputs = "1:file:$LAB_OUT/libvirt/libvirtd.log"
EOF
}

setup_sriov_host() {
  local m
  # igbvf for VF netdevs; vfio-pci and vfio_iommu_type1 for passthrough: without
  # udev nothing loads them, and libvirt then says the host can't pass through
  # PCI devices.
  for m in igb igbvf vfio-pci vfio_iommu_type1; do
    lab_run modprobe "$m" || { setup_failed "modprobe $m"; return 1; }
  done
  [[ -c /dev/vfio/vfio ]] || { setup_failed "no /dev/vfio/vfio after loading vfio"; return 1; }
  lab_wait 20 "the igb PF's netdev" find_pf || { setup_failed "no igb PF with SR-IOV found"; return 1; }
  find_pf
  export PF PFPCI
  lab_run ip link set "$PF" up || { setup_failed "ip link set $PF up"; return 1; }
  lab_progress "PF $PF ($PFPCI), sriov_totalvfs $(< "/sys/class/net/$PF/device/sriov_totalvfs"), IOMMU groups: $(find /sys/kernel/iommu_groups -mindepth 1 -maxdepth 1 | wc -l)"

  clean_libvirt_config
  lab_libvirtd_start || { setup_failed "libvirtd did not start (see libvirt/libvirtd.log)"; return 1; }
  lab_progress "libvirtd up: $(virsh version --daemon 2> /dev/null | sed -n 's/^Running against daemon: *//p' | head -n 1)"
}

# The project's own installer (hooks into /etc/libvirt/hooks, the CLI), run with
# libvirtd up; libvirtd is restarted afterwards so that it sees new hooks.
run_install() {
  local rc=0
  if [[ ${LAB_SKIP_INSTALL:-0} == 1 ]]; then
    echo "LAB_SKIP_INSTALL=1: install.sh not run" > "$LAB_OUT/install.log"
    lab_progress "install.sh: skipped (LAB_SKIP_INSTALL=1)"
    status install skipped
    return 0
  fi
  if [[ ! -f $PROJECT/install.sh ]]; then
    echo "no $PROJECT/install.sh: nothing installed" > "$LAB_OUT/install.log"
    lab_progress "install.sh: skipped (no install.sh in the project yet)"
    status install skipped
    return 0
  fi
  lab_progress "install.sh: running"
  # the host built the project (lab.sh): install that build
  local cmd=(bash ./install.sh --no-build)
  [[ -x $PROJECT/install.sh ]] && cmd=(./install.sh --no-build) # its own interpreter
  (cd "$PROJECT" && timeout -k 10 "${LAB_INSTALL_TIMEOUT:-300}" "${cmd[@]}") \
    < /dev/null > "$LAB_OUT/install.log" 2>&1 || rc=$?
  if ((rc != 0)); then
    lab_progress "install.sh: FAILED (exit status $rc, see install.log)"
    status install "failed: exit status $rc"
    LAB_INSTALL_ERROR="install.sh failed (exit status $rc)"
    export LAB_INSTALL_ERROR
    return 1
  fi
  lab_libvirtd_restart || { setup_failed "libvirtd did not restart after install.sh"; return 1; }
  lab_progress "install.sh: ok; libvirtd restarted"
  status install ok
}

# The L2 Linux guest, booted once and saved (guest/lib.sh: lab_l2_image_build), when a
# scenario to run starts one: from the host's cache (boot.sh keeps the one made here), or
# booted now, in the background while install.sh runs (minutes under TCG in TCG). Ready
# before the first scenario: the runner's reset would take it down.
l2_image_job=
l2_image_start() {
  local name key files=()
  for name in ${LAB_SCENARIO_LIST:-}; do files+=("$PROJECT/test/lab/scenarios/$name.sh"); done
  ((${#files[@]})) || files=("$PROJECT"/test/lab/scenarios/*.sh)
  grep -qs lab_l2_linux_start "${files[@]}" || return 0
  key=$(lab_l2_image_key) || return 0
  LAB_L2_IMAGE=${LAB_L2_IMAGE_CACHE:-/nonexistent}/l2-$key.save
  if [[ -r $LAB_L2_IMAGE ]]; then
    lab_progress "L2 Linux guest: the booted image from the cache ($LAB_L2_IMAGE)"
    export LAB_L2_IMAGE
    return 0
  fi
  LAB_L2_IMAGE=/run/lab/l2-$key.save
  lab_progress "L2 Linux guest: booting it, to save it booted (log: l2-image.log)"
  lab_l2_image_build "$LAB_L2_IMAGE" > "$LAB_OUT/l2-image.log" 2>&1 &
  l2_image_job=$!
}
l2_image_wait() {
  [[ -n $l2_image_job ]] || return 0
  if wait "$l2_image_job"; then
    export LAB_L2_IMAGE
    mkdir -p "$LAB_OUT/l2-image" && cp "$LAB_L2_IMAGE" "$LAB_OUT/l2-image/"
    lab_progress "L2 Linux guest: $(grep -m1 "L2 image:" "$LAB_OUT/l2-image.log")"
  else
    unset LAB_L2_IMAGE
    lab_progress "L2 Linux guest: no image (see l2-image.log): scenarios boot theirs"
  fi
}

if setup_sriov_host; then
  status setup ok
  l2_image_start
  run_install
  l2_image_wait
fi
"$LAB_GUEST/run-scenarios.sh"
