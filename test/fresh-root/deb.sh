#!/bin/bash
# The Debian package on a fresh Debian 12, as an admin meets it (CI runs it from .ci/run). In a
# fresh root (fresh-root.sh):
#   1. what a KVM host has before: the package's dependencies and recommends from Debian
#      (libvirt's daemon, bash-completion) and man-db; then a snapshot of the root: every
#      file's path, type, mode, owner and checksum (dpkg's and apt's own records aside);
#   2. `apt-get install ./virt-sriov_*.deb`, literally: the hooks where libvirt runs them, the
#      CLI at the package's version, the message about the daemon restart; the watcher's unit
#      shipped and not enabled; the host not marked for migrations (no libvirtd runs), and said;
#   3. doctor and status; a hook call through the installed hook file, logged; the code caches
#      it writes are root's and writable by no one else;
#   4. `man virt-sriov`, `man virt-sriov.json`, and the completion as bash-completion loads it;
#   5. `apt-get remove`: the hooks, the CLI, the watcher's unit and the caches gone, the config and the log kept;
#      `apt-get purge`: the root is file for file the snapshot of step 1.
#
#   test/fresh-root/deb.sh [DEB]   DEB: the package (default: npm run package, into $OUT)
#
# Each step's output is in $OUT (default .fresh-root/), deb-NAME.log; a step that fails prints
# its log's tail. KEEP_ROOT=1 keeps the root. Needs root (see fresh-root.sh).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
project=$(cd "$here/../.." && pwd)
out=${OUT:-$project/.fresh-root}
fresh_root="$here/fresh-root.sh"
root=$(mktemp -d -u /var/tmp/virt-sriov-deb-root.XXXXXX)

say() { printf 'fresh-root: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "needs root (debootstrap, chroot)"
mkdir -p "$out"
rm -f "$out"/deb-*.log
t_start=$SECONDS
deb=${1:-$(cd "$project" && bash scripts/package.sh --out "$out" 2> "$out/deb-0-package.log" | tail -n 1)}
[[ -f $deb ]] || die "no package: $deb (see $out/deb-0-package.log)"
version=$(dpkg-deb -f "$deb" Version)

cleanup() {
  if [[ ${KEEP_ROOT:-} == 1 ]]; then say "kept $root"; else bash "$fresh_root" remove "$root"; fi
}
trap cleanup EXIT
bash "$fresh_root" create "$root"
cp "$deb" "$root/root/"

failed=0
step() {
  local name=$1 script=$2 t0=$SECONDS rc=0
  bash "$fresh_root" run "$root" bash -euo pipefail -c "cd /root && $script" > "$out/deb-$name.log" 2>&1 || rc=$?
  if ((rc == 0)); then
    say "PASS deb $name ($((SECONDS - t0))s)"
  else
    say "FAIL deb $name ($((SECONDS - t0))s, exit $rc; $out/deb-$name.log):"
    tail -n 25 "$out/deb-$name.log" | sed 's/^/  | /' >&2
    failed=$((failed + 1))
  fi
  return 0
}

# every file of the root but dpkg's and apt's records and logs: path, type, mode, owner, checksum
snapshot='snapshot() {
  find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp -o -path /var/lib/dpkg -o -path /var/lib/apt \
      -o -path /var/cache -o -path /var/log/apt -o -path /var/log/dpkg.log -o -path /var/log/alternatives.log -o -path /root \) -prune \
    -o -printf "%p %y %m %u:%g %l\n" | sort > "$1.list"
  find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp -o -path /var/lib/dpkg -o -path /var/lib/apt \
      -o -path /var/cache -o -path /var/log -o -path /root \) -prune -o -type f -print0 | sort -z | xargs -0 md5sum > "$1.sums"
}'

# 1. a host before the package: its dependencies, libvirt's daemon, man-db; man pages unpacked
#    again (fresh-root.sh leaves them out)
step 1-before "$snapshot"'
  rm -f /etc/dpkg/dpkg.cfg.d/fresh-root-nodoc
  apt-get update -q
  deps=$(dpkg-deb -f ./virt-sriov_*.deb Depends)
  apt-get satisfy -y -q --no-install-recommends "$deps, libvirt-daemon-system, bash-completion, man-db"
  snapshot /root/before'

