# shellcheck shell=bash
# The seed's flow: the sriov network from `virt-sriov network`, net-define and net-start on a
# PF with no VFs (the network hook creates them), and a guest on the pool with a VLAN.
. "$PROJECT/test/lab/guest/virt-sriov.sh"
vs_config "\"pfs\": { \"$PF\": { \"numVfs\": 3 } }"

check_eq "$PF starts with 0 VFs" 0 "$(< "/sys/class/net/$PF/device/sriov_numvfs")"
check "virt-sriov network generates the pool" sh -c "virt-sriov network --name sriov --pf $PF > $LAB_SCENARIO_OUT/sriov.xml"
check_match "it is a hostdev network on $PF" "<forward mode='hostdev' managed='yes'>.*<pf dev='$PF'/>" "$(tr -d '\n' < "$LAB_SCENARIO_OUT/sriov.xml")"
check "virsh net-define" virsh net-define "$LAB_SCENARIO_OUT/sriov.xml"
check "virsh net-start on a PF with 0 VFs" virsh net-start sriov || exit 1
check_eq "the network hook created the configured 3 VFs" 3 "$(< "/sys/class/net/$PF/device/sriov_numvfs")"
check_match "the network hook logged it" '"result":"ok".*VFs 0 -> 3' "$(vs_log_last network start sriov)"

check "define a guest on the pool with VLAN 403" vs_define l2-pool "" "$(vs_net_xml sriov 52:54:00:bb:00:01 403)"
if check "virsh start l2-pool" virsh start l2-pool; then
  vf=$(vs_vf_of_mac 52:54:00:bb:00:01)
  check_match "a VF of the pool carries the guest's MAC" '^[0-9]+$' "$vf"
  check_eq "that VF is on VLAN 403" 403 "$(vs_vf '.vlan_list[0].vlan' "$vf")"
  check_match "port-created claimed it for l2-pool" '"result":"ok"' "$(vs_log_last network port-created sriov)"
  check "virsh destroy l2-pool" virsh destroy l2-pool
  check_eq "the VF is off VLAN 403 after the guest" 0 "$(vs_vf '.vlan_list[0].vlan // 0' "$vf")"
  check_eq "no VF keeps the guest's MAC" "" "$(vs_vf_of_mac 52:54:00:bb:00:01)"
fi
check "virsh net-destroy" virsh net-destroy sriov
vs_cleanup
