#!/bin/bash
# Runs the lab's scenarios inside L1, in order, each in its own bash process
# under a timeout (started by stage2.sh; env: PROJECT PF PFPCI LAB_OUT LAB_GUEST).
#
# Which: LAB_SCENARIO_LIST (names without .sh, set by the host) or else every
# test/lab/scenarios/[0-9][0-9]-*.sh. Per scenario NAME, in $LAB_OUT/scenarios/:
#   NAME.log      everything it printed, check results included
#   NAME.checks   PASS|FAIL <tab> description, one line per check
#   NAME.reset.log  what putting the lab back to its start state did
#   NAME/         a place for its own artifacts ($LAB_SCENARIO_OUT)
# and one line in $LAB_OUT/results.tsv:
#   NAME <tab> PASS|FAIL <tab> seconds <tab> checks passed <tab> checks failed <tab> reason
# A scenario fails if a check failed, it exited non-zero, or it timed out.
#
# Before each scenario the lab is put back to a known state: no guests, no
# networks but those install.sh defined, /etc/libvirt and /etc/virt-sriov (and
# the project's state in /run/virt-sriov, /var/lib/virt-sriov) as after
# install.sh, libvirtd running, 0 VFs, PF up.
set -uo pipefail
# shellcheck source=test/lab/guest/lib.sh
. "$LAB_GUEST/lib.sh"

scenario_dir=$PROJECT/test/lab/scenarios
results=$LAB_OUT/results.tsv
timeout_s=${LAB_SCENARIO_TIMEOUT:-300}
mkdir -p "$LAB_OUT/scenarios"
: > "$results"


if [[ -n ${LAB_SCENARIO_LIST:-} ]]; then
  read -r -a names <<< "$LAB_SCENARIO_LIST"
else
  names=()
  for f in "$scenario_dir"/[0-9][0-9]-*.sh; do
    [[ -e $f ]] && names+=("$(basename "$f" .sh)")
  done
fi

# The state every scenario starts from, taken once the lab is set up: some
# dirs (a copy, or the absence of the dir) and the libvirt networks.
baseline=/run/lab/baseline
libvirt_dirs=(/etc/libvirt) # libvirtd restarts if it changed
project_dirs=(/etc/virt-sriov /run/virt-sriov /var/lib/virt-sriov) # read at each hook call
take_baseline() {
  local d
  rm -rf "$baseline"
  mkdir -p "$baseline"
  for d in "${libvirt_dirs[@]}" "${project_dirs[@]}"; do
    [[ -d $d ]] && cp -a "$d" "$baseline/${d//\//_}"
  done
  virsh net-list --all --name 2> /dev/null | sed '/^$/d' > "$baseline/networks"
}

