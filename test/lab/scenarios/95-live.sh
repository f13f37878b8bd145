# shellcheck shell=bash
# Live operations on real VFs, with one running OS-less L2 guest. QEMU hot-plugs a PCI device
# without a guest OS, but an unplug waits for one to acknowledge it: here detach --live ends in
# its timeout, which is the path it takes on a guest that never lets go (96-watch has a Linux
# guest, which does).
#  - attach --live (network, hostdev and interface styles): the VF has every setting when libvirt
#    plugs it in; on a hostdev network, the network's VLAN and config defaults under, the NIC's own
#    on top;
#  - attach --live of a network NIC the pool would put on a VF the guest has pinned: refused, the VF kept;
#  - set --live: VLAN and trust changed on the spot, logged from what to what;
#  - detach --live: the guest does not let go, said so; the VF stays claimed;
#  - virsh destroy of a guest holding live-attached VFs: each goes back as it was, none claimed.
# The network NIC comes first: libvirt's pool takes the first VF it has not given out itself, blind
# to VFs pinned to guests, so the pinned ones (picked by virt-sriov, which skips claimed VFs) come after.
. "$PROJECT/test/lab/guest/virt-sriov.sh"
vs_config "\"pfs\": { \"$PF\": { \"numVfs\": 3 } }, \"networks\": { \"pool\": { \"trust\": false, \"spoofchk\": false, \"maxTxRate\": 50 } }"
check "3 VFs" lab_vfs 3 || exit 1
before0=$(vs_vf_state 0)
before1=$(vs_vf_state 1)
before2=$(vs_vf_state 2)

check "hostdev network pool on $PF, VLAN 490 (config: trust off, spoofchk off, max tx 50)" \
  sh -c "virt-sriov network --name pool --pf $PF --vlan 490 --define && virsh net-start pool"
check "define a guest with no NIC" vs_define l2-live "" ""
check "virsh start l2-live" virsh start l2-live || { vs_cleanup; exit 1; }

check "attach --live --network pool" virt-sriov attach l2-live --network pool --mac 52:54:00:dd:00:03 --vlan 491 --trust on --live
n=$(vs_vf_of_mac 52:54:00:dd:00:03)
check_eq "the pool gave VF 0" 0 "$n"
check_eq "VF 0: the NIC's MAC, VLAN 491 and trust on over the network's; spoofchk off, max tx 50 from the config" \
  "52:54:00:dd:00:03 491 true false 50" "$(vs_vf_state 0)"
check_eq "VF 0 is the guest's (vfio-pci)" vfio-pci "$(lab_pci_driver "${VF_PCI[0]}")"
check_eq "the running guest has the NIC, its definition not (--live)" "1 0" \
  "$(virsh dumpxml l2-live | grep -c "<mac address='52:54:00:dd:00:03'/>") $(virsh dumpxml --inactive l2-live | grep -c "<mac address='52:54:00:dd:00:03'/>")"
check_eq "VF 0 claimed for l2-live, from network pool" "l2-live pool" "$(jq -r '"\(.owner.name) \(.network)"' "/run/virt-sriov/vfs/${VF_PCI[0]}.json")"
check_eq "nothing left pending in plugs/" "" "$(ls /run/virt-sriov/plugs 2> /dev/null)"
check_match "the network hook's log has the NIC's settings put on VF 0" \
  '"setting":"vlan","from":"[^"]*","to":"491".*"setting":"trust","from":"off","to":"on"' "$(vs_log_last network port-created pool)"

check "set --live on the network NIC: VLAN 492, trust off" virt-sriov set l2-live --mac 52:54:00:dd:00:03 --vlan 492 --trust off
check_eq "VF 0: VLAN 492, trust off" "492 false" "$(vs_vf_state 0 | awk '{print $2, $3}')"
check_match "the log says from what to what" '"setting":"vlan","from":"491","to":"492".*"setting":"trust","from":"on","to":"off"' "$(vs_log_last cli set l2-live)"

