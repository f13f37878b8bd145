#!/bin/bash
# Build virt-sriov_<version>_<arch>.deb (npm run package) from install.sh's own staging: the
# package holds exactly the files `DESTDIR=... ./install.sh --prefix /usr` lays out for Debian
# 12's libvirt and nodejs, less install.sh's manifest (dpkg keeps the list), plus its control
# files (packaging/deb/). /etc files are conffiles, except the hooks (see lintian-overrides).
# Architecture: the build machine's; koffi's native part is in the package.
#
#   scripts/package.sh [--out DIR] [--no-build]   (after npm ci; DIR default: the project)
#
# Needs dpkg-deb and gzip (Debian's own); no network.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$here
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "package.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

# what the package targets: Debian 12's libvirt (hooks in <driver>.d/) and its nodejs
LIBVIRT_VERSION=9.0.0
NODE=/usr/bin/node

field() { node -p "require('$here/package.json').$1"; }
version=$(field version)
maintainer=$(field author)
arch=$(dpkg --print-architecture)

[ "$build" = 0 ] || (cd "$here" && npm run --silent build)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/root

# the files: install.sh's, as a packager stages them
DESTDIR=$root bash "$here/install.sh" --no-build --prefix /usr --node "$NODE" --libvirt-version "$LIBVIRT_VERSION" > "$stage/install.log"
rm "$root/usr/lib/virt-sriov/install-manifest"
# lintian reads a package's overrides from the package
install -D -m 0644 "$here/packaging/deb/lintian-overrides" "$root/usr/share/lintian/overrides/virt-sriov"

# the control files
mkdir -m 0755 "$root/DEBIAN"
for f in postinst prerm postrm; do install -m 0755 "$here/packaging/deb/$f" "$root/DEBIAN/$f"; done
(cd "$root" && find etc -type f ! -path 'etc/libvirt/hooks/*' | sort | sed 's|^|/|') > "$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" -e "s|@INSTALLED_SIZE@|$installed_size|" \
  "$here/packaging/deb/control" > "$root/DEBIAN/control"

# root owns everything (the hooks' trust rule: root's, and writable by no one else)
chmod -R u+rwX,go+rX,go-w "$root"
deb=$out/virt-sriov_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" > /dev/null
echo "$deb"
