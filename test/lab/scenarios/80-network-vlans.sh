# shellcheck shell=bash
# VLANs libvirt knows and the domain doesn't: one on the network itself, one on a portgroup.
# Each guest runs on its network's VLAN (start keeps what libvirt set). With the reset release
# policy, each VF is left clean after its guest, whatever it had before.
. "$PROJECT/test/lab/guest/virt-sriov.sh"
vs_config "\"pfs\": { \"$PF\": { \"numVfs\": 2 } }, \"releasePolicy\": \"reset\""
check "2 VFs" lab_vfs 2 || exit 1
check "an admin's MAC on VF 0 and VF 1 before the guests" sh -c "ip link set $PF vf 0 mac 02:00:00:00:0a:00 && ip link set $PF vf 1 mac 02:00:00:00:0a:01"

cat > "$LAB_SCENARIO_OUT/vlans.xml" << EOF2
<network>
  <name>vlans</name>
  <forward mode='hostdev' managed='yes'>
    <driver name='vfio'/>
    <pf dev='$PF'/>
  </forward>
  <vlan>
    <tag id='411'/>
  </vlan>
  <portgroup name='dmz'>
    <vlan>
      <tag id='412'/>
    </vlan>
  </portgroup>
</network>
EOF2
check "virsh net-define, net-start: VLAN 411, portgroup dmz on VLAN 412" sh -c "virsh net-define $LAB_SCENARIO_OUT/vlans.xml && virsh net-start vlans"
check "define l2-netvlan (no VLAN of its own)" vs_define l2-netvlan "<sriov:vf interface-mac='52:54:00:ab:00:01' trust='on'/>" "$(vs_net_xml vlans 52:54:00:ab:00:01)"
check "define l2-portgroup (portgroup dmz)" vs_define l2-portgroup "" "$(vs_net_xml vlans 52:54:00:ab:00:02 | sed "s|<source network='vlans'/>|<source network='vlans' portgroup='dmz'/>|")"
if check "virsh start l2-netvlan" virsh start l2-netvlan && check "virsh start l2-portgroup" virsh start l2-portgroup; then
  a=$(vs_vf_of_mac 52:54:00:ab:00:01) b=$(vs_vf_of_mac 52:54:00:ab:00:02)
  check_eq "l2-netvlan's VF is on the network's VLAN 411, trust on" "411 true" "$(vs_vf_state "$a" | awk '{print $2, $3}')"
  check_eq "l2-portgroup's VF is on the portgroup's VLAN 412" 412 "$(vs_vf '.vlan_list[0].vlan' "$b")"
  check "virsh destroy both" sh -c "virsh destroy l2-netvlan && virsh destroy l2-portgroup"
  check_eq "reset: VF 0 is clean (no MAC, no VLAN, no trust)" "00:00:00:00:00:00 0 false" "$(vs_vf_state 0 | awk '{print $1, $2, $3}')"
  check_eq "reset: VF 1 is clean" "00:00:00:00:00:00 0 false" "$(vs_vf_state 1 | awk '{print $1, $2, $3}')"
fi
vs_cleanup
