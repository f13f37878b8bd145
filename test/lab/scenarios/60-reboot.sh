# shellcheck shell=bash
# After a reboot VFs are gone (sriov_numvfs 0): starting a <hostdev> guest creates them again.
. "$PROJECT/test/lab/guest/virt-sriov.sh"
vs_config "\"pfs\": { \"$PF\": { \"numVfs\": 2 } }"
check "2 VFs, to learn their addresses" lab_vfs 2 || exit 1
vf1=${VF_PCI[1]}
check "define l2-boot on VF 1" vs_define l2-boot "<sriov:vf pci='$vf1' vlan='460'/>" "$(vs_hostdev_xml "$vf1")"
check "simulated reboot: 0 VFs" lab_vfs 0
check_fails "VF 1 is gone" test -e "/sys/bus/pci/devices/$vf1"
if check "virsh start l2-boot" virsh start l2-boot; then
  check_eq "prepare created the configured 2 VFs" 2 "$(< "/sys/class/net/$PF/device/sriov_numvfs")"
  check_match "and logged it" "VFs 0 -> 2" "$(vs_log_last qemu prepare l2-boot)"
  check_eq "VF 1 is on the guest's VLAN" 460 "$(vs_vf '.vlan_list[0].vlan' 1)"
  check "virsh destroy" virsh destroy l2-boot
fi
vs_cleanup