# restore_dirs DIR...: puts the dirs back as in the baseline; true if any had changed.
restore_dirs() {
  local d copy changed=1
  for d in "$@"; do
    copy=$baseline/${d//\//_}
    if [[ -d $copy ]]; then
      diff -r "$copy" "$d" > /dev/null 2>&1 && continue
      rm -rf "$d"
      cp -a "$copy" "$d"
    else
      [[ -e $d ]] || continue
      rm -rf "$d"
    fi
    lab_log "reset: $d had changed, restored it"
    changed=0
  done
  return "$changed"
}

# (Every virsh call costs about a second in L1: as few as possible.)
reset_lab() {
  local d n domains networks restart=0
  lab_log "reset: start"
  if ! domains=$(timeout 30 virsh list --all --name 2> /dev/null); then
    lab_log "reset: libvirtd not answering, restarting it"
    lab_libvirtd_stop
    restart=1
  else
    for d in $domains; do
      virsh domstate "$d" 2> /dev/null | grep -qx 'shut off' || lab_run virsh destroy "$d"
      lab_run virsh undefine --nvram "$d" || lab_run virsh undefine "$d"
    done
    networks=$(virsh net-list --all --name 2> /dev/null)
    for n in $networks; do
      grep -qxF "$n" "$baseline/networks" && continue
      lab_run virsh net-destroy "$n"
      lab_run virsh net-undefine "$n"
    done
  fi
  # guests left by a killed libvirtd
  pkill -KILL -f '^/usr/bin/qemu-system-' 2> /dev/null && sleep 1
  restore_dirs "${project_dirs[@]}"
  restore_dirs "${libvirt_dirs[@]}" && restart=1
  if ((restart)); then
    lab_libvirtd_restart || lab_log "reset: libvirtd did not come back"
  fi
  echo 1 > "/sys/class/net/$PF/device/sriov_drivers_autoprobe"
  lab_vfs 0 || lab_log "reset: could not remove the VFs"
  ip link set "$PF" up
  lab_log "reset: done"
}

record() { # name status seconds passed failed reason
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$results"
  lab_progress "$2 $1 ($4 checks passed, $5 failed, $3s)${6:+: $6}"
}

if [[ -z ${LAB_SETUP_ERROR:-} && -z ${LAB_INSTALL_ERROR:-} ]]; then
  lab_log "taking the baseline"
  take_baseline
  lab_log "baseline taken"
fi

for name in "${names[@]}"; do
  file=$scenario_dir/$name.sh
  log=$LAB_OUT/scenarios/$name.log
  checks=$LAB_OUT/scenarios/$name.checks
  : > "$checks"
  if [[ -n ${LAB_SETUP_ERROR:-} ]]; then
    echo "not run: lab setup failed: $LAB_SETUP_ERROR" > "$log"
    record "$name" FAIL 0 0 0 "lab setup failed: $LAB_SETUP_ERROR"
    continue
  fi
  if [[ -n ${LAB_INSTALL_ERROR:-} ]]; then
    echo "not run: $LAB_INSTALL_ERROR (see install.log)" > "$log"
    record "$name" FAIL 0 0 0 "$LAB_INSTALL_ERROR"
    continue
  fi
  if [[ ! -f $file ]]; then
    record "$name" FAIL 0 0 0 "no such scenario: $file"
    continue
  fi

  reset_lab > "$LAB_OUT/scenarios/$name.reset.log" 2>&1
  mkdir -p "$LAB_OUT/scenarios/$name"
  # a scenario that needs longer says so in a line of its own: `# lab-timeout: SECONDS`
  # (LAB_SCENARIO_TIMEOUT, when longer, still wins)
  scenario_timeout=$(sed -n 's/^# lab-timeout: \([0-9][0-9]*\)$/\1/p' "$file" | head -1)
  ((${scenario_timeout:-0} > timeout_s)) || scenario_timeout=$timeout_s
  lab_progress "$name: running"
  start=$SECONDS
  # timeout makes its own process group: whatever the scenario left running in
  # the background is killed with it below.
  LAB_SCENARIO=$name LAB_SCENARIO_OUT=$LAB_OUT/scenarios/$name LAB_CHECKS_FILE=$checks \
    timeout -k 10 "$scenario_timeout" bash "$LAB_GUEST/run-scenario.sh" "$file" < /dev/null > "$log" 2>&1 &
  pid=$!
  wait "$pid"
  rc=$?
  kill -KILL -- "-$pid" 2> /dev/null
  secs=$((SECONDS - start))

  passed=$(grep -c '^PASS' "$checks")
  failed=$(grep -c '^FAIL' "$checks")
  reason=
  if ((rc == 124 || rc == 137)); then
    reason="timed out after ${scenario_timeout}s"
    echo "*** timed out after ${scenario_timeout}s (LAB_SCENARIO_TIMEOUT, or the scenario's lab-timeout)" >> "$log"
  elif ((rc != 0)); then
    reason="exit status $rc"
  fi
  if ((failed > 0)); then
    reason="$failed check(s) failed${reason:+, $reason}"
  fi
  if [[ -z $reason ]]; then
    record "$name" PASS "$secs" "$passed" "$failed" ""
  else
    record "$name" FAIL "$secs" "$passed" "$failed" "$reason"
  fi
done
