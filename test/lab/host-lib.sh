# shellcheck shell=bash
# Host-side helpers shared by prepare.sh, boot.sh and lab.sh (sourced, not run).
#
# Everything the lab downloads or builds lives in one cache directory outside the
# repository, reused across runs and checkouts:
#   $LAB_CACHE/qemu/          QEMU >= 8 (for the emulated igb NIC) unpacked from
#                             bookworm-backports with dpkg -x, never installed
#   $LAB_CACHE/debs/          the .deb files it was unpacked from
#   $LAB_CACHE/initrd-K.img   the busybox initramfs for kernel K
#   $LAB_CACHE/l2-initrd-K.img  the L2 Linux guest's busybox initramfs for kernel K
#   $LAB_CACHE/vmlinux-K      kernel K decompressed, for the L2 Linux guest
#   $LAB_CACHE/netdevsim/K/   netdevsim.ko built for kernel K (Debian doesn't ship it),
#                             with the Debian version it was built from

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034  # used by the scripts that source this file
PROJECT_DIR=$(cd "$LAB_DIR/../.." && pwd)
LAB_CACHE=${VIRT_SRIOV_LAB_CACHE:-/var/cache/virt-sriov-lab}
LAB_QEMU_PREFIX=$LAB_CACHE/qemu

lab_say() { printf 'lab: %s\n' "$*" >&2; }
lab_die() { printf 'lab: ERROR: %s\n' "$*" >&2; exit 1; }

# The kernel L1 boots: LAB_KERNEL (a version such as 6.1.0-56-amd64) or the
# newest Debian kernel in /boot. L1 loads its modules from this machine's
# /lib/modules/K (it sees our root file system), so both must be there.
lab_kernel() {
  local k=${LAB_KERNEL:-}
  if [[ -z $k ]]; then
    k=$(find /boot -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' 2>/dev/null |
      sed 's/^vmlinuz-//' | sort -V | tail -n 1)
  fi
  [[ -n $k ]] || { echo "no kernel image in /boot (install linux-image-amd64)" >&2; return 1; }
  [[ -r /boot/vmlinuz-$k ]] || { echo "kernel image /boot/vmlinuz-$k is missing or unreadable" >&2; return 1; }
  [[ -d /lib/modules/$k/kernel ]] || { echo "no modules for kernel $k in /lib/modules/$k" >&2; return 1; }
  printf '%s\n' "$k"
}

# Prints the major version of a QEMU binary ("10" for 10.0.2).
lab_qemu_major() {
  lab_qemu_run "$1" --version 2>/dev/null | sed -n '1s/^QEMU emulator version \([0-9]*\)\..*/\1/p'
}

# Sets LAB_QEMU_ARGV to the command that runs a QEMU binary so that it finds its
# own firmware and modules: a binary unpacked into a prefix must be pointed at the
# prefix's data dirs, and at the prefix's module dir, or it loads the distro QEMU's
# modules and aborts ("Only modules from the same build can be loaded").
lab_qemu_argv() {
  local qemu=$1 p
  LAB_QEMU_ARGV=("$qemu")
  if [[ $qemu == */usr/bin/qemu-system-x86_64 && $qemu != /usr/bin/qemu-system-x86_64 ]]; then
    p=${qemu%/usr/bin/qemu-system-x86_64}
    LAB_QEMU_ARGV=(env "QEMU_MODULE_DIR=$p/usr/lib/x86_64-linux-gnu/qemu"
      "$qemu" -L "$p/usr/share/seabios" -L "$p/usr/share/qemu")
  fi
}

# lab_qemu_run QEMU ARGS...: runs that QEMU as described above.
lab_qemu_run() {
  lab_qemu_argv "$1"
  shift
  "${LAB_QEMU_ARGV[@]}" "$@"
}

# True when the binary is QEMU >= 8 and has the igb device (Intel 82576, SR-IOV).
lab_qemu_usable() {
  local qemu=$1 major devices
  [[ -x $qemu ]] || return 1
  major=$(lab_qemu_major "$qemu")
  [[ -n $major && $major -ge 8 ]] || return 1
  devices=$(lab_qemu_run "$qemu" -machine none -device help 2>/dev/null) || return 1
  [[ $devices == *'name "igb"'* ]]
}

# The QEMU that launches L1: LAB_QEMU if set, else the cached prefix, else the
# system's own if it is new enough (Debian 13 and later).
lab_qemu() {
  local q
  for q in ${LAB_QEMU:+"$LAB_QEMU"} "$LAB_QEMU_PREFIX/usr/bin/qemu-system-x86_64" /usr/bin/qemu-system-x86_64; do
    if lab_qemu_usable "$q"; then
      printf '%s\n' "$q"
      return 0
    fi
    if [[ -n ${LAB_QEMU:-} ]]; then
      echo "LAB_QEMU=$LAB_QEMU is not a QEMU >= 8 with the igb device" >&2
      return 1
    fi
  done
  echo "no QEMU >= 8 with the igb device (run test/lab/prepare.sh)" >&2
  return 1
}

# Initramfs path for kernel K; its name carries a hash of the init script and
# of the script that builds it, so editing either rebuilds it.
lab_initrd() {
  _lab_initrd initrd "$1" "$LAB_DIR/guest/initramfs-init"
}

# The L2 Linux guest's initramfs for kernel K (guest/l2-init), named the same way.
lab_l2_initrd() {
  _lab_initrd l2-initrd "$1" "$LAB_DIR/guest/l2-init"
}

_lab_initrd() { # PREFIX KERNEL INIT
  local h
  h=$(cat "$3" "$LAB_DIR/build-initrd.sh" | sha256sum | cut -c1-12)
  printf '%s\n' "$LAB_CACHE/$1-$2-$h.img"
}

# The L2 Linux guest's kernel: L1's kernel K without its self-decompressor (the ELF
# QEMU boots through PVH). Decompressing itself would cost an L2 guest most of its
# boot under TCG in TCG.
lab_l2_kernel() {
  printf '%s\n' "$LAB_CACHE/vmlinux-$1"
}

# Where prepare.sh keeps netdevsim.ko for kernel K (L1 reads it over 9p and insmods it).
lab_netdevsim_ko() {
  printf '%s\n' "$LAB_CACHE/netdevsim/$1/netdevsim.ko"
}