# 2. the README's command
step 2-install '
  apt-get install -y ./virt-sriov_*.deb | tee /tmp/install.log
  grep -q "restart libvirtd so it finds them" /tmp/install.log
  # no libvirtd runs in the root: not marked for migrations, said how, installed all the same
  grep -q "migrations: this host was not marked as a virt-sriov host (.*); once libvirt runs here with its nwfilter driver: virt-sriov migrate --mark-host" /tmp/install.log
  [ "$(virt-sriov --version)" = "'"$version"'" ]
  for h in qemu network daemon; do [ -x /etc/libvirt/hooks/$h.d/virt-sriov ]; done
  grep -q "^#!/usr/bin/node" /usr/lib/virt-sriov/bin/virt-sriov.mjs
  grep -q "the watcher .* is installed, not enabled: systemctl enable --now virt-sriov-watch" /tmp/install.log
  grep -q "^ExecStart=/usr/bin/virt-sriov watch$" /usr/lib/systemd/system/virt-sriov-watch.service
  [ ! -e /etc/systemd/system/multi-user.target.wants/virt-sriov-watch.service ]
  dpkg -L virt-sriov | grep -c . | xargs echo files:'

# 3. the CLI and a hook, as root: what they log, the caches they write
step 3-run '
  rc=0; virt-sriov doctor --json > /tmp/doctor.json || rc=$?
  [ "$rc" -le 1 ] || { echo "doctor exited $rc"; exit 1; }
  node -e "const c = JSON.parse(require(\"fs\").readFileSync(\"/tmp/doctor.json\", \"utf8\")).checks; for (const x of c) console.log(x.status.padEnd(5), x.id, \"-\", x.summary)" | tee /tmp/doctor.txt
  grep -q "hooks" /tmp/doctor.txt
  virt-sriov status
  # a guest with a NIC on a network: the hook has work to look at, so node runs (and caches)
  echo "<domain type=\"kvm\"><name>fresh</name><devices><interface type=\"network\"><source network=\"default\"/></interface></devices></domain>" |
    /etc/libvirt/hooks/qemu.d/virt-sriov fresh prepare begin - > /dev/null
  virt-sriov logs --domain fresh | tee /tmp/logs.txt
  grep -q "qemu prepare .*fresh .*ok" /tmp/logs.txt
  ls -la /usr/lib/virt-sriov/bin/.cache /usr/lib/virt-sriov/hooks/.cache
  [ -z "$(find /usr/lib/virt-sriov -path "*/.cache*" \( ! -user root -o -perm /022 \))" ]
  [ -n "$(find /usr/lib/virt-sriov/hooks/.cache -name "operations.cjs.*")" ]'

# 4. the man pages and the completion, where man and bash-completion look
step 4-man-completion '
  man -w virt-sriov virt-sriov.json
  MANWIDTH=80 man virt-sriov 2> /tmp/man.err | grep -q "virt-sriov attach \[options\] <domain>"
  MANWIDTH=80 man virt-sriov.json 2>> /tmp/man.err | grep -q "releasePolicy"
  [ ! -s /tmp/man.err ] || { cat /tmp/man.err; exit 1; }
  bash -c '\''source /usr/share/bash-completion/bash_completion
    __load_completion virt-sriov || exit 1
    COMP_LINE="virt-sriov at" COMP_POINT=13; _virt_sriov; [ "${COMPREPLY[*]}" = attach ]
    COMP_LINE="virt-sriov convert --to " COMP_POINT=25; _virt_sriov; [ "${COMPREPLY[*]}" = "hostdev interface network" ]
    echo completion ok'\'

# 5. remove keeps the config and the log; purge leaves the root as it was before the package
step 5-remove-purge "$snapshot"'
  apt-get remove -y virt-sriov
  for f in /usr/bin/virt-sriov /usr/lib/virt-sriov /etc/libvirt/hooks/qemu.d/virt-sriov /usr/share/man/man8/virt-sriov.8.gz \
      /usr/lib/systemd/system/virt-sriov-watch.service; do
    [ ! -e "$f" ] || { echo "left behind by remove: $f"; exit 1; }
  done
  [ -f /etc/virt-sriov/config.json ] && [ -f /var/log/libvirt/virt-sriov.log ]
  apt-get purge -y virt-sriov
  ! dpkg -s virt-sriov > /dev/null 2>&1
  snapshot /root/after
  diff /root/before.list /root/after.list && diff /root/before.sums /root/after.sums && echo "the root is as it was"'

say "$( ((failed)) && echo "FAILED: $failed step(s)" || echo 'all 5 steps passed') in $((SECONDS - t_start))s"
((failed == 0))
