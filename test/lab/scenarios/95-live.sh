# shellcheck shell=bash
# Live operations on real VFs, with one running OS-less L2 guest. QEMU hot-plugs a PCI device
# without a guest OS, but an unplug waits for one to acknowledge it: here detach --live ends in
# its timeout, which is the path it takes on a guest that never lets go (96-watch has a Linux
# guest, which does).
#  - attach --live (hostdev and interface styles): the VF has every setting when libvirt plugs it in;
#  - set --live: VLAN and trust changed on the spot, logged from what to what;
#  - detach --live: the guest does not let go, said so; the VF stays claimed;
#  - virsh destroy of a guest holding live-attached VFs: each goes back as it was, none claimed.
. "$PROJECT/test/lab/guest/virt-sriov.sh"
vs_config "\"pfs\": { \"$PF\": { \"numVfs\": 2 } }"
check "2 VFs" lab_vfs 2 || exit 1
before0=$(vs_vf_state 0)
before1=$(vs_vf_state 1)

check "define a guest with no NIC" vs_define l2-live "" ""
check "virsh start l2-live" virsh start l2-live || { vs_cleanup; exit 1; }

check "attach --live --to hostdev" virt-sriov attach l2-live --pf "$PF" --to hostdev --mac 52:54:00:dd:00:01 \
  --vlan 480 --trust on --spoofchk off --max-tx-rate 100 --live
check_eq "VF 0: the guest's MAC, VLAN 480, trust on, spoofchk off, max tx 100" "52:54:00:dd:00:01 480 true false 100" "$(vs_vf_state 0)"
check_eq "VF 0 is the guest's (vfio-pci)" vfio-pci "$(lab_pci_driver "${VF_PCI[0]}")"
check_eq "the running guest has VF 0, its definition not (--live)" "1 0" \
  "$(virsh dumpxml l2-live | grep -c "$(lab_pci_xml "${VF_PCI[0]}")") $(virsh dumpxml --inactive l2-live | grep -c "$(lab_pci_xml "${VF_PCI[0]}")")"
check_match "the log has every setting put on VF 0" '"setting":"trust","from":"off","to":"on"' "$(vs_log_last cli attach l2-live)"

check "attach (the default for a running guest: --current, live), interface style" \
  virt-sriov attach l2-live --pf "$PF" --mac 52:54:00:dd:00:02 --vlan 481:3 --trust on
check_eq "VF 1: the guest's MAC, VLAN 481, trust on" "52:54:00:dd:00:02 481 true" "$(vs_vf_state 1 | awk '{print $1, $2, $3}')"
check_eq "VF 1: VLAN priority 3 (libvirt's <vlan> has none: put back once plugged in)" 3 "$(vs_vf '.vlan_list[0].qos' 1)"
check_match "libvirt plugged it in tagged: VLAN 481 in the running XML" "<tag id='481'/>" "$(virsh dumpxml l2-live)"

check "set --live: VLAN 482, trust off" virt-sriov set l2-live --mac 52:54:00:dd:00:02 --vlan 482 --trust off
check_eq "VF 1: VLAN 482, trust off" "482 false" "$(vs_vf_state 1 | awk '{print $2, $3}')"
check_match "the log says from what to what" '"setting":"vlan","from":"481:3","to":"482"' "$(vs_log_last cli set l2-live)"

out=$(virt-sriov detach l2-live --mac 52:54:00:dd:00:02 --wait 3 2>&1)
check_eq "detach --live fails: the guest has no OS to acknowledge the unplug" 1 "$?"
check_match "... and says so, with what to do" "has not let .* go after 3 s: its OS did not acknowledge the unplug" "$out"
check_eq "VF 1 stays claimed for l2-live" l2-live "$(jq -r .owner.name "/run/virt-sriov/vfs/${VF_PCI[1]}.json")"

check "virsh destroy l2-live" virsh destroy l2-live
lab_wait 20 "VF 0 back on its host driver" test "$(lab_pci_driver "${VF_PCI[0]}")" = igbvf
lab_wait 20 "VF 1 back on its host driver" test "$(lab_pci_driver "${VF_PCI[1]}")" = igbvf
check_eq "VF 0 is back as it was before the guest" "$before0" "$(vs_vf_state 0)"
check_eq "VF 1 is back as it was before the guest" "$before1" "$(vs_vf_state 1)"
check_eq "no VF is claimed" "" "$(ls /run/virt-sriov/vfs 2> /dev/null)"
vs_cleanup
