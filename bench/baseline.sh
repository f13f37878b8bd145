#!/bin/sh
# Build another revision's dist/ for `npm run bench -- --baseline DIR`, without touching the work
# tree or the index: `git archive REV` unpacked in $TMPDIR/virt-sriov-bench-baseline-SHA (outside
# the project, where jest would find a second package.json of the same name), the project's
# node_modules linked in, its own scripts/build.mjs run there. Prints the dist/ it built.
# (`npm run bench -- --baseline REV` calls this itself.)
set -eu
rev=${1:?usage: bench/baseline.sh REV}
here=$(cd "$(dirname "$0")/.." && pwd)
sha=$(git -C "$here" rev-parse --short "$rev^{commit}")
out="${TMPDIR:-/tmp}/virt-sriov-bench-baseline-$sha"
rm -rf "$out"
mkdir -p "$out"
git -C "$here" archive "$sha" | tar -x -C "$out"
ln -s "$here/node_modules" "$out/node_modules"
(cd "$out" && node scripts/build.mjs >&2)
echo "$out/dist"
