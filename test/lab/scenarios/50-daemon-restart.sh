# shellcheck shell=bash
# The daemon restarted while guests run: they keep running and their VFs their settings. A
# network-style guest whose record was lost (a cleared state dir, or virt-sriov installed while
# it ran) is adopted as it is, and its stop leaves no MAC or VLAN of it on the free VF.
. "$PROJECT/test/lab/guest/virt-sriov.sh"
vs_config "\"pfs\": { \"$PF\": { \"numVfs\": 2 } }"
check "2 VFs" lab_vfs 2 || exit 1

check "a VF pool on $PF" sh -c "virt-sriov network --name sriov --pf $PF > $LAB_SCENARIO_OUT/sriov.xml && virsh net-define $LAB_SCENARIO_OUT/sriov.xml && virsh net-start sriov"
check "define l2-lost on the pool, VLAN 407" vs_define l2-lost "" "$(vs_net_xml sriov de:ad:fe:ed:ff:07 407)"
check "virsh start l2-lost (the pool gives it VF 0)" virsh start l2-lost || exit 1
check_eq "VF 0 has l2-lost's MAC and VLAN 407" "de:ad:fe:ed:ff:07 407" "$(vs_vf_state 0 | awk '{print $1, $2}')"
check "define l2-keep on VF 1" vs_define l2-keep "<sriov:vf pci='${VF_PCI[1]}' mac='52:54:00:dd:00:01' vlan='450' trust='on' spoofchk='off' max-tx-rate='100'/>" "$(vs_hostdev_xml "${VF_PCI[1]}")"
check "virsh start l2-keep" virsh start l2-keep || exit 1
running=$(vs_vf_state 1)
check_eq "VF 1 has the guest's settings" "52:54:00:dd:00:01 450 true false 100" "$running"

check "l2-lost's record is lost" rm "/run/virt-sriov/vfs/${VF_PCI[0]}.json"
check "restart libvirtd" lab_libvirtd_restart
check "the reconnect hook ran for l2-keep" lab_wait 30 "reconnect logged" sh -c "grep -q '\"op\":\"reconnect\".*\"object\":\"l2-keep\".*\"result\":\"ok\"' $VS_LOG"
check_match "port-created, replayed for l2-lost, adopted VF 0 as it is" "adopted for l2-lost as it is" "$(vs_log_last network port-created sriov)"
check "l2-keep is still running" vs_running l2-keep
check "l2-lost is still running" vs_running l2-lost
check_eq "VF 1 keeps its settings" "$running" "$(vs_vf_state 1)"
check "virsh destroy l2-keep" virsh destroy l2-keep
check_eq "VF 1 has no VLAN or trust after the guest" "0 false" "$(vs_vf_state 1 | awk '{print $2, $3}')"
check "virsh destroy l2-lost" virsh destroy l2-lost
check_eq "VF 0 has no VLAN after l2-lost" 0 "$(vs_vf '.vlan_list[0].vlan // 0' 0)"
check_eq "no VF keeps l2-lost's MAC" "" "$(vs_vf_of_mac de:ad:fe:ed:ff:07)"
check_eq "the hooks hold no VF once every guest is gone" "" "$(ls /run/virt-sriov/vfs 2> /dev/null)"
vs_cleanup
