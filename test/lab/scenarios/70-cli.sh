# shellcheck shell=bash
# The CLI on real VFs: doctor, vfs, attach (a free VF picked from the pool), status, and the
# hook's own time for a start with 2 VFs (for the benchmarks).
. "$PROJECT/test/lab/guest/virt-sriov.sh"
vs_config "\"pfs\": { \"$PF\": { \"numVfs\": 3 } }"

virt-sriov doctor --json > "$LAB_SCENARIO_OUT/doctor.json"
for id in iommu-groups vfio-pci sriov-nics "sriov-nic:$PF" hooks-installed daemon-restarted domcapabilities-vfio; do
  check_eq "doctor: $id is ok" ok "$(jq -r --arg id "$id" '.checks[] | select(.id == $id) | .status' "$LAB_SCENARIO_OUT/doctor.json")"
done
check_match "doctor names igb's missing link-state control" "igb" "$(jq -r '.checks[] | select(.id | startswith("driver-quirk")) | .summary' "$LAB_SCENARIO_OUT/doctor.json")"

check "vfs $PF --count 3" virt-sriov vfs "$PF" --count 3
check_eq "the kernel has 3 VFs" 3 "$(< "/sys/class/net/$PF/device/sriov_numvfs")"
lab_vfs 3 > /dev/null || true   # wait for the VF netdevs and learn the addresses

check "define a guest without NICs" vs_define l2-cli "" ""
check "attach --pf picks a free VF" virt-sriov attach l2-cli --pf "$PF" --mac 52:54:00:ee:00:01 --vlan 470 --trust on
check "attach a second NIC" virt-sriov attach l2-cli --pf "$PF" --mac 52:54:00:ee:00:02 --vlan 471
check_match "two different VFs in the definition" "function='0x0'.*function='0x2'" "$(virsh dumpxml --inactive l2-cli | tr -d '\n')"
check_match "status shows l2-cli holding VF 0" "\"domain\":\"l2-cli\"" "$(virt-sriov status --json | jq -c '.pfs[0].vfs[0].domain')"
if check "virsh start l2-cli" virsh start l2-cli; then
  check_eq "VF 0: the first NIC's MAC, VLAN 470, trust on" "52:54:00:ee:00:01 470 true" "$(vs_vf_state 0 | awk '{print $1, $2, $3}')"
  check_eq "VF 1: the second NIC's MAC, VLAN 471, trust off" "52:54:00:ee:00:02 471 false" "$(vs_vf_state 1 | awk '{print $1, $2, $3}')"
  check_fails "vfs refuses to remove VFs the running guest holds" virt-sriov vfs "$PF" --count 1
  vs_log_last qemu start l2-cli | jq -c '{op, durationMs, vfs: (.vfs | length), changes: (.changes | length)}' > "$LAB_SCENARIO_OUT/hook-start-2vfs.json"
  check_match "the start hook's own duration is logged" '"durationMs":[0-9]+' "$(cat "$LAB_SCENARIO_OUT/hook-start-2vfs.json")"
  check "virsh destroy" virsh destroy l2-cli
fi
check "detach the second NIC" virt-sriov detach l2-cli --mac 52:54:00:ee:00:02
check_fails "its VF is gone from the definition" sh -c "virsh dumpxml --inactive l2-cli | grep -q 52:54:00:ee:00:02"
vs_cleanup
