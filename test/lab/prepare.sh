#!/bin/bash
# Prepares a Debian 12 host for the SR-IOV lab. Idempotent and cached: a second
# run only checks that everything is still there (about a second).
#
#  1. Debian packages (installed only when missing): the kernel L1 boots, busybox
#     for its initramfs, and what runs inside L1 (libvirt 9.0 + QEMU 7.2, a matching
#     pair, plus ip, lspci, jq).
#  2. A QEMU >= 8 to launch L1, for its emulated SR-IOV NIC (-device igb). Debian 12
#     has 7.2, so QEMU 10 comes from bookworm-backports, unpacked with dpkg -x into
#     $VIRT_SRIOV_LAB_CACHE/qemu and never installed: libvirt 9.0 passes -no-acpi,
#     which QEMU 10 removed, so a system-wide QEMU 10 would break libvirt's guests.
#     The download uses apt sources and lists of its own ($VIRT_SRIOV_LAB_CACHE/apt):
#     the machine's apt sources are left as they were.
#     Skipped when LAB_QEMU or the system's own QEMU already has igb.
#  3. The initramfs (build-initrd.sh), in the same cache; and the L2 Linux guest's
#     (guest/l2-init) with its kernel, L1's decompressed (vmlinux, ~65 MB).
#  4. netdevsim.ko for L1's kernel (a second real driver with VF settings, see
#     scenarios/97-netdevsim.sh): Debian's kernel doesn't build it (CONFIG_NETDEVSIM is
#     not set), so it is built out of tree from linux-source and the kernel's headers of
#     the same Debian version, downloaded into the cache and unpacked there (never
#     installed), once per kernel (~40 s, 150 MB downloaded and deleted; 200 kB kept).
#     A failure here is a warning: only that scenario fails.
#
# Needs root (apt, the cache in /var/cache). Cache: ${VIRT_SRIOV_LAB_CACHE:-/var/cache/virt-sriov-lab}
set -euo pipefail
# shellcheck source=test/lab/host-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/host-lib.sh"
# shellcheck source=test/support/debian-mirror.sh
. "$(dirname "${BASH_SOURCE[0]}")/../support/debian-mirror.sh"
export DEBIAN_FRONTEND=noninteractive

APT_PACKAGES=(linux-image-amd64 busybox-static cpio gzip kmod pciutils jq iproute2
  libvirt-daemon-system libvirt-clients qemu-system-x86 xz-utils zstd gcc make)
# QEMU 10 plus every package that ships QEMU modules: QEMU looks in QEMU_MODULE_DIR
# first, then in the system's module dir, and aborts on a module of another build
# (the distro's 7.2 ones), so the prefix must hold every module the system has.
QEMU_PACKAGES=(qemu-system-x86 qemu-system-common qemu-system-data seabios
  qemu-system-gui qemu-system-modules-opengl qemu-system-modules-spice qemu-block-extra)
BACKPORTS=bookworm-backports

t_start=$SECONDS
[[ $(id -u) -eq 0 ]] || lab_die "prepare.sh must run as root (apt, $LAB_CACHE)"
mkdir -p "$LAB_CACHE"
# One preparation at a time per cache (two lab runs may start together).
exec 9> "$LAB_CACHE/.lock"
flock -w 600 9 || lab_die "timed out waiting for the lock on $LAB_CACHE"

