#!/bin/bash
# Runs one scenario (run-scenarios.sh starts it under a timeout): the scenario
# file is sourced into this shell with lib.sh and assert.sh loaded, in $PROJECT.
# Its exit status is the scenario's: `exit N`, or that of its last command.
#
# usage: run-scenario.sh SCENARIO.sh
# shellcheck source=test/lab/guest/lib.sh
. "$LAB_GUEST/lib.sh"
# shellcheck source=test/lab/guest/assert.sh
. "$LAB_GUEST/assert.sh"
cd "$PROJECT" || exit 1
lab_log "scenario $LAB_SCENARIO: PF=$PF PFPCI=$PFPCI PROJECT=$PROJECT"
# shellcheck source=/dev/null
. "$1"
