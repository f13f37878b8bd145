#!/bin/bash
# The README on a fresh Debian 12, as a new admin meets it (CI runs it from .ci/run). In a fresh
# root (fresh-root.sh) holding a plain clone of this repository's HEAD:
#   1. the README's first command, literally, in the clone: Debian's nodejs and npm, then
#      install.sh (npm ci from the npm registry, with no EBADENGINE warning), then status;
#   2. doctor (it runs and judges; the chroot sees this machine's kernel) and status;
#   3. hook replays: a domain without VFs (ok, and logs marks it as a replay), and empty input
#      (refused, as libvirt never gives a hook nothing);
#   4. the unit suite, on Debian's node (with promtool, as .ci/run installs it);
#   5. install.sh --uninstall, and what it leaves.
#
#   test/fresh-root/readme.sh [DIR]   DIR: where to make the root (default: a new one in /var/tmp;
#                                     removed at the end unless KEEP_ROOT=1)
#
# Each step's output is in $OUT (default .fresh-root/), one log per step; a step that fails
# prints its log's tail. Needs root (see fresh-root.sh).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
project=$(cd "$here/../.." && pwd)
root=${1:-$(mktemp -d -u /var/tmp/virt-sriov-fresh-root.XXXXXX)}
out=${OUT:-$project/.fresh-root}
fresh_root="$here/fresh-root.sh"
checkout=/root/virt-sriov

say() { printf 'fresh-root: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

cleanup() {
  if [[ ${KEEP_ROOT:-} == 1 ]]; then say "kept $root"; else bash "$fresh_root" remove "$root"; fi
}

# Run a step in the root, in the clone, as root: its output in $out/NAME.log, PASS or FAIL.
failed=0
step() {
  local name=$1 script=$2 t0=$SECONDS rc=0
  bash "$fresh_root" run "$root" bash -euo pipefail -c "cd $checkout && $script" > "$out/$name.log" 2>&1 || rc=$?
  if ((rc == 0)); then
    say "PASS $name ($((SECONDS - t0))s)"
  else
    say "FAIL $name ($((SECONDS - t0))s, exit $rc; $out/$name.log):"
    tail -n 25 "$out/$name.log" | sed 's/^/  | /' >&2
    failed=$((failed + 1))
  fi
  return 0
}

t_start=$SECONDS
[[ $(id -u) -eq 0 ]] || die "needs root (debootstrap, chroot)"
[[ -z $(git -C "$project" status --porcelain --untracked-files=no) ]] ||
  say "note: uncommitted changes in $project are not in the clone: it holds HEAD"
# the README's first command: the first line of its first sh block that is not a comment
command=$(awk '/^```sh/ { block = 1; next } /^```/ { if (block) exit } block && !/^#/ && NF { print; exit }' "$project/README.md")
[[ $command == *'./install.sh'* ]] || die "the README's first command does not run ./install.sh: '$command' (did the README change?)"
mkdir -p "$out"
rm -f "$out"/*.log

trap cleanup EXIT
bash "$fresh_root" create "$root"
git clone --quiet --no-hardlinks "$project" "$root$checkout"
say "README's first command: $command"

step 1-readme "$command"'
  node --version | grep -q "^v18\." || { echo "not Debian'\''s node 18: $(command -v node) $(node --version)"; exit 1; }'
# every dependency supports the floor: npm ci (in install.sh) warns about none
if grep -q EBADENGINE "$out/1-readme.log"; then
  say "FAIL 1-readme: npm warned EBADENGINE:"; grep -A3 EBADENGINE "$out/1-readme.log" | sed 's/^/  | /' >&2
  failed=$((failed + 1))
fi

step 2-doctor-status '
  rc=0; virt-sriov doctor --json > /tmp/doctor.json || rc=$?
  [ "$rc" -le 1 ] || { echo "doctor exited $rc"; exit 1; }
  node -e "const c = JSON.parse(require(\"fs\").readFileSync(\"/tmp/doctor.json\", \"utf8\")).checks; if (c.length < 10) process.exit(1); for (const x of c) console.log(x.status.padEnd(5), x.id, \"-\", x.summary)"
  virt-sriov status | tee /tmp/status.txt
  ! grep -q "^No SR-IOV NIC" /tmp/status.txt || grep -q "virt-sriov doctor" /tmp/status.txt'

step 3-hook-replay '
  echo "<domain type='\''kvm'\''><name>fresh</name><devices/></domain>" | virt-sriov hook qemu fresh prepare begin -
  virt-sriov logs --domain fresh | tee /tmp/logs.txt
  grep -q "qemu prepare .*fresh .*ok .*(replay: virt-sriov hook)" /tmp/logs.txt
  rc=0; virt-sriov hook qemu fresh prepare begin - < /dev/null 2> /tmp/empty.err || rc=$?
  cat /tmp/empty.err
  [ "$rc" = 2 ] && grep -q "no XML on stdin" /tmp/empty.err'

# the unit suite checks the Prometheus rules and text it makes with promtool, as .ci/run installs it
step 4-unit-suite '
  apt-get install -y --no-install-recommends prometheus > /dev/null
  npm run test:unit'

step 5-uninstall '
  ./install.sh --uninstall
  for f in /usr/local/bin/virt-sriov /usr/local/lib/virt-sriov /etc/libvirt/hooks/qemu.d/virt-sriov /etc/virt-sriov/config.json; do
    [ ! -e "$f" ] || { echo "left behind: $f"; exit 1; }
  done
  echo "left, as the README says:"; ls -d /var/log/libvirt/virt-sriov.log* /run/virt-sriov 2>/dev/null || true'

say "$( ((failed)) && echo "FAILED: $failed check(s)" || echo 'all 5 steps passed') in $((SECONDS - t_start))s"
((failed == 0))
