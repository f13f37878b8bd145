#!/bin/bash
# A fresh Debian 12 (debootstrap --variant=minbase bookworm) in a directory, to try in a chroot
# what an admin does on a new machine: the README's commands, a package's install.
#
#   fresh-root.sh create DIR        a fresh root in DIR (which must not exist)
#   fresh-root.sh run DIR CMD...    run CMD as root in it, in a mount namespace of its own with
#                                   /proc, /dev, /sys (read-only) and a /run tmpfs: nothing it
#                                   mounts outlives CMD
#   fresh-root.sh remove DIR        delete it
#
# The root is what debootstrap makes, plus what a new machine has that a chroot lacks: this
# machine's Debian sources (with bookworm-updates and -security, as an installed system has
# them), DNS, and its local CA certificates. No daemon starts in it (policy-rc.d): there is no
# init, and a daemon started there would outlive the chroot. dpkg skips fsync and docs, as in
# Debian's own slim container images: the same packages install, much faster.
#
# Cache (${VIRT_SRIOV_ROOT_CACHE:-/var/cache/virt-sriov-root}): the bootstrapped root as a
# tar (a second root in one CI run is an untar, not a debootstrap) and every .deb downloaded
# (debootstrap's and apt's in the roots). Needs root, debootstrap, util-linux (unshare).
set -euo pipefail
# shellcheck source=test/support/debian-mirror.sh
. "$(dirname "${BASH_SOURCE[0]}")/../support/debian-mirror.sh"

CACHE=${VIRT_SRIOV_ROOT_CACHE:-/var/cache/virt-sriov-root}
TARBALL=$CACHE/bookworm-minbase.tar

say() { printf 'fresh-root: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

create() {
  local root=$1 t0=$SECONDS
  [[ ! -e $root ]] || die "$root exists: give a new directory"
  mkdir -p "$CACHE/debs" "$CACHE/archives"
  # one bootstrap at a time per cache: two CI steps may start together
  exec 9> "$CACHE/.lock"
  flock -w 900 9 || die "timed out waiting for the lock on $CACHE"
  if [[ ! -s $TARBALL ]]; then
    local mirror
    mirror=$(debian_mirror)
    say "debootstrap --variant=minbase bookworm from $mirror"
    debootstrap --variant=minbase --cache-dir="$CACHE/debs" bookworm "$root.bootstrap" "$mirror" > "$CACHE/debootstrap.log" 2>&1 ||
      { tail -n 20 "$CACHE/debootstrap.log" >&2; rm -rf --one-file-system "$root.bootstrap"; die "debootstrap failed (log: $CACHE/debootstrap.log)"; }
    tar -C "$root.bootstrap" --numeric-owner -cf "$TARBALL.new" . && mv "$TARBALL.new" "$TARBALL"
    mv "$root.bootstrap" "$root"
  else
    mkdir -p "$root"
    tar -C "$root" --numeric-owner -xpf "$TARBALL"
  fi
  exec 9>&-
  setup "$root"
  say "created $root in $((SECONDS - t0))s"
}

setup() {
  local root=$1
  printf '#!/bin/sh\n# no daemon starts in a chroot (fresh-root.sh)\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  # the sources an installed Debian 12 has: this machine's, else the mirror's three suites
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/debian.sources"
  else
    local mirror
    mirror=$(debian_mirror)
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' \
      "$mirror" "$mirror" > "$root/etc/apt/sources.list.d/debian.list"
  fi
  : > "$root/etc/apt/sources.list"
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  # CAs this machine adds (a proxy's): ca-certificates takes them in when it is installed
  if compgen -G '/usr/local/share/ca-certificates/*' > /dev/null; then
    cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
  fi
  printf '%s\n' force-unsafe-io > "$root/etc/dpkg/dpkg.cfg.d/fresh-root-speedup"
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' \
    > "$root/etc/dpkg/dpkg.cfg.d/fresh-root-nodoc"
}

run() {
  local root=$1
  shift
  [[ -f $root/etc/debian_version ]] || die "$root is not a root made by fresh-root.sh create"
  # a private mount namespace: the mounts go when the command ends, however it ends
  unshare --mount --propagation private -- bash -euc '
    root=$1 cache=$2; shift 2
    mount -t proc proc "$root/proc"
    mount --bind /dev "$root/dev"
    mount --bind /dev/pts "$root/dev/pts"
    mount --bind -o ro /sys "$root/sys"
    mount -t tmpfs -o mode=0755 tmpfs "$root/run"
    mount --bind "$cache/archives" "$root/var/cache/apt/archives"
    exec chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
      ${npm_config_registry:+npm_config_registry=$npm_config_registry} "$@"
  ' fresh-root "$root" "$CACHE" "$@"
}

remove() {
  local root=$1
  [[ -e $root ]] || return 0
  [[ -f $root/etc/debian_version && $(cd "$root" && pwd -P) != / ]] || die "$root is not a root made by fresh-root.sh create"
  rm -rf --one-file-system "$root"
}

[[ $(id -u) -eq 0 ]] || die "needs root (debootstrap, chroot, mounts)"
case "${1:-}" in
  create) [[ $# -eq 2 ]] || die "usage: fresh-root.sh create DIR"; create "$2" ;;
  run) [[ $# -ge 3 ]] || die "usage: fresh-root.sh run DIR CMD..."; shift; run "$@" ;;
  remove) [[ $# -eq 2 ]] || die "usage: fresh-root.sh remove DIR"; remove "$2" ;;
  *) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&2; exit 2 ;;
esac
