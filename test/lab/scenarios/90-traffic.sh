# shellcheck shell=bash
# Traffic per guest (issue 18) on a real igb: what the PF reports per VF with `ip -s -j` (igb
# has no ndo_get_vf_stats: zeros, which status shows as n/a, never as idle), and a VF's own
# netdev counters moving with traffic, attributed to the guest defined on that VF.
. "$PROJECT/test/lab/guest/virt-sriov.sh"
vs_config ""
check "2 VFs" lab_vfs 2 || exit 1
out=$LAB_SCENARIO_OUT
ip -V > "$out/ip-version.txt" 2>&1
ip -s -j link show dev "$PF" > "$out/ip-s-j-link.json"
printf 'link show dev %s\n' "$PF" | ip -s -j -batch - > "$out/ip-s-j-batch.json"
check_eq "ip -s -j: igb's VF counters are there, all zero" "0 0" \
  "$(jq -r '[.[0].vfinfo_list[].stats | .rx.bytes + .tx.tx_bytes] | map(tostring) | join(" ")' "$out/ip-s-j-link.json")"

# VF 0 as a guest holds it (vfio-pci), VF 1 on its host driver, named by a defined guest
modprobe vfio-pci
echo vfio-pci > "/sys/bus/pci/devices/${VF_PCI[0]}/driver_override"
echo "${VF_PCI[0]}" > "/sys/bus/pci/devices/${VF_PCI[0]}/driver/unbind"
echo "${VF_PCI[0]}" > /sys/bus/pci/drivers_probe
check "define a guest on VF 1" vs_define l2-traffic "" "$(vs_iface_xml "${VF_PCI[1]}" 52:54:00:77:00:02)"
# the MAC libvirt would set before a start, then the VF driver reloaded to take it (igb says
# so in dmesg), which also gets igbvf past the PF's reset at VF creation
ip link set "$PF" vf 1 mac 52:54:00:77:00:02
echo "${VF_PCI[1]}" > /sys/bus/pci/drivers/igbvf/unbind
echo "${VF_PCI[1]}" > /sys/bus/pci/drivers/igbvf/bind
vf1_netdev() { lab_first_entry "/sys/bus/pci/devices/${VF_PCI[1]}/net" > /dev/null; }
check "igbvf binds VF 1 again" lab_wait 30 "VF 1's netdev" vf1_netdev
vf=$(lab_first_entry "/sys/bus/pci/devices/${VF_PCI[1]}/net")
ip link set "$vf" up
ip addr add 10.99.0.2/24 dev "$vf"
vf_carrier() { [[ $(cat "/sys/class/net/$vf/carrier" 2> /dev/null) == 1 ]]; }
check "VF 1's netdev $vf has a carrier" lab_wait 30 "carrier on $vf" vf_carrier
ip -d link show dev "$vf" > "$out/vf-link.txt" 2>&1
dmesg | tail -40 > "$out/dmesg-tail.txt"

virt-sriov status --json > "$out/status-before.json"
virt-sriov status > "$out/status-before.txt"
vf_json() { jq -c --argjson i "$2" ".pfs[0].vfs[\$i]" "$1"; }
check_eq "VF 0 (vfio-pci): no counters, and why" "null igb" \
  "$(vf_json "$out/status-before.json" 0 | jq -r '"\(.counters) \(.noCounters | split(" ")[0])"')"
check_eq "VF 1: its netdev's counters, held by l2-traffic by its MAC" "netdev l2-traffic 52:54:00:77:00:02" \
  "$(vf_json "$out/status-before.json" 1 | jq -r '"\(.counters.source) \(.domain.domain) \(.domain.mac)"')"
check_match "the table says igb counts no traffic per VF" "n/a: igb does not count traffic per VF" "$(cat "$out/status-before.txt")"

# traffic out of VF 1: UDP to a neighbour that never answers (ARP requests leave the VF)
vf1_tx() { virt-sriov metrics | awk '/^virt_sriov_vf_transmit_packets_total\{/ && /vf="1"/ { print $2 }'; }
tx_before=$(vf1_tx)
for _ in $(seq 20); do echo traffic > /dev/udp/10.99.0.9/9; sleep 0.1; done 2> "$out/udp-errors.txt"
sleep 1
virt-sriov status --json > "$out/status-after.json"
before=$(vf_json "$out/status-before.json" 1 | jq '.counters.txPackets')
after=$(vf_json "$out/status-after.json" 1 | jq '.counters.txPackets')
echo "VF 1 tx packets: $before -> $after"
check "status: the traffic VF 1 sent grew ($before -> $after packets)" test "$after" -gt "$before"

# the same in Prometheus's format, checked by Prometheus's own promtool
virt-sriov metrics > "$out/metrics.prom"
check "promtool check metrics: the exposition is valid and follows Prometheus's naming" promtool check metrics < "$out/metrics.prom"
tx_after=$(vf1_tx)
check "metrics: virt_sriov_vf_transmit_packets_total of VF 1 grew ($tx_before -> $tx_after)" test "${tx_after:-0}" -gt "${tx_before:-0}"
check_match "metrics: VF 0 (vfio-pci, igb) is counted by nothing" 'counted_by="none"' "$(grep '^virt_sriov_vf_info{.*vf="0"' "$out/metrics.prom")"
check_match "metrics: VFs per PF" "virt_sriov_pf_vfs_created\\{pf=\"$PF\".*\\} 2" "$(cat "$out/metrics.prom")"
mkdir -p "$out/textfile"
check "metrics --textfile writes virt-sriov.prom" virt-sriov metrics --textfile "$out/textfile"
check "the textfile is valid too" sh -c "promtool check metrics < '$out/textfile/virt-sriov.prom'"

ip addr del 10.99.0.2/24 dev "$vf"
echo > "/sys/bus/pci/devices/${VF_PCI[0]}/driver_override"
vs_cleanup 2> /dev/null
check "back to 0 VFs" lab_vfs 0
