# shellcheck shell=bash
# A running Linux guest with VFs moves between two hosts (issue 17; host B: guest/host-b.sh).
# The guest acknowledges hot-unplugs, so its NICs really leave and arrive. Its NICs were
# hot-plugged (`attach --live`): what they carry is only in their VFs' records on A.
#  - a migration that fails midway (B's QEMU can't listen where it is told): the NIC unplugged
#    for it is back in the guest on A, its VF set as before; nothing stays on B;
#  - `virt-sriov migrate A -> B`: the <hostdev> NIC arrives on a VF of B with its MAC, VLAN and
#    trust (readied by B's own hook before QEMU ran there), the failover pair's VF too; A's VFs
#    are back as they were and free; how long the guest ran without its VF is measured;
#  - the failover pair alone (its <hostdev> detached on B) moves back with plain
#    `virsh migrate --live`: its VF arrives on A with its MAC and VLAN, set by A's hooks.
# lab-timeout: 600
. "$PROJECT/test/lab/guest/virt-sriov.sh"
. "$PROJECT/test/lab/guest/host-b.sh"
vs_config "\"pfs\": { \"$PF\": { \"numVfs\": 4 } }"
check "4 VFs" lab_vfs 4 || exit 1
before=()
for i in 0 1 2 3; do before[i]=$(vs_vf_state "$i"); done
AH=$(virsh hostname)
# one physical network, the PF on both hosts: the only way a VF of B may stand in for one of A's
vs_config "\"pfs\": { \"$PF\": { \"numVfs\": 4 } }, \"physicalNetworks\": { \"lab\": { \"$AH\": [\"$PF\"], \"kvm-b\": [\"$PF\"] } }"
timings=$LAB_SCENARIO_OUT/timings.txt
: > "$timings"
timing() { lab_log "timing: $*"; echo "$*" >> "$timings"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
finish() {
  cp "$VS_LOG" "$LAB_SCENARIO_OUT/host-a-virt-sriov.log" 2> /dev/null
  host_b_stop
  vs_cleanup
  ip link del labbr0 2> /dev/null
}
host_b_start || { check "start host B's libvirtd" false; finish; exit 1; }
check "mark B for migrations" virt-sriov migrate --mark-host -c "$BURI"
# the failover standby's bridge: the same on both hosts, which share one network stack; its tap
# needs /dev/net/tun (L1 has no udev to make it)
check "a bridge for the failover standby" sh -c "ip link add labbr0 type bridge && ip link set labbr0 up"
check "/dev/net/tun for its tap" sh -c "modprobe tun; [ -c /dev/net/tun ] || { mkdir -p /dev/net && mknod /dev/net/tun c 10 200; }"
# pci_of INDEX: VF INDEX's PCI address, or 'none' when no VF was found (an empty INDEX)
pci_of() { if [[ -n $1 ]]; then echo "${VF_PCI[$1]}"; else echo none; fi; }

M1=52:54:00:ee:00:21 # the <hostdev> NIC
M2=52:54:00:ee:00:22 # the failover pair
check "define l2-linux on A (no NIC)" vs_linux_define l2-linux "" "" || { finish; exit 1; }
check "start l2-linux (restored booted, or booting)" lab_l2_linux_start l2-linux || { finish; exit 1; }
check "attach --live --to hostdev: VLAN 472, trust on" \
  virt-sriov attach l2-linux --pf "$PF" --to hostdev --mac "$M1" --vlan 472 --trust on --live
check "attach --live --failover bridge:labbr0: VLAN 473" \
  virt-sriov attach l2-linux --pf "$PF" --failover bridge:labbr0 --mac "$M2" --vlan 473 --live
vf1=$(vs_vf_of_mac "$M1")
vf2=$(vs_vf_of_mac "$M2")
check_eq "the <hostdev> NIC's VF: MAC, VLAN 472, trust on" "$M1 472 true" "$(vs_vf_state "$vf1" | awk '{print $1, $2, $3}')"
check_eq "the failover VF: MAC, VLAN 473" "$M2 473" "$(vs_vf_state "$vf2" | awk '{print $1, $2}')"
check_match "the running guest's XML lists the <hostdev> NIC's settings, as a started guest's does" \
  "<[a-z0-9]+:vf pci=.$(pci_of "$vf1"). mac=.$M1. vlan=.472. trust=.on./>" "$(virsh dumpxml l2-linux)"
set1=$(vs_vf_state "$vf1")
set2=$(vs_vf_state "$vf2")
check "l2-linux is up (it must acknowledge the unplugs)" lab_l2_wait_booted l2-linux 300 || { finish; exit 1; }

# ------------------------------------------------------------ a migration that fails midway
out=$(virt-sriov migrate l2-linux "$BURI" --live --migrateuri tcp://192.0.2.1:49152 2>&1)
check_eq "migrate to B, B's QEMU told to listen where it can't: fails" 1 "$?"
echo "$out" > "$LAB_SCENARIO_OUT/failed.txt"
check_match "... the guest stays on A, its NIC plugged back in" "The guest stays on .*hostdev .* plugged back in" "$out"
check "... running on A" vs_running l2-linux
check_eq "... the <hostdev> NIC's VF set as before (MAC, VLAN 472, trust on)" "$set1" "$(vs_vf_state "$vf1")"
check_eq "... and the guest's again (vfio-pci)" vfio-pci "$(lab_pci_driver "$(pci_of "$vf1")")"
check_match "... in the guest's live XML" "$(lab_pci_xml "$(pci_of "$vf1")")" "$(virsh dumpxml l2-linux)"
check_eq "... the failover VF as before" "$set2" "$(vs_vf_state "$vf2")"
check_fails "... B has no l2-linux" virsh -c "$BURI" dominfo l2-linux
check_eq "... B holds no VF" "" "$(host_b ls /run/virt-sriov/vfs 2> /dev/null)"

# ------------------------------------------------------------ virt-sriov migrate A -> B
t=$(now)
out=$(virt-sriov migrate l2-linux "$BURI" --live --migrateuri tcp://127.0.0.1:49152 2>&1)
check_eq "virt-sriov migrate l2-linux to B" 0 "$?"
timing "virt-sriov migrate A -> B: $(since "$t") s"
echo "$out" > "$LAB_SCENARIO_OUT/migrated.txt"
without=$(sed -n 's/.*ran without its VF for \([0-9.]*\) s.*/\1/p' <<< "$out" | head -1)
timing "the <hostdev> NIC: the guest ran without its VF for ${without:-?} s"
check_match "... it says how long the guest ran without its VF" "ran without its VF for [0-9.]+ s" "$out"
check_eq "... l2-linux runs on B" running "$(virsh -c "$BURI" domstate l2-linux 2> /dev/null)"
check_fails "... and no longer on A" vs_running l2-linux
b1=$(vs_vf_of_mac "$M1")
b2=$(vs_vf_of_mac "$M2")
check_eq "... the <hostdev> NIC arrives on B: MAC, VLAN 472, trust on" "$M1 472 true" "$(vs_vf_state "$b1" | awk '{print $1, $2, $3}')"
check_eq "... on a VF of B's, bound for its guest (vfio-pci)" vfio-pci "$(lab_pci_driver "$(pci_of "$b1")")"
check_match "... in the guest's live XML on B" "$(lab_pci_xml "$(pci_of "$b1")")" "$(virsh -c "$BURI" dumpxml l2-linux)"
check_eq "... B's own record holds it for l2-linux" l2-linux "$(host_b jq -r .owner.name "/run/virt-sriov/vfs/$(pci_of "$b1").json" 2> /dev/null)"
check_eq "... the failover VF arrives on B: MAC, VLAN 473" "$M2 473" "$(vs_vf_state "$b2" | awk '{print $1, $2}')"
check_eq "... the NIC list to plug in is gone from B's live XML" 0 "$(virsh -c "$BURI" dumpxml l2-linux | grep -c 'sriov:arriving')"
for i in "$vf1" "$vf2"; do
  if [[ $i != "$b1" && $i != "$b2" ]]; then
    check_eq "... A's VF $i is back as it was before the guest" "${before[$i]}" "$(vs_vf_state "$i")"
  fi
done
check_eq "... A holds no VF" "" "$(ls /run/virt-sriov/vfs 2> /dev/null)"

# ------------------------------------------------------------ the failover pair with plain virsh
vs_hostdev_xml "$(pci_of "$b1")" > "$LAB_SCENARIO_OUT/hostdev-b.xml"
check "virsh detach-device the <hostdev> NIC on B (plain virsh can't migrate a guest with one)" \
  virsh -c "$BURI" detach-device l2-linux "$LAB_SCENARIO_OUT/hostdev-b.xml" --live
gone_on_b() { ! virsh -c "$BURI" dumpxml l2-linux | grep -q "$(lab_pci_xml "$(pci_of "$b1")")"; }
lab_wait 60 "the guest on B to let it go" gone_on_b
t=$(now)
check "plain virsh migrate --live l2-linux B -> A: the failover pair" \
  virsh -c "$BURI" migrate --live l2-linux qemu:///system --migrateuri tcp://127.0.0.1:49153
timing "plain virsh migrate --live B -> A (failover pair): $(since "$t") s"
check "... l2-linux runs on A" vs_running l2-linux
# B's release hook puts back the VF the pair had there (the two hosts share one kernel's VFs)
one_vf_with() { [[ $(vs_vf_of_mac "$1" | wc -l) == 1 ]]; }
check "... B put back the VF the pair had there" lab_wait 30 "one VF with $M2" one_vf_with "$M2"
a2=$(vs_vf_of_mac "$M2" | head -1)
check_eq "... its failover VF arrives on A: MAC, VLAN 473" "$M2 473" "$(vs_vf_state "$a2" | awk '{print $1, $2}')"
check_eq "... A's record holds it for l2-linux" l2-linux "$(jq -r .owner.name "/run/virt-sriov/vfs/$(pci_of "$a2").json" 2> /dev/null)"
check_match "... A's hook logged it" '"op":"(prepare|start)"' "$(jq -c 'select(.object == "l2-linux" and .hook == "qemu")' "$VS_LOG" | tail -3)"

check "virsh destroy l2-linux (on A)" virsh destroy l2-linux
for i in 0 1 2 3; do
  lab_wait 20 "VF $i free of the guest" test "$(lab_pci_driver "${VF_PCI[$i]}")" != vfio-pci
done
check_eq "A holds no VF at the end" "" "$(ls /run/virt-sriov/vfs 2> /dev/null)"
finish
