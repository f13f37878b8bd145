# shellcheck shell=bash
# Live operations that need a guest OS, and the watcher, on real VFs: one L2 guest running
# Linux (lab_l2_linux_domain_xml: it acknowledges a hot-unplug), restored booted from the lab's
# image (or, without one, booting while the hot-plugs, which need no OS, go on) (issue 16).
#  - plain `virsh attach-device --live` of a <hostdev> VF, `virt-sriov watch` running: the VF gets
#    the settings the domain's metadata gives it and is recorded; how long it carried what it had
#    before is measured (the window the README documents);
#  - a PF down and up, watcher running: a VF's VLAN and trust wiped first (as i40e and ice do on a
#    reset; igb keeps them) are put back, the drift logged;
#  - the watcher killed, a VF hot-plugged while it is down (it keeps what it had), the watcher
#    started again: it reconciles;
#  - `virt-sriov detach --live` of a VF `attach --live` gave: the guest lets go, the VF is back as
#    it was (MAC, VLAN, trust) and free;
#  - plain `virsh detach-device --live`, watcher running: the VF is back as it was and free;
#  - virsh destroy: the VFs left go back as they were, none claimed.
# (95-live has the OS-less guest: an unplug it never acknowledges.)
. "$PROJECT/test/lab/guest/virt-sriov.sh"
vs_config "\"pfs\": { \"$PF\": { \"numVfs\": 4 } }"
check "4 VFs" lab_vfs 4 || exit 1
before=()
for i in 0 1 2 3; do before[i]=$(vs_vf_state "$i"); done
timings=$LAB_SCENARIO_OUT/timings.txt
: > "$timings"
timing() { lab_log "timing: $*"; echo "$*" >> "$timings"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# VF 1 and VF 2 come with plain virsh: the metadata names them ahead of the hot-plug
md="<sriov:vf pci='${VF_PCI[1]}' mac='52:54:00:ee:00:11' vlan='491' trust='on' spoofchk='off'/>
      <sriov:vf pci='${VF_PCI[2]}' mac='52:54:00:ee:00:12' vlan='492' trust='on'/>"
check "define a Linux guest with no NIC, settings in its metadata for VFs 1 and 2 (hot-plugs to come)" vs_linux_define l2-linux "$md" "" || exit 1
t_boot=$(now)
check "start l2-linux (restored booted, or booting)" lab_l2_linux_start l2-linux || { vs_cleanup; exit 1; }
timing "start (Linux guest, no VF): $(since "$t_boot") s"

check "attach --live --to hostdev: MAC, VLAN 490, trust on" \
  virt-sriov attach l2-linux --pf "$PF" --to hostdev --mac 52:54:00:ee:00:10 --vlan 490 --trust on --live
vf_a=$(vs_vf_of_mac 52:54:00:ee:00:10)
check_eq "attach --live took the first free VF, 0" 0 "$vf_a"

# ---------------------------------------------------------------- the watcher
watch_log=$LAB_SCENARIO_OUT/watch.log
watch_pid=
watch_start() {
  echo "--- started at $(date +%T.%N)" >> "$watch_log"
  virt-sriov watch >> "$watch_log" 2>&1 &
  watch_pid=$!
  lab_wait 60 "the watcher to start" grep -q "watching" "$watch_log"
}
watch_stop() { # SIGNAL
  [[ -n $watch_pid ]] || return 0
  kill "-$1" "$watch_pid" 2> /dev/null
  lab_wait 20 "the watcher ($watch_pid) to exit" _lab_pid_gone "$watch_pid"
  wait "$watch_pid" 2> /dev/null
  watch_pid=
}
# vf_is INDEX "mac vlan trust spoofchk max_tx": the VF's live settings are these
vf_is() { [[ $(vs_vf_state "$1") == "$2" ]]; }
record_of() { jq -r '"\(.owner.name) \(.phase)"' "/run/virt-sriov/vfs/${VF_PCI[$1]}.json" 2> /dev/null; }
freed() { [[ ! -e /run/virt-sriov/vfs/${VF_PCI[$1]}.json ]]; }
hostdev_file() { # INDEX: a plain <hostdev> for virsh attach-device / detach-device
  vs_hostdev_xml "${VF_PCI[$1]}" > "$LAB_SCENARIO_OUT/vf$1.xml"
  echo "$LAB_SCENARIO_OUT/vf$1.xml"
}
watch_lines() { jq -c --arg n l2-linux 'select(.hook == "watch" and .object == $n)' "$VS_LOG" 2> /dev/null; }

check "virt-sriov watch starts" watch_start

want1="52:54:00:ee:00:11 491 true false 0"
t0=$(now)
check "plain virsh attach-device --live: VF 1 as a <hostdev>" virsh attach-device l2-linux "$(hostdev_file 1)" --live
t_virsh=$(since "$t0")
check "the watcher puts the metadata's settings on VF 1 (MAC, VLAN 491, trust on, spoofchk off)" lab_wait 60 "VF 1 settled" vf_is 1 "$want1"
timing "plain attach-device -> VF 1 settled: $(since "$t0") s from the call ($t_virsh s in virsh); the watcher's reconcile: $(watch_lines | jq -rs 'map(select(.op == "device-added"))[0].durationMs // "?"') ms"
check_eq "VF 1 is recorded for l2-linux, running" "l2-linux running" "$(record_of 1)"
check_match "the log says it was hot-plugged without virt-sriov, and what changed" \
  '"setting":"vlan",[^}]*"to":"491".*hot-plugged into l2-linux without virt-sriov; its settings put on' "$(watch_lines | grep device-added | tail -1)"

# A PF down and up: drivers such as i40e and ice wipe the VFs' settings when they reset; igb
# keeps them, so VF 0's are wiped by hand first, as such a reset would.
check "VF 0's VLAN and trust wiped behind virt-sriov's back" ip link set "$PF" vf 0 vlan 0 trust off
t0=$(now)
check "PF down" ip link set "$PF" down
check "PF up" ip link set "$PF" up
check "the watcher puts VF 0 right again (VLAN 490, trust on)" lab_wait 60 "VF 0 repaired" vf_is 0 "52:54:00:ee:00:10 490 true true 0"
timing "PF down/up -> VF 0 repaired: $(since "$t0") s"
check_match "the log names the drift it repaired" 'had drifted \(.*repaired.*"repaired":\[\{"pf":"'"$PF"'","vf":0,' "$(watch_lines | grep pf-up | tail -1)"
check_eq "VF 1 is still as its guest asked" "$want1" "$(vs_vf_state 1)"

# The watcher killed (SIGKILL: no chance to tidy up), a hot-plug while it is down, started again.
check "the watcher killed" watch_stop KILL
check "plain virsh attach-device --live: VF 2, nobody watching" virsh attach-device l2-linux "$(hostdev_file 2)" --live
check_eq "VF 2 carries what it had before (the window without a watcher)" "${before[2]}" "$(vs_vf_state 2)"
t0=$(now)
check "the watcher starts again" watch_start
check "... and catches up: VF 2 gets the metadata's settings (MAC, VLAN 492, trust on)" \
  lab_wait 60 "VF 2 settled" vf_is 2 "52:54:00:ee:00:12 492 true true 0"
timing "watcher restart -> VF 2 settled: $(since "$t0") s"
check_eq "VF 2 is recorded for l2-linux, running" "l2-linux running" "$(record_of 2)"
check_match "the catch-up is logged as the look at connect" 'hot-plugged into l2-linux without virt-sriov' "$(watch_lines | grep '"op":"connected"' | tail -1)"

# ---------------------------------------------------------------- unplugs: the guest OS lets go
check "the Linux guest boots" lab_l2_wait_booted l2-linux 400 || { watch_stop TERM; vs_cleanup; exit 1; }
timing "Linux guest up $(since "$t_boot") s after its start began"

t0=$(now)
out=$(virt-sriov detach l2-linux --mac 52:54:00:ee:00:10 --live 2>&1)
check_eq "virt-sriov detach --live --mac (VF 0, a <hostdev> from attach --live: its MAC is in no XML)" 0 "$?"
timing "detach --live, VF 0: $(since "$t0") s"
check_match "... unplugs it, then puts it back" "unplugged hostdev ${VF_PCI[0]} from the running guest; $PF vf 0 .* put back and freed" "$out"
check_eq "VF 0 is back as it was before the guest (MAC, VLAN, trust)" "${before[0]}" "$(vs_vf_state 0)"
check "VF 0 is free" freed 0
check_eq "VF 0 is back on igbvf" igbvf "$(lab_pci_driver "${VF_PCI[0]}")"
check_eq "the running guest has no VF 0 any more" 0 "$(virsh dumpxml l2-linux | grep -c "$(lab_pci_xml "${VF_PCI[0]}")")"

t0=$(now)
check "plain virsh detach-device --live: VF 1" virsh detach-device l2-linux "$(hostdev_file 1)" --live
check "the watcher puts VF 1 back and frees it" lab_wait 60 "VF 1 freed" freed 1
timing "plain detach-device -> VF 1 freed: $(since "$t0") s"
check_eq "VF 1 is back as it was before the guest" "${before[1]}" "$(vs_vf_state 1)"
check_match "the log says so" 'unplugged from l2-linux; restored and freed' "$(watch_lines | grep device-removed | tail -1)"

check "the guest saw its VFs go (its console)" lab_wait 30 "a PCI removal on l2-linux's console" grep -q 'pci remove' "$(lab_l2_console l2-linux)"

# ---------------------------------------------------------------- the end
check "virsh destroy l2-linux (holding VF 2)" virsh destroy l2-linux
lab_wait 20 "VF 2 back on its host driver" test "$(lab_pci_driver "${VF_PCI[2]}")" = igbvf
check_eq "VF 2 is back as it was before the guest" "${before[2]}" "$(vs_vf_state 2)"
check_eq "no VF is claimed" "" "$(ls /run/virt-sriov/vfs 2> /dev/null)"
check "the watcher stops on SIGTERM" watch_stop TERM
check_eq "the watcher reported no failure" "" "$(watch_lines | jq -r 'select(.result != "ok") | .error')"
cp "$(lab_l2_console l2-linux)" "$LAB_SCENARIO_OUT/" 2> /dev/null
vs_cleanup
