# shellcheck shell=bash
# What virt-sriov refuses, with its own message, leaving the VF as it was: a VLAN of 5000, a VF
# another running guest holds, and a setting the NIC's driver can't do (igb has no link-state
# control: refused at prepare, from the driver table).
. "$PROJECT/test/lab/guest/virt-sriov.sh"
vs_config "\"pfs\": { \"$PF\": { \"numVfs\": 2 } }"
check "2 VFs" lab_vfs 2 || exit 1

before=$(vs_vf_state 0)
check "define a guest with VLAN 5000 in its metadata" vs_define bad-vlan "<sriov:vf pci='${VF_PCI[0]}' vlan='5000'/>" "$(vs_hostdev_xml "${VF_PCI[0]}")"
check "virsh start bad-vlan fails" vs_start_fails bad-vlan
check_match "with virt-sriov's message naming the domain, the VF and the range" \
  "virt-sriov: domain bad-vlan.*${VF_PCI[0]}.*VLAN 5000 is out of range \(1-4094\)" "$VS_ERR"
check_eq "VF 0 is unchanged" "$before" "$(vs_vf_state 0)"

check "define holder on VF 1" vs_define holder "<sriov:vf pci='${VF_PCI[1]}' vlan='100'/>" "$(vs_hostdev_xml "${VF_PCI[1]}")"
check "define thief on VF 1 too" vs_define thief "<sriov:vf pci='${VF_PCI[1]}' vlan='200'/>" "$(vs_hostdev_xml "${VF_PCI[1]}")"
if check "virsh start holder" virsh start holder; then
  held=$(vs_vf_state 1)
  check "virsh start thief fails" vs_start_fails thief
  check_match "with virt-sriov's message naming thief, the VF and holder" "domain thief: VF ${VF_PCI[1]} .* is held by guest holder" "$VS_ERR"
  check "holder keeps running" vs_running holder
  check_eq "VF 1 keeps holder's settings (VLAN 100)" "$held" "$(vs_vf_state 1)"
  check "virsh destroy holder" virsh destroy holder
fi

before=$(vs_vf_state 0)
check "define a guest asking for link state enable" vs_define no-link "<sriov:vf pci='${VF_PCI[0]}' vlan='300' trust='on' link-state='enable'/>" "$(vs_hostdev_xml "${VF_PCI[0]}")"
check "virsh start no-link fails" vs_start_fails no-link
check_match "refused at prepare, naming the PF, its driver and the setting" "domain no-link: .* of PF $PF, whose driver igb can't do link state enable" "$VS_ERR"
check_match "and says how to fix it" "fix: remove this setting from the domain" "$VS_ERR"
check_eq "nothing changed: VF 0 is as it was (no VLAN 300, no trust)" "$before" "$(vs_vf_state 0)"
check_match "the log shows the refusal" '"result":"refused"' "$(vs_log_last qemu prepare no-link)"
vs_cleanup
