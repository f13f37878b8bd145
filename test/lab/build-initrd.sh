#!/bin/bash
# Builds one of the lab's busybox initramfs images: busybox-static, an /init script, and
# the Debian kernel's modules it names with their dependencies (in /mods, load order in
# /mods.order: the init insmods them).
#   L1: guest/initramfs-init with virtio-9p and overlayfs (modules, not built in), about
#       1.5 MB; everything else L1 needs comes from the host's root over 9p.
#   L2: guest/l2-init with virtio_net (and net_failover, failover) and igbvf.
#
# usage: build-initrd.sh KERNEL_VERSION OUTPUT.img INIT MODULE...
set -euo pipefail

kernel=$1
out=$2
init=$3
shift 3

# The initramfs has no libc: busybox must be the static build.
if [[ ! -x /bin/busybox ]] || ldd /bin/busybox >/dev/null 2>&1; then
  echo "build-initrd: no static /bin/busybox (install busybox-static)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,proc,sys,dev,lower,upper,newroot,mods}
cp /bin/busybox "$work/bin/busybox"
install -m 755 "$init" "$work/init"

# modprobe --show-depends lists each module after its dependencies; keep that
# order (the init insmods them one by one) and drop duplicates.
for m in "$@"; do
  modprobe -S "$kernel" --show-depends "$m"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' > "$work/paths"
[[ -s $work/paths ]] || { echo "build-initrd: no modules found for kernel $kernel" >&2; exit 1; }

: > "$work/mods.order"
while read -r path; do
  name=$(basename "$path")
  name=${name%%.ko*}.ko
  # busybox insmod can't read compressed modules
  case $path in
    *.ko) cp "$path" "$work/mods/$name" ;;
    *.ko.xz) xz -dc "$path" > "$work/mods/$name" ;;
    *.ko.zst) zstd -dcq "$path" > "$work/mods/$name" ;;
    *.ko.gz) gzip -dc "$path" > "$work/mods/$name" ;;
    *) echo "build-initrd: unexpected module file $path" >&2; exit 1 ;;
  esac
  echo "$name" >> "$work/mods.order"
done < "$work/paths"
rm "$work/paths"

mkdir -p "$(dirname "$out")"
(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
echo "build-initrd: $out for kernel $kernel ($(stat -c %s "$out") bytes, $(wc -l < "$work/mods.order") modules)"
