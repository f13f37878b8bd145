# shellcheck shell=bash
# Helpers for the inside of L1: used by stage2.sh, the scenario runner and the
# scenarios themselves (every scenario gets this file sourced, see README.md).
#
# Exported by stage2.sh for everything that runs in L1:
#   PROJECT       the project dir (same path as on the host; read-only there, but
#                 writable here: writes land in L1's tmpfs overlay and vanish)
#   PF            the SR-IOV PF's netdev (igb, 7 VFs at most), e.g. eth0
#   PFPCI         its PCI address, e.g. 0000:01:00.0
#   LAB_OUT       /lab-out, the host's out dir (writable, survives L1)
#   LAB_GUEST     this directory
#   LIBVIRT_DEFAULT_URI=qemu:///system
#   VIRT_SRIOV_LAB=1
# and for each scenario by the runner:
#   LAB_SCENARIO      its name (file name without .sh)
#   LAB_SCENARIO_OUT  a dir for its artifacts, kept in the host's out dir
#   LAB_CHECKS_FILE   where assert.sh records the checks

LAB_L2_EMULATOR=/usr/bin/qemu-system-x86_64

# lab_log MESSAGE: a line stamped with L1's uptime.
lab_log() {
  local up
  read -r up _ < /proc/uptime
  printf '[%7ss] %s\n' "$up" "$*"
}

# lab_progress MESSAGE: a line for the host to show while L1 runs (and the log).
lab_progress() {
  local up
  read -r up _ < /proc/uptime
  printf '[L1 %ss] %s\n' "$up" "$*" | tee -a "$LAB_OUT/progress"
}

# lab_run CMD...: logs the command, runs it, logs a non-zero status; returns it.
lab_run() {
  local rc=0
  echo "+ $*"
  "$@" || rc=$?
  ((rc == 0)) || echo "  -> exit status $rc"
  return "$rc"
}

# lab_wait SECONDS DESCRIPTION CMD...: polls CMD (every 0.2 s) until it succeeds;
# fails with a log line after SECONDS.
lab_wait() {
  local secs=$1 what=$2 end
  shift 2
  end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= end)); then
      lab_log "timed out after ${secs}s waiting for: $what"
      return 1
    fi
    sleep 0.2
  done
}

