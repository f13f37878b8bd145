# shellcheck shell=bash
# After a reboot VFs are gone (sriov_numvfs 0), on a host set up only with the CLI (no pfs in
# the config): a <hostdev> guest's start makes its VF from the PF's sriov_offset/sriov_stride;
# a count set with `vfs --count` is recorded and made again at boot (the daemon hook, run by
# libvirtd's start); VFs made by hand are kept once `vfs --count` adopts them.
. "$PROJECT/test/lab/guest/virt-sriov.sh"
vs_config ""
dev=/sys/class/net/$PF/device
check_eq "igb's SR-IOV capability: first VF at +128, stride 2" "128 2" "$(< "$dev/sriov_offset") $(< "$dev/sriov_stride")"
check "2 VFs, to learn their addresses" lab_vfs 2 || exit 1
vf1=${VF_PCI[1]}
check "define l2-boot on VF 1" vs_define l2-boot "<sriov:vf pci='$vf1' vlan='460'/>" "$(vs_hostdev_xml "$vf1")"
check "simulated reboot: 0 VFs" lab_vfs 0
check_fails "VF 1 is gone" test -e "/sys/bus/pci/devices/$vf1"
if check "virsh start l2-boot, with no pfs in the config" virsh start l2-boot; then
  check_eq "prepare made VFs 0 and 1 (VF 1's PF and index from sriov_offset/sriov_stride)" 2 "$(< "$dev/sriov_numvfs")"
  check_match "and logged it" "VFs 0 -> 2" "$(vs_log_last qemu prepare l2-boot)"
  check_eq "VF 1 is on the guest's VLAN" 460 "$(vs_vf '.vlan_list[0].vlan' 1)"
  check "virsh destroy" virsh destroy l2-boot
fi
virsh undefine l2-boot > /dev/null

numvfs_is() { [[ $(< "$dev/sriov_numvfs") == "$1" ]]; }
check "virt-sriov vfs $PF --count 3" virt-sriov vfs "$PF" --count 3
check_eq "the config records it" 3 "$(jq -r --arg pf "$PF" '.pfs[$pf].numVfs' "$VS_CONFIG")"
check "simulated reboot: 0 VFs, then libvirtd starts" sh -c "echo 0 > $dev/sriov_numvfs"
check "libvirtd restarted (the daemon hook runs at its start)" lab_libvirtd_restart
check "the daemon hook made the 3 recorded VFs" lab_wait 30 "3 VFs" numvfs_is 3

# the seed's way, by hand: doctor warns until they are recorded, and vfs --count adopts them
check "5 VFs by hand (echo 0, echo 5 > sriov_numvfs)" lab_vfs 5
virt-sriov doctor --json > "$LAB_SCENARIO_OUT/doctor.json"
check_match "doctor warns that the live count isn't recorded, with the command that records it" \
  "warn .*has 5 VFs, but only 3 are recorded.*virt-sriov vfs $PF --count 5" \
  "$(jq -r --arg id "sriov-nic:$PF" '.checks[] | select(.id == $id) | "\(.status) \(.summary) \(.fix)"' "$LAB_SCENARIO_OUT/doctor.json")"
check_match "vfs --count 5 adopts them" "already 5 VFs; recorded in" "$(virt-sriov vfs "$PF" --count 5)"
check "simulated reboot: 0 VFs" sh -c "echo 0 > $dev/sriov_numvfs"
check "libvirtd restarted" lab_libvirtd_restart
check "the daemon hook made the 5 adopted VFs" lab_wait 30 "5 VFs" numvfs_is 5
vs_cleanup