# ---------------------------------------------------------------- 1. packages
missing=()
for p in "${APT_PACKAGES[@]}"; do
  [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == *' ok installed' ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  lab_say "installing ${missing[*]}"
  apt_install=(apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}")
  if ! "${apt_install[@]}"; then
    apt-get update # stale package lists
    "${apt_install[@]}"
  fi
fi

# ---------------------------------------------------------------- 2. QEMU >= 8
# bookworm-backports through a sources list, package lists and a cache of the lab's own, in
# $LAB_CACHE/apt: the machine's apt sources stay as they were, and so do its lists.
backports_apt() {
  local dir=$LAB_CACHE/apt
  mkdir -p "$dir/sources.list.d" "$dir/lists/partial" "$dir/cache/archives/partial"
  id _apt >/dev/null 2>&1 && chown _apt "$dir/lists/partial" "$dir/cache/archives/partial"
  printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' "$(debian_mirror)" "$BACKPORTS" > "$dir/sources.list"
  apt-get -q -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts="$dir/sources.list.d" \
    -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= "$@"
}

unpack_qemu() {
  local debs=$LAB_CACHE/debs new=$LAB_QEMU_PREFIX.new f l t
  # shellcheck disable=SC1091
  [[ $(. /etc/os-release && echo "${VERSION_CODENAME:-}") == bookworm ]] ||
    lab_die "no QEMU >= 8 with the igb device here, and this is not Debian 12: install one and set LAB_QEMU"
  backports_apt update > /dev/null || lab_die "apt-get update of $BACKPORTS (in $LAB_CACHE/apt) failed"

  rm -rf "$debs"
  mkdir -p "$debs"
  # apt drops privileges to _apt for downloads: let it write there.
  id _apt >/dev/null 2>&1 && chown _apt "$debs"
  lab_say "downloading QEMU from $BACKPORTS"
  (cd "$debs" && backports_apt download "${QEMU_PACKAGES[@]/%//$BACKPORTS}") ||
    lab_die "apt-get download from $BACKPORTS failed"

  rm -rf "$new"
  mkdir -p "$new"
  for f in "$debs"/*.deb; do dpkg -x "$f" "$new"; done
  # qemu-system-data links firmware with absolute paths into /usr/share/seabios
  # (the system's 7.2-era files): point those found in the prefix at the prefix.
  while IFS= read -r l; do
    t=$(readlink "$l")
    case $t in
      /usr/share/*) [[ -e $new$t ]] && ln -sfn "../${t#/usr/share/}" "$l" ;;
    esac
  done < <(find "$new/usr/share/qemu" -maxdepth 1 -type l)

  if ! lab_qemu_usable "$new/usr/bin/qemu-system-x86_64"; then
    ldd "$new/usr/bin/qemu-system-x86_64" | grep 'not found' >&2 || true
    lab_qemu_run "$new/usr/bin/qemu-system-x86_64" --version >&2 || true
    lab_die "the QEMU unpacked from $BACKPORTS does not run or lacks the igb device"
  fi
  rm -rf "$LAB_QEMU_PREFIX"
  mv "$new" "$LAB_QEMU_PREFIX"
}

if ! qemu=$(lab_qemu 2>/dev/null); then
  [[ -z ${LAB_QEMU:-} ]] || lab_die "LAB_QEMU=$LAB_QEMU is not a QEMU >= 8 with the igb device"
  unpack_qemu
  qemu=$(lab_qemu)
fi

# ---------------------------------------------------------------- 3. initramfs
kernel=$(lab_kernel) || lab_die "no kernel for L1"
initrd=$(lab_initrd "$kernel")
if [[ ! -s $initrd ]]; then
  rm -f "$LAB_CACHE/initrd-$kernel-"*.img
  "$LAB_DIR/build-initrd.sh" "$kernel" "$initrd" "$LAB_DIR/guest/initramfs-init" virtio_pci 9pnet_virtio 9p overlay >&2
fi
# L2: virtio_net (net_failover, failover) for failover pairs, igbvf for the VFs it is given
initrd=$(lab_l2_initrd "$kernel")
if [[ ! -s $initrd ]]; then
  rm -f "$LAB_CACHE/l2-initrd-$kernel-"*.img
  "$LAB_DIR/build-initrd.sh" "$kernel" "$initrd" "$LAB_DIR/guest/l2-init" virtio_pci virtio_net igbvf >&2
fi

# extract_vmlinux KERNEL OUT: the ELF kernel inside /boot/vmlinuz-KERNEL (Debian's are
# xz-compressed; the stream ends before the image does, so xz's complaint is expected).
extract_vmlinux() {
  local img=/boot/vmlinuz-$1 out=$2 off
  off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$img" | head -n 1 | cut -d: -f1) || true
  [[ -n $off ]] || { lab_say "warning: no xz stream in $img: the L2 guest boots it compressed (slower)"; return 1; }
  tail -c "+$((off + 1))" "$img" | xz -dcq > "$out.tmp" 2> /dev/null || true
  if [[ $(head -c 4 "$out.tmp") != $'\x7fELF' ]]; then
    rm -f "$out.tmp"
    lab_say "warning: no ELF kernel in $img's xz stream: the L2 guest boots it compressed (slower)"
    return 1
  fi
  mv "$out.tmp" "$out"
}
vmlinux=$(lab_l2_kernel "$kernel")
[[ -s $vmlinux ]] || { rm -f "$LAB_CACHE"/vmlinux-*; extract_vmlinux "$kernel" "$vmlinux" || true; }

# ---------------------------------------------------------------- 4. netdevsim
# build_netdevsim KERNEL KO: netdevsim.ko for KERNEL (e.g. 6.1.0-57-amd64), from the Debian
# packages of the exact version of linux-image-KERNEL: its headers (linux-headers-KERNEL,
# -common, linux-kbuild-MAJOR.MINOR, for Module.symvers and the config) and linux-source-MAJOR.MINOR
# (for drivers/net/netdevsim). The headers' Makefile includes the -common one by its installed
# path: pointed at the unpacked copy instead.
build_netdevsim() {
  local kernel=$1 ko=$2 version series flavour common dir work debs f hdr
  version=$(dpkg-query -W -f='${Version}' "linux-image-$kernel" 2>/dev/null) ||
    { lab_say "warning: no netdevsim: linux-image-$kernel is not a Debian package"; return 1; }
  series=$(cut -d. -f1,2 <<< "$kernel")
  flavour=${kernel##*-}
  common=${kernel%-"$flavour"}-common
  dir=$(dirname "$ko")
  [[ -s $ko && $(cat "$dir/version" 2>/dev/null) == "$version" ]] && return 0
  lab_say "building netdevsim for $kernel (Debian $version)"
  rm -rf "$LAB_CACHE"/netdevsim-build.* # an interrupted build's (we hold the cache's lock)
  work=$(mktemp -d "$LAB_CACHE/netdevsim-build.XXXXXX")
  chmod 755 "$work" # apt downloads as _apt
  debs=$work/debs
  mkdir -p "$debs"
  id _apt >/dev/null 2>&1 && chown _apt "$debs"
  local pkgs=("linux-headers-$kernel=$version" "linux-headers-$common=$version" "linux-kbuild-$series=$version" "linux-source-$series=$version")
  if ! (cd "$debs" && apt-get -q download "${pkgs[@]}" >/dev/null) &&
    ! { apt-get -q update >/dev/null && (cd "$debs" && apt-get -q download "${pkgs[@]}" >/dev/null); }; then
    lab_say "warning: no netdevsim: could not download ${pkgs[*]} (the archive may have moved on: upgrade the kernel with apt-get install linux-image-amd64)"
    rm -rf "$work"
    return 1
  fi
  for f in "$debs"/linux-headers-*.deb "$debs"/linux-kbuild-*.deb; do dpkg -x "$f" "$work/root"; done
  hdr=$work/root/usr/src/linux-headers-$kernel
  sed -i "s#^include /usr/src/#include $work/root/usr/src/#" "$hdr/Makefile"
  mkdir -p "$work/src"
  dpkg-deb --fsys-tarfile "$debs"/linux-source-*.deb | tar -xO "./usr/src/linux-source-$series.tar.xz" |
    xz -dc | tar -x -C "$work/src" --strip-components=4 "linux-source-$series/drivers/net/netdevsim"
  if ! nice make -s -C "$hdr" M="$work/src" CONFIG_NETDEVSIM=m -j"$(nproc)" modules > "$work/build.log" 2>&1 ||
    [[ ! -s $work/src/netdevsim.ko ]]; then
    tail -n 20 "$work/build.log" >&2
    lab_say "warning: no netdevsim: the build failed (above)"
    rm -rf "$work"
    return 1
  fi
  strip --strip-debug "$work/src/netdevsim.ko"
  mkdir -p "$dir"
  mv "$work/src/netdevsim.ko" "$ko.new"
  mv "$ko.new" "$ko"
  echo "$version" > "$dir/version"
  rm -rf "$work"
}
build_netdevsim "$kernel" "$(lab_netdevsim_ko "$kernel")" || true

lab_say "prepared in $((SECONDS - t_start))s: $(lab_qemu_run "$qemu" --version | head -n 1) ($qemu), kernel $kernel"
