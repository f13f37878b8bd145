# shellcheck shell=bash
# The lab itself, without the project: a PF that makes VFs, per-VF settings
# through the PF, and a libvirt guest with a VF passed through with VFIO.
# If this fails, every other scenario's result means nothing.

# --- the PF
check "PF $PF exists and is driven by igb" test "$(lab_pci_driver "$PFPCI")" = igb
check_eq "PF offers 7 VFs (sriov_totalvfs)" 7 "$(< "/sys/class/net/$PF/device/sriov_totalvfs")"
check_eq "the lab starts a scenario with 0 VFs" 0 "$(< "/sys/class/net/$PF/device/sriov_numvfs")"

# --- VFs through sysfs
check "2 VFs come up (sriov_numvfs=2)" lab_vfs 2 || exit 1
check_eq "lspci lists 2 Virtual Functions" 2 "$(lspci | grep -c 'Virtual Function')"
check "virtfn0 and virtfn1 links on the PF" \
  test -L "/sys/class/net/$PF/device/virtfn0" -a -L "/sys/class/net/$PF/device/virtfn1"
check "VF 0 and VF 1 have netdevs (igbvf)" \
  test -n "${VF_NETDEV[0]}" -a -e "/sys/class/net/${VF_NETDEV[0]}" -a -n "${VF_NETDEV[1]}"
check "VF 0's physfn link points back at the PF" \
  test "$(basename "$(readlink "/sys/bus/pci/devices/${VF_PCI[0]}/physfn")")" = "$PFPCI"

# --- per-VF settings through the PF
check "ip link set $PF vf 0 mac .. vlan 403" ip link set "$PF" vf 0 mac de:ad:fe:ed:ff:01 vlan 403
vf0=$(ip -j link show dev "$PF" | jq -c '.[0].vfinfo_list[] | select(.vf == 0)')
echo "vfinfo of VF 0: $vf0"
check_eq "vfinfo_list: VF 0 MAC" de:ad:fe:ed:ff:01 "$(jq -r '.address' <<< "$vf0")"
check_eq "vfinfo_list: VF 0 VLAN" 403 "$(jq -r '.vlan_list[0].vlan' <<< "$vf0")"
check_fails "igb refuses 'state enable'" ip link set "$PF" vf 0 state enable
check "clear VF 0's VLAN" ip link set "$PF" vf 0 vlan 0

# --- a guest with VF 0 (VFIO passthrough under libvirt)
vf0_driver_is() { [[ $(lab_pci_driver "${VF_PCI[0]}") == "$1" ]]; }
lab_l2_domain_xml lab-sanity "    <interface type='hostdev' managed='yes'>
      <mac address='52:54:00:aa:00:01'/>
      <source><address type='pci' $(lab_pci_xml "${VF_PCI[0]}")/></source>
    </interface>" > "$LAB_SCENARIO_OUT/lab-sanity.xml"
check "virsh define" virsh define "$LAB_SCENARIO_OUT/lab-sanity.xml"
if check "virsh start (interface type=hostdev on VF 0)" virsh start lab-sanity; then
  check_eq "guest is running" running "$(virsh domstate lab-sanity)"
  check_eq "VF 0 is bound to vfio-pci while the guest runs" vfio-pci "$(lab_pci_driver "${VF_PCI[0]}")"
  check_eq "libvirt set the guest's MAC on VF 0" 52:54:00:aa:00:01 \
    "$(ip -j link show dev "$PF" | jq -r '.[0].vfinfo_list[] | select(.vf == 0) | .address')"
  check "virsh destroy" virsh destroy lab-sanity
  check "VF 0 goes back to igbvf" lab_wait 20 "igbvf on VF 0" vf0_driver_is igbvf
fi
cp "/var/log/libvirt/qemu/lab-sanity.log" "$LAB_SCENARIO_OUT/" 2> /dev/null
check "virsh undefine" virsh undefine lab-sanity

# --- back to no VFs
check "back to 0 VFs" lab_vfs 0
check_eq "no virtfn links left" "" "$(ls -d "/sys/class/net/$PF/device/virtfn"* 2> /dev/null)"
