# shellcheck shell=bash
# A guest in each style with trust on, spoofchk off and a max tx rate (and an interface-style
# one with its VLAN only in the metadata): while it runs its VF shows exactly those settings; after `virsh destroy` the VF is back as it was and carries
# none of the guest's VLAN, MAC or trust.
. "$PROJECT/test/lab/guest/virt-sriov.sh"
vs_config "\"pfs\": { \"$PF\": { \"numVfs\": 3 } }"
check "3 VFs" lab_vfs 3 || exit 1

# style: NAME METADATA DEVICES VF_INDEX MAC VLAN
style() {
  local name=$1 md=$2 dev=$3 i=$4 mac=$5 vlan=$6 before
  before=$(vs_vf_state "$i")
  check "$name: define" vs_define "$name" "$md" "$dev" || return
  if check "$name: virsh start" virsh start "$name"; then
    check_eq "$name: VF $i has the guest's MAC, VLAN, trust on, spoofchk off, max tx 100" \
      "$mac $vlan true false 100" "$(vs_vf_state "$i")"
    check "$name: virsh destroy" virsh destroy "$name"
    lab_wait 20 "VF $i back to its host driver" test "$(lab_pci_driver "${VF_PCI[$i]}")" = igbvf
    check_eq "$name: VF $i is back as it was before the guest" "$before" "$(vs_vf_state "$i")"
    check_eq "$name: VF $i has no VLAN and no trust" "0 false" "$(vs_vf_state "$i" | awk '{print $2, $3}')"
    check_fails "$name: no VF keeps the guest's MAC" test -n "$(vs_vf_of_mac "$mac")"
  fi
  virsh undefine "$name" > /dev/null
}

style l2-hostdev "<sriov:vf pci='${VF_PCI[0]}' mac='52:54:00:aa:00:10' vlan='410' trust='on' spoofchk='off' max-tx-rate='100'/>" \
  "$(vs_hostdev_xml "${VF_PCI[0]}")" 0 52:54:00:aa:00:10 410
style l2-iface "<sriov:vf interface-mac='52:54:00:aa:00:20' trust='on' spoofchk='off' max-tx-rate='100'/>" \
  "$(vs_iface_xml "${VF_PCI[1]}" 52:54:00:aa:00:20 420)" 1 52:54:00:aa:00:20 420
# as `convert` writes it for libvirt < 0.10: the VLAN only in the metadata (libvirt sets VLAN 0)
style l2-iface-md "<sriov:vf interface-mac='52:54:00:aa:00:40' vlan='408' trust='on' spoofchk='off' max-tx-rate='100'/>" \
  "$(vs_iface_xml "${VF_PCI[1]}" 52:54:00:aa:00:40)" 1 52:54:00:aa:00:40 408

check "virsh net-define sriov" sh -c "virt-sriov network --name sriov --pf $PF > $LAB_SCENARIO_OUT/sriov.xml && virsh net-define $LAB_SCENARIO_OUT/sriov.xml && virsh net-start sriov"
# the pool gives the first free VF: 0
style l2-net "<sriov:vf interface-mac='52:54:00:aa:00:30' trust='on' spoofchk='off' max-tx-rate='100'/>" \
  "$(vs_net_xml sriov 52:54:00:aa:00:30 430)" 0 52:54:00:aa:00:30 430
check_eq "the hooks hold no VF once every guest is gone" "" "$(ls /run/virt-sriov/vfs 2> /dev/null)"
vs_cleanup
