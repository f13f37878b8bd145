# shellcheck shell=bash
# Traffic per guest (issue 18) on a real igb: what the PF reports per VF with `ip -s -j` (igb
# has no ndo_get_vf_stats: zeros, which status and metrics show as "not counted", never as an
# idle guest), a VF on its host driver counted by its own netdev, the holder named by its NIC's
# MAC, and the Prometheus exposition checked by promtool. (Counters that move need a driver with
# per-VF counters, or an igbvf netdev with a carrier: under TCG igbvf stays "PF still resetting".)
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

virt-sriov status --json > "$out/status.json"
virt-sriov status > "$out/status.txt"
vf_json() { jq -c --argjson i "$1" ".pfs[0].vfs[\$i]" "$out/status.json"; }
check_eq "VF 0 (vfio-pci): no counters, and why" "null igb" "$(vf_json 0 | jq -r '"\(.counters) \(.noCounters | split(" ")[0])"')"
check_eq "VF 1: its netdev's counters, held by l2-traffic by its MAC" "netdev l2-traffic 52:54:00:77:00:02" \
  "$(vf_json 1 | jq -r '"\(.counters.source) \(.domain.domain) \(.domain.mac)"')"
check_match "the table says igb counts no traffic per VF" "n/a: igb does not count traffic per VF" "$(cat "$out/status.txt")"

# the same in Prometheus's format, checked by Prometheus's own promtool
virt-sriov metrics > "$out/metrics.prom"
check "promtool check metrics: valid exposition, Prometheus's naming" promtool check metrics < "$out/metrics.prom"
check_match "metrics: VF 0 (vfio-pci on igb) is counted by nothing" 'counted_by="none"' "$(grep '^virt_sriov_vf_info{.*vf="0"' "$out/metrics.prom")"
check_match "metrics: VF 1's netdev counts it" 'counted_by="netdev"' "$(grep '^virt_sriov_vf_info{.*vf="1"' "$out/metrics.prom")"
check_eq "metrics: no counter series for VF 0 (igb's zeros are not traffic)" "" "$(grep '^virt_sriov_vf_receive_bytes_total{.*vf="0"' "$out/metrics.prom")"
check_match "metrics: VFs per PF" "virt_sriov_pf_vfs_created\\{pf=\"$PF\".*\\} 2" "$(cat "$out/metrics.prom")"
mkdir -p "$out/textfile"
check "metrics --textfile writes virt-sriov.prom" virt-sriov metrics --textfile "$out/textfile"
check "the textfile is valid too" sh -c "promtool check metrics < '$out/textfile/virt-sriov.prom'"

echo > "/sys/bus/pci/devices/${VF_PCI[0]}/driver_override"
vs_cleanup 2> /dev/null
check "back to 0 VFs" lab_vfs 0