# lab_first_entry DIR: the name of the first entry in DIR (fails if none),
# e.g. the netdev of a PCI device: lab_first_entry /sys/bus/pci/devices/ADDR/net
lab_first_entry() {
  local e
  for e in "$1"/*; do
    [[ -e $e ]] || continue
    basename "$e"
    return 0
  done
  return 1
}

# lab_pci_driver ADDR: the driver a PCI device is bound to (empty if none).
lab_pci_driver() {
  local link=/sys/bus/pci/devices/$1/driver
  [[ -L $link ]] && basename "$(readlink "$link")"
  return 0
}

# lab_pci_xml ADDR: libvirt's address attributes for a PCI address,
# e.g. 0000:01:10.2 -> domain='0x0000' bus='0x01' slot='0x10' function='0x2'
lab_pci_xml() {
  local d b s f
  IFS=':.' read -r d b s f <<< "$1"
  printf "domain='0x%s' bus='0x%s' slot='0x%s' function='0x%s'\n" "$d" "$b" "$s" "$f"
}

# ---------------------------------------------------------------- VFs
_lab_vfs_gone() { [[ ! -e /sys/class/net/$PF/device/virtfn0 ]]; }
_lab_vf_up() { # VF index: its virtfn link exists and (if drivers autoprobe) has a netdev
  local dev=/sys/class/net/$PF/device addr
  [[ -L $dev/virtfn$1 ]] || return 1
  [[ $(< "$dev/sriov_drivers_autoprobe") == 1 ]] || return 0
  addr=$(basename "$(readlink "$dev/virtfn$1")")
  lab_first_entry "/sys/bus/pci/devices/$addr/net" > /dev/null
}
_lab_vfinfo_count() { # the PF reports this many VFs to ip link
  [[ $(ip -j link show dev "$PF" | jq '.[0].vfinfo_list // [] | length') == "$1" ]]
}

# lab_vfs N: sets the PF's sriov_numvfs to 0, then to N (the kernel refuses to
# change a non-zero count), and waits until each VF has its virtfn link and its
# netdev (igbvf takes about a second per VF) and ip link lists N VFs. Sets, in
# the calling shell:
#   VF_PCI[i]     PCI address of VF i     (e.g. 0000:01:10.0)
#   VF_NETDEV[i]  its netdev, when bound to igbvf (empty if not)
# Returns non-zero (with a log line) if the VFs don't come up within a minute.
lab_vfs() {
  local n=${1:?usage: lab_vfs N} dev=/sys/class/net/$PF/device i addr total
  VF_PCI=()
  VF_NETDEV=()
  total=$(< "$dev/sriov_totalvfs")
  if ((n > total)); then
    lab_log "lab_vfs: $n VFs asked, $PF has at most $total"
    return 1
  fi
  if [[ $(< "$dev/sriov_numvfs") != 0 ]]; then
    echo 0 > "$dev/sriov_numvfs" || return 1
  fi
  lab_wait 30 "$PF's VFs to go away" _lab_vfs_gone || return 1
  ((n > 0)) || return 0
  echo "$n" > "$dev/sriov_numvfs" || return 1
  for ((i = 0; i < n; i++)); do
    lab_wait 60 "VF $i of $PF" _lab_vf_up "$i" || return 1
    addr=$(basename "$(readlink "$dev/virtfn$i")")
    VF_PCI[i]=$addr
    VF_NETDEV[i]=$(lab_first_entry "/sys/bus/pci/devices/$addr/net")
  done
  lab_wait 10 "ip link to list $n VFs on $PF" _lab_vfinfo_count "$n" || return 1
  lab_log "lab_vfs: $n VFs on $PF: ${VF_PCI[*]} (netdevs: ${VF_NETDEV[*]})"
}

# ---------------------------------------------------------------- libvirt
_lab_libvirtd_answers() { timeout 30 virsh -c qemu:///system version; }
_lab_pid_gone() { ! kill -0 "$1" 2> /dev/null; }

# lab_libvirtd_start: starts virtlogd (if not running) and libvirtd, and waits
# until libvirtd answers (the first start in a boot probes QEMU: ~10 s under TCG).
lab_libvirtd_start() {
  if ! { [[ -s /run/virtlogd.pid ]] && kill -0 "$(< /run/virtlogd.pid)" 2> /dev/null; }; then
    virtlogd -d || return 1
  fi
  if [[ -s /run/libvirtd.pid ]] && kill -0 "$(< /run/libvirtd.pid)" 2> /dev/null; then
    lab_log "libvirtd is already running"
  else
    lab_log "starting libvirtd"
    libvirtd -d || return 1
  fi
  lab_wait 120 "libvirtd to answer" _lab_libvirtd_answers || return 1
  lab_log "libvirtd answers"
}

# lab_libvirtd_stop: stops libvirtd (SIGTERM, SIGKILL after 30 s); running
# guests keep running, as with a real daemon restart.
lab_libvirtd_stop() {
  local pid
  [[ -s /run/libvirtd.pid ]] || return 0
  pid=$(< /run/libvirtd.pid)
  if kill "$pid" 2> /dev/null && ! lab_wait 30 "libvirtd ($pid) to exit" _lab_pid_gone "$pid"; then
    kill -9 "$pid" 2> /dev/null
    lab_wait 5 "libvirtd ($pid) to die" _lab_pid_gone "$pid" || return 1
  fi
  rm -f /run/libvirtd.pid
}

# lab_libvirtd_restart: stop + start: picks up new hooks and configuration.
lab_libvirtd_restart() {
  lab_libvirtd_stop && lab_libvirtd_start
}

# lab_l2_domain_xml NAME [DEVICES_XML]: prints a minimal guest that starts
# quickly inside L1: TCG (there is no KVM in L1), 128 MiB, no disk, the distro
# QEMU 7.2 that matches libvirt 9.0, and <acpi/> (QEMU >= 9 dropped -no-acpi).
# It boots no OS: fine for whatever needs a running QEMU, but a hot-unplug waits
# for a guest OS to acknowledge it, forever (lab_l2_linux_domain_xml has one).
# DEVICES_XML goes inside <devices>, e.g. an <interface type='hostdev'>.
lab_l2_domain_xml() {
  _lab_l2_xml "$1" 128 "<os><type arch='x86_64' machine='pc'>hvm</type></os>" "${2:-}"
}

# The L2 Linux guest: L1's own kernel (Debian's, decompressed by prepare.sh) and the
# busybox initramfs prepare.sh built (build-initrd.sh with guest/l2-init); boot.sh puts
# both paths in lab.env. Under TCG in TCG every piece of boot code costs (it is
# translated twice), so the command line skips what a guest that only has to take and
# give back PCI devices doesn't need: console output but the init's, mitigations, ACPI
# PnP (its resource methods cost as much as the rest of ACPI), the keyboard controller,
# LSMs, audit, watchdogs, clocksource checks, and a few initcalls (kprobe events, the
# ISA DMA controller, blktrace, mousedev, a crypto self-test).
LAB_L2_APPEND='console=ttyS0 quiet loglevel=0 mitigations=off nokaslr 8250.nr_uarts=1 pnpacpi=off i8042.noaux i8042.nokbd i8042.nopnp random.trust_cpu=on cryptomgr.notests tsc=reliable no_timer_check nowatchdog audit=0 apparmor=0 security=none initcall_blacklist=init_kprobe_trace,crypto_kdf108_init,i8237A_init_ops,init_blk_tracer,mousedev_init'

# lab_l2_console NAME: the file with L2 guest NAME's serial console (the Linux
# guest's; copied to the host's out dir with libvirt's QEMU logs at the end).
lab_l2_console() {
  printf '/var/log/libvirt/qemu/%s.console\n' "$1"
}

# lab_l2_linux_domain_xml NAME [DEVICES_XML]: as lab_l2_domain_xml, but the guest
# boots Linux (ACPI PCI hot-plug built in: it acknowledges an unplug; virtio_net,
# net_failover, failover and igbvf loaded), with its serial console in the file
# lab_l2_console NAME. Start it with lab_l2_linux_start NAME (from the booted image
# when it can), then lab_l2_wait_booted NAME before an unplug. Every Linux guest has
# the UUID LAB_L2_LINUX_UUID (the image restores only into that one): one at a time
# per libvirtd; name it LAB_L2_LINUX_NAME for the same reason.
lab_l2_linux_domain_xml() {
  [[ -r ${LAB_L2_KERNEL:-} && -r ${LAB_L2_INITRD:-} ]] || {
    lab_log "lab_l2_linux_domain_xml: no L2 kernel/initramfs (LAB_L2_KERNEL=${LAB_L2_KERNEL:-}, LAB_L2_INITRD=${LAB_L2_INITRD:-}): run prepare.sh" >&2
    return 1
  }
  _lab_l2_xml "$1" 96 "<uuid>$LAB_L2_LINUX_UUID</uuid>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$LAB_L2_KERNEL</kernel>
    <initrd>$LAB_L2_INITRD</initrd>
    <cmdline>$LAB_L2_APPEND</cmdline>
  </os>" "${2:-}
    <controller type='usb' model='none'/>
    <serial type='file'><source path='$(lab_l2_console "$1")'/><target port='0'/></serial>"
}
LAB_L2_LINUX_UUID=c0de0016-0000-4000-8000-000000000002
LAB_L2_LINUX_NAME=l2-linux

# lab_l2_linux_start NAME: starts the defined Linux guest NAME. A boot costs minutes
# under TCG in TCG, so when stage2.sh has a booted guest saved (LAB_L2_IMAGE, see
# lab_l2_image_build) it is restored into NAME instead (virsh restore --xml, seconds):
# NAME's own metadata and console, the image's devices. libvirt restores an image only
# into a domain of the same name, UUID and devices: NAME must be LAB_L2_LINUX_NAME
# (l2-linux) and have no devices (hot-plug its VFs once it runs); else it boots.
lab_l2_linux_start() {
  local name=$1 xml=/run/lab/l2-$1.restore.xml
  rm -f "/run/lab/l2-$name.restored"
  if [[ -r ${LAB_L2_IMAGE:-} && $name != "$LAB_L2_LINUX_NAME" ]]; then
    lab_log "$name: only a Linux guest named $LAB_L2_LINUX_NAME restores from the booted image: booting it"
  elif [[ -r ${LAB_L2_IMAGE:-} ]]; then
    if virsh dumpxml --inactive --security-info "$name" > "$xml" && virsh restore "$LAB_L2_IMAGE" --xml "$xml" --running; then
      touch "/run/lab/l2-$name.restored"
      lab_log "$name: restored, booted, from $LAB_L2_IMAGE"
      return 0
    fi
    lab_log "$name: could not be restored from $LAB_L2_IMAGE (devices other than the image's?): booting it"
  fi
  virsh start "$name"
}

_lab_l2_booted() { grep -qs '^virt-sriov-l2: booted' "$(lab_l2_console "$1")"; }

# lab_l2_wait_booted NAME [SECONDS]: waits (default 300 s) until the Linux guest
# NAME printed its ready marker on its console (at once when it was restored booted);
# logs how long its boot took.
lab_l2_wait_booted() {
  local name=$1 secs=${2:-300} t0=$SECONDS
  if [[ -e /run/lab/l2-$name.restored ]]; then
    lab_log "$name: restored from a booted image: up"
    return 0
  fi
  if ! lab_wait "$secs" "L2 guest $name to boot (console $(lab_l2_console "$name"))" _lab_l2_booted "$name"; then
    lab_log "last lines of $name's console:"
    tail -n 5 "$(lab_l2_console "$name")" 2> /dev/null
    return 1
  fi
  lab_log "$name: $(grep -m1 '^virt-sriov-l2: booted' "$(lab_l2_console "$name")") (waited $((SECONDS - t0))s)"
}

# lab_l2_image_key: names the booted image for this kernel, initramfs, command line,
# domain and QEMU/libvirt (a saved image restores only into the same of each).
lab_l2_image_key() {
  { lab_l2_linux_domain_xml "$LAB_L2_LINUX_NAME" && "$LAB_L2_EMULATOR" --version && libvirtd --version; } | sha256sum | cut -c1-16
}

# lab_l2_image_build FILE: boots the Linux guest LAB_L2_LINUX_NAME, waits for it, and
# saves it booted to FILE (virsh save) for lab_l2_linux_start; undefines it. stage2.sh
# runs it in the background while install.sh runs, when a scenario needs it and the
# lab's cache has no image of this key (boot.sh keeps the one made for the next runs).
lab_l2_image_build() {
  local file=$1 name=$LAB_L2_LINUX_NAME t0=$SECONDS rc=0
  mkdir -p /run/lab
  lab_l2_linux_domain_xml "$name" > "/run/lab/$name.image.xml" && virsh define "/run/lab/$name.image.xml" || return 1
  if virsh start "$name" && lab_l2_wait_booted "$name" 900 && virsh save "$name" "$file.tmp"; then
    mv "$file.tmp" "$file"
    lab_log "L2 image: booted and saved in $((SECONDS - t0))s: $file ($(stat -c %s "$file") bytes)"
  else
    rc=1
    virsh destroy "$name"
    rm -f "$file.tmp"
    lab_log "L2 image: failed after $((SECONDS - t0))s"
  fi
  virsh undefine "$name"
  return "$rc"
}

# _lab_l2_xml NAME MIB OS_XML DEVICES_XML: the domain both L2 guests share.
_lab_l2_xml() {
  cat << EOF
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>$2</memory>
  <vcpu>1</vcpu>
  $3
  <features><acpi/></features>
  <devices>
    <emulator>$LAB_L2_EMULATOR</emulator>
$4
    <video><model type='none'/></video>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}
