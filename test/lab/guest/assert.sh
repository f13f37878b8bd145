# shellcheck shell=bash
# Assertions for lab scenarios (sourced for every scenario, see README.md).
#
# Each check prints "PASS: description" or "FAIL: description" (plus the
# command's output, indented) to the scenario's log and records the result in
# $LAB_CHECKS_FILE, which the runner reads: one failed check fails the scenario.
# A check returns 0 when it passed and 1 when it failed, so a scenario can stop
# where going on makes no sense:   check "2 VFs" lab_vfs 2 || exit 1
# (Don't use set -e in a scenario unless the first failed check should end it.)
#
#   check DESCRIPTION CMD [ARGS...]        passes if CMD exits 0
#   check_fails DESCRIPTION CMD [ARGS...]  passes if CMD exits non-zero
#   check_eq DESCRIPTION EXPECTED ACTUAL   passes if the two strings are equal
#   check_match DESCRIPTION REGEX ACTUAL   passes if ACTUAL matches the extended regex
#
# CMD runs in the scenario's own shell (a function may set variables), with
# stdin from /dev/null.

LAB_CHECKS_FILE=${LAB_CHECKS_FILE:-/dev/null}

_lab_record() { # PASS|FAIL DESCRIPTION [NOTE]
  local desc=${2//$'\n'/ }
  printf '%s: %s%s\n' "$1" "$desc" "${3:-}"
  printf '%s\t%s\n' "$1" "${desc//$'\t'/ }" >> "$LAB_CHECKS_FILE"
  [[ $1 == PASS ]]
}

# Runs CMD with its output captured (indented, blank lines dropped, in
# _LAB_CHECK_OUTPUT) and its duration (in _LAB_CHECK_TIME, shown if >= 1 s).
# Only builtins around CMD: starting a process costs a lot under TCG.
_lab_check_run() {
  local out=${TMPDIR:-/tmp}/lab-check-output.$BASHPID rc=0 line t0=${EPOCHREALTIME/[.,]/}
  "$@" < /dev/null > "$out" 2>&1 || rc=$?
  t0=$(((${EPOCHREALTIME/[.,]/} - t0) / 100000))
  _LAB_CHECK_TIME=
  ((t0 < 10)) || _LAB_CHECK_TIME=" ($((t0 / 10)).$((t0 % 10))s)"
  _LAB_CHECK_OUTPUT=
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line == *[![:space:]]* ]] && _LAB_CHECK_OUTPUT+="    | $line"$'\n'
  done < "$out"
  : > "$out"
  return "$rc"
}

check() {
  local desc=$1 rc=0
  shift
  _lab_check_run "$@" || rc=$?
  if ((rc == 0)); then
    _lab_record PASS "$desc" "$_LAB_CHECK_TIME"
  else
    _lab_record FAIL "$desc" "$_LAB_CHECK_TIME"
    echo "    \$ $* (exit status $rc)"
  fi
  printf '%s' "$_LAB_CHECK_OUTPUT"
  ((rc == 0))
}

check_fails() {
  local desc=$1 rc=0
  shift
  _lab_check_run "$@" || rc=$?
  if ((rc != 0)); then
    _lab_record PASS "$desc" "$_LAB_CHECK_TIME"
    echo "    \$ $* (exit status $rc, as expected)"
  else
    _lab_record FAIL "$desc" "$_LAB_CHECK_TIME"
    echo "    \$ $* (exit status 0: expected a failure)"
  fi
  printf '%s' "$_LAB_CHECK_OUTPUT"
  ((rc != 0))
}

check_eq() {
  if [[ $2 == "$3" ]]; then
    _lab_record PASS "$1"
  else
    _lab_record FAIL "$1"
    printf "    expected: '%s'\n    actual:   '%s'\n" "$2" "$3"
    return 1
  fi
}

check_match() {
  if [[ $3 =~ $2 ]]; then
    _lab_record PASS "$1"
  else
    _lab_record FAIL "$1"
    printf "    regex:  %s\n    actual: '%s'\n" "$2" "$3"
    return 1
  fi
}