check "attach --live --to hostdev" virt-sriov attach l2-live --pf "$PF" --to hostdev --mac 52:54:00:dd:00:01 \
  --vlan 480 --trust on --spoofchk off --max-tx-rate 100 --live
check_eq "VF 1: the guest's MAC, VLAN 480, trust on, spoofchk off, max tx 100" "52:54:00:dd:00:01 480 true false 100" "$(vs_vf_state 1)"
check_eq "VF 1 is the guest's (vfio-pci)" vfio-pci "$(lab_pci_driver "${VF_PCI[1]}")"
check_eq "the running guest has VF 1, its definition not (--live)" "1 0" \
  "$(virsh dumpxml l2-live | grep -c "$(lab_pci_xml "${VF_PCI[1]}")") $(virsh dumpxml --inactive l2-live | grep -c "$(lab_pci_xml "${VF_PCI[1]}")")"
check_match "the log has every setting put on VF 1" '"setting":"trust","from":"off","to":"on"' "$(vs_log_last cli attach l2-live)"

check "attach (the default for a running guest: --current, live), interface style" \
  virt-sriov attach l2-live --pf "$PF" --mac 52:54:00:dd:00:02 --vlan 481:3 --trust on
check_eq "VF 2: the guest's MAC, VLAN 481, trust on" "52:54:00:dd:00:02 481 true" "$(vs_vf_state 2 | awk '{print $1, $2, $3}')"
check_eq "VF 2: VLAN priority 3 (libvirt's <vlan> has none: put back once plugged in)" 3 "$(vs_vf '.vlan_list[0].qos' 2)"
check_match "libvirt plugged it in tagged: VLAN 481 in the running XML" "<tag id='481'/>" "$(virsh dumpxml l2-live)"

check "set --live: VLAN 482, trust off" virt-sriov set l2-live --mac 52:54:00:dd:00:02 --vlan 482 --trust off
check_eq "VF 2: VLAN 482, trust off" "482 false" "$(vs_vf_state 2 | awk '{print $2, $3}')"
check_match "the log says from what to what" '"setting":"vlan","from":"481:3","to":"482"' "$(vs_log_last cli set l2-live)"

# the pool has given out only VF 0: it picks VF 1, pinned to this same guest; refused, VF 1 untouched
out=$(virt-sriov attach l2-live --network pool --mac 52:54:00:dd:00:04 --live 2>&1)
check_eq "a second NIC from the pool fails: the VF it picks is pinned to l2-live" 1 "$?"
check_match "... and says so" "held by l2-live itself, as its hostdev" "$out"
check_eq "VF 1 keeps the guest's settings, claimed as its hostdev" "52:54:00:dd:00:01 480 true false 100 l2-live hostdev" \
  "$(vs_vf_state 1) $(jq -r '"\(.owner.name) \(.style)"' "/run/virt-sriov/vfs/${VF_PCI[1]}.json")"

out=$(virt-sriov detach l2-live --mac 52:54:00:dd:00:02 --wait 3 2>&1)
check_eq "detach --live fails: the guest has no OS to acknowledge the unplug" 1 "$?"
check_match "... and says so, with what to do" "has not let .* go after 3 s: its OS did not acknowledge the unplug" "$out"
check_eq "VF 2 stays claimed for l2-live" l2-live "$(jq -r .owner.name "/run/virt-sriov/vfs/${VF_PCI[2]}.json")"

check "virsh destroy l2-live" virsh destroy l2-live
for i in 0 1 2; do lab_wait 20 "VF $i back on its host driver" test "$(lab_pci_driver "${VF_PCI[i]}")" = igbvf; done
check_eq "VF 0 (the pool's) is back as it was before the guest" "$before0" "$(vs_vf_state 0)"
check_eq "VF 1 is back as it was before the guest" "$before1" "$(vs_vf_state 1)"
check_eq "VF 2 is back as it was before the guest" "$before2" "$(vs_vf_state 2)"
check_eq "no VF is claimed" "" "$(ls /run/virt-sriov/vfs 2> /dev/null)"
vs_cleanup
