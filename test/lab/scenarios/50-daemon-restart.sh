# shellcheck shell=bash
# The daemon restarted while a guest runs: the guest keeps running and its VF its settings.
. "$PROJECT/test/lab/guest/virt-sriov.sh"
vs_config "\"pfs\": { \"$PF\": { \"numVfs\": 2 } }"
check "2 VFs" lab_vfs 2 || exit 1

check "define l2-keep" vs_define l2-keep "<sriov:vf pci='${VF_PCI[0]}' mac='52:54:00:dd:00:01' vlan='450' trust='on' spoofchk='off' max-tx-rate='100'/>" "$(vs_hostdev_xml "${VF_PCI[0]}")"
check "virsh start l2-keep" virsh start l2-keep || exit 1
running=$(vs_vf_state 0)
check_eq "VF 0 has the guest's settings" "52:54:00:dd:00:01 450 true false 100" "$running"
check "restart libvirtd" lab_libvirtd_restart
check "the reconnect hook ran for l2-keep" lab_wait 30 "reconnect logged" sh -c "grep -q '\"op\":\"reconnect\".*\"object\":\"l2-keep\".*\"result\":\"ok\"' $VS_LOG"
check "l2-keep is still running" vs_running l2-keep
check_eq "VF 0 keeps its settings" "$running" "$(vs_vf_state 0)"
check "virsh destroy l2-keep" virsh destroy l2-keep
check_eq "VF 0 has no VLAN or trust after the guest" "0 false" "$(vs_vf_state 0 | awk '{print $2, $3}')"
vs_cleanup
