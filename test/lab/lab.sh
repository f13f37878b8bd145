#!/bin/bash
# The SR-IOV lab (npm run test:lab): prepares the host if needed (prepare.sh),
# boots the nested guest L1 once (boot.sh), runs every scenario in it, and
# reports one PASS/FAIL line per scenario, then "N passed, N failed".
# Exit status 0 only if every scenario passed; anything that keeps the lab from
# running (no QEMU >= 8, no kernel, L1 not booting, timeout) fails every scenario.
#
# Environment (all optional; boot.sh lists more):
#   LAB_TIMEOUT           overall limit in seconds, preparation included (default 900)
#   LAB_SCENARIO_TIMEOUT  per scenario, seconds (default 300)
#   LAB_ONLY              run only these scenarios: names or globs, e.g. "00-* 20-vlan"
#   LAB_OUT               where results land (default <project>/.lab/out)
#   VIRT_SRIOV_LAB_CACHE  the prepared QEMU and initramfs (default /var/cache/virt-sriov-lab)
#   LAB_SKIP_INSTALL=1    leave out the project's build and install.sh (to check the lab alone)
set -euo pipefail
# shellcheck source=test/lab/host-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/host-lib.sh"

t_start=$SECONDS
total_timeout=${LAB_TIMEOUT:-900}
export LAB_OUT=${LAB_OUT:-$PROJECT_DIR/.lab/out}

names=()
for f in "$LAB_DIR"/scenarios/[0-9][0-9]-*.sh; do
  [[ -e $f ]] || continue
  name=$(basename "$f" .sh)
  if [[ -n ${LAB_ONLY:-} ]]; then
    keep=0
    for pattern in $LAB_ONLY; do
      # shellcheck disable=SC2053  # $pattern is a glob on purpose
      [[ $name == $pattern ]] && keep=1
    done
    ((keep)) || continue
  fi
  names+=("$name")
done
((${#names[@]})) || lab_die "no scenarios in $LAB_DIR/scenarios${LAB_ONLY:+ matching LAB_ONLY=\"$LAB_ONLY\"}"

remaining() { echo $((total_timeout - (SECONDS - t_start))); }

# report RESULTS WHY: one line per scenario from RESULTS (L1's results.tsv; a
# scenario without a result there fails, WHY says why), then the final count.
# Returns non-zero unless every scenario passed.
report() {
  local results=$1 why_missing=$2 name line status secs passed failed reason np=0 nf=0
  echo
  for name in "${names[@]}"; do
    line=$(awk -F '\t' -v n="$name" '$1 == n { print; exit }' "$results" 2> /dev/null || true)
    if [[ -z $line ]]; then
      echo "FAIL $name: $why_missing"
      nf=$((nf + 1))
      continue
    fi
    IFS=$'\t' read -r _ status secs passed failed reason <<< "$line"
    if [[ $status == PASS ]]; then
      echo "PASS $name ($passed checks, ${secs}s)"
      np=$((np + 1))
    else
      echo "FAIL $name ($passed checks passed, $failed failed, ${secs}s): $reason"
      grep '^FAIL' "$LAB_OUT/scenarios/$name.checks" 2> /dev/null | cut -f2 | sed 's/^/       failed: /' || true
      [[ ! -f $LAB_OUT/scenarios/$name.log ]] || echo "       log: $LAB_OUT/scenarios/$name.log"
      nf=$((nf + 1))
    fi
  done
  echo
  lab_say "total ${SECONDS}s; results and logs in $LAB_OUT"
  echo "$np passed, $nf failed"
  ((nf == 0))
}

# --- 1. the host
lab_say "preparing (cache $LAB_CACHE)"
if ! timeout -k 10 "$(remaining)" "$LAB_DIR/prepare.sh"; then
  lab_say "ERROR: host preparation failed (see above): the lab cannot run"
  report /dev/null "not run: host preparation failed" || true
  exit 1
fi
t_prepared=$SECONDS

# the project's build: made here, where it takes seconds (under TCG in L1 it takes a minute);
# L1's install.sh installs it with --no-build
if [[ ${LAB_SKIP_INSTALL:-0} != 1 ]]; then
  lab_say "building the project (npm run build)"
  mkdir -p "$(dirname "$LAB_OUT")"
  if ! (cd "$PROJECT_DIR" && { [[ -d node_modules ]] || npm ci --no-audit --no-fund; } && npm run --silent build) > "$LAB_OUT.build.log" 2>&1; then
    lab_say "ERROR: the build failed (see $LAB_OUT.build.log): the lab cannot run"
    report /dev/null "not run: the project did not build" || true
    exit 1
  fi
fi

# --- 2. L1 and the scenarios
run_timeout=$(remaining)
if ((run_timeout < 60)); then
  lab_say "ERROR: only ${run_timeout}s of LAB_TIMEOUT=${total_timeout}s left after preparation"
  report /dev/null "not run: no time left (LAB_TIMEOUT)" || true
  exit 1
fi
export LAB_RUN_TIMEOUT=$run_timeout LAB_SCENARIO_LIST="${names[*]}"

# boot.sh kills L1 on its way out; make sure it is told to go if we are stopped.
boot_pid=
stop_boot() { [[ -z $boot_pid ]] || kill -TERM "$boot_pid" 2> /dev/null || true; }
interrupted() {
  lab_say "ERROR: interrupted by SIG$1: stopping L1; no results"
  exit "$2"
}
trap stop_boot EXIT
trap 'interrupted HUP 129' HUP
trap 'interrupted INT 130' INT
trap 'interrupted TERM 143' TERM
pdeath=()
command -v setpriv > /dev/null && pdeath=(setpriv --pdeathsig TERM)
"${pdeath[@]}" "$LAB_DIR/boot.sh" &
boot_pid=$!
boot_rc=0
wait "$boot_pid" || boot_rc=$?
boot_pid=

lab_say "prepare $((t_prepared - t_start))s, L1 $((SECONDS - t_prepared))s"
if ((boot_rc != 0)); then
  lab_say "ERROR: the lab did not run to its end (see above and $LAB_OUT/console.log)"
  report "$LAB_OUT/results.tsv" "no result: the lab did not run to its end" || true
  exit 1
fi
if grep -qs '^setup=failed' "$LAB_OUT/status"; then
  lab_say "ERROR: L1 came up but the lab setup failed: $(sed -n 's/^setup=failed: //p' "$LAB_OUT/status")"
fi
if grep -qs '^install=failed' "$LAB_OUT/status"; then
  lab_say "ERROR: the project's install.sh failed in L1 (see $LAB_OUT/install.log)"
fi
report "$LAB_OUT/results.tsv" "no result (see $LAB_OUT/stage2.log)"
