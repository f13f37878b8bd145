# shellcheck shell=bash
# A second real driver: netdevsim, the kernel's simulated NIC, whose ndo_set_vf_* and
# ndo_get_vf_config keep each VF's settings in a table (drivers/net/netdevsim/netdev.c).
# prepare.sh builds it for L1's kernel (Debian doesn't). The qemu hook's prepare, start,
# stopped and release run on one of its VFs through `virt-sriov hook` replays, with every
# setting netdevsim can do (some igb can't: link state, min rate, query_rss), then status and
# doctor read it. No guest: netdevsim's VFs are not PCI devices, so nothing can pass them
# through, and virt-sriov finds VFs by their PCI address (virtfnN, physfn) and PFs by
# sriov_totalvfs, which netdevsim doesn't have. A small sysfs tree of the scenario's own
# (config sysfsRoot) gives the PF and its VFs those PCI links; sriov_numvfs and the PF's
# driver link lead to netdevsim's real ones, and every VF setting goes through the real `ip`
# to the real driver. The driver table's netdevsim entry is what is checked against it.
. "$PROJECT/test/lab/guest/virt-sriov.sh"

NSIM_ID=1
NSIM_DEV=/sys/bus/netdevsim/devices/netdevsim$NSIM_ID
SHIM=/run/virt-sriov-netdevsim/sys
PFADDR=0000:0a:00.0
CFG=$LAB_SCENARIO_OUT/config.json
STATE=/run/virt-sriov-netdevsim/state

if [[ ! -r ${LAB_NETDEVSIM_KO:-/nonexistent} ]]; then
  echo "no netdevsim module at ${LAB_NETDEVSIM_KO:-(LAB_NETDEVSIM_KO unset)}: prepare.sh could not build it (see its warning in the lab's output)"
  exit 1
fi
check "load psample (netdevsim needs it)" modprobe psample || exit 1
check "load netdevsim.ko (built for $(uname -r), unsigned: module signatures are not enforced)" insmod "$LAB_NETDEVSIM_KO" || exit 1
check "create netdevsim$NSIM_ID with one port" sh -c "echo '$NSIM_ID 1' > /sys/bus/netdevsim/new_device" || exit 1
lab_wait 10 "netdevsim$NSIM_ID's netdev" sh -c "ls $NSIM_DEV/net/ | grep -q ." || exit 1
NPF=$(ls "$NSIM_DEV/net/")
check "4 VFs (sriov_numvfs on the netdevsim bus device)" sh -c "echo 4 > $NSIM_DEV/sriov_numvfs" || exit 1
check "PF $NPF up" ip link set "$NPF" up
check_eq "ip link shows netdevsim's 4 VFs" 4 "$(ip -j link show dev "$NPF" | jq '.[0].vfinfo_list | length')"

# what netdevsim's ndo_get_vf_config fills in: the optional fields the table's entry reports
check_eq "VF 1 reports spoofchk, trust and query_rss (the table's reports)" "spoofchk trust query_rss_en" \
  "$(ip -j link show dev "$NPF" | jq -r '.[0].vfinfo_list[1] | [has("spoofchk"), has("trust"), has("query_rss_en")] | if all then "spoofchk trust query_rss_en" else tostring end')"

# The PCI links netdevsim doesn't have: PF $PFADDR, VF i at 0000:0a:00.(i+1).
rm -rf "$SHIM" "$STATE"
mkdir -p "$SHIM/class/net/$NPF" "$SHIM/bus/pci/devices/$PFADDR/net/$NPF" "$STATE"
ln -s "../../../bus/pci/devices/$PFADDR" "$SHIM/class/net/$NPF/device"
ln -s "$(readlink -f "$NSIM_DEV/driver")" "$SHIM/bus/pci/devices/$PFADDR/driver"
ln -s "$NSIM_DEV/sriov_numvfs" "$SHIM/bus/pci/devices/$PFADDR/sriov_numvfs"
printf '4\n' > "$SHIM/bus/pci/devices/$PFADDR/sriov_totalvfs"
printf '1\n' > "$SHIM/bus/pci/devices/$PFADDR/sriov_offset"
printf '1\n' > "$SHIM/bus/pci/devices/$PFADDR/sriov_stride"
for i in 0 1 2 3; do
  mkdir -p "$SHIM/bus/pci/devices/0000:0a:00.$((i + 1))"
  ln -s "../0000:0a:00.$((i + 1))" "$SHIM/bus/pci/devices/$PFADDR/virtfn$i"
  ln -s "../$PFADDR" "$SHIM/bus/pci/devices/0000:0a:00.$((i + 1))/physfn"
done
printf '{ "logFile": "%s", "stateDir": "%s", "sysfsRoot": "%s" }\n' "$VS_LOG" "$STATE" "$SHIM" > "$CFG"

VF=0000:0a:00.2 # VF 1
vs_domain nsim-guest "<sriov:vf pci='$VF' mac='52:54:00:5e:00:01' vlan='100' qos='3' trust='on' spoofchk='off' link-state='enable' min-tx-rate='10' max-tx-rate='100' query-rss='on'/>" \
  "$(vs_hostdev_xml "$VF")" > "$LAB_SCENARIO_OUT/nsim-guest.xml"
# the hook's words as libvirt gives them, replayed; exit status and output kept in $HOOK_OUT
replay() { # OPERATION SUB-OPERATION [DOMAIN]
  local dom=${3:-nsim-guest}
  HOOK_OUT=$(virt-sriov hook qemu "$dom" "$1" "$2" - --config-file "$CFG" < "$LAB_SCENARIO_OUT/$dom.xml" 2>&1)
  local rc=$?
  printf '%s\n' "$HOOK_OUT"
  return $rc
}
nsim_vf() { # [INDEX]: VF INDEX (1) as netdevsim reports it, in one line
  ip -j link show dev "$NPF" | jq -r --argjson i "${1:-1}" '.[0].vfinfo_list[$i] | "mac \(.address) vlan \(.vlan_list[0].vlan // 0) qos \(.vlan_list[0].qos // 0) trust \(.trust) spoofchk \(.spoofchk) state \(.link_state) min \(.rate.min_tx) max \(.rate.max_tx) query_rss \(.query_rss_en)"'
}
before=$(nsim_vf)
lab_log "VF 1 before: $before"

check "hook qemu prepare: a guest asking for every setting netdevsim can do is not refused" replay prepare begin
check_eq "prepare changes nothing on the VF" "$before" "$(nsim_vf)"
check "hook qemu start: sets them in one ip -batch and reads them back" replay start begin
check_eq "VF 1 has the guest's settings, as netdevsim reports them" \
  "mac 52:54:00:5e:00:01 vlan 100 qos 3 trust true spoofchk false state enable min 10 max 100 query_rss true" "$(nsim_vf)"
check_match "the log shows start's changes" '"result":"ok".*"setting":"linkState"' "$(vs_log_last qemu start nsim-guest)"
check "hook qemu stopped" replay stopped end
check_eq "stopped put VF 1 back exactly as it was" "$before" "$(nsim_vf)"
check "hook qemu release: nothing of the guest's is left (it would fail naming the VF)" replay release end
check_eq "VF 1 is still as it was" "$before" "$(nsim_vf)"
check_eq "release forgot the VF (no state file)" "" "$(ls "$STATE/vfs" 2> /dev/null)"

# A refusal only the real driver knows of: in switchdev mode netdevsim refuses VF rates
# (nsim_set_vf_rate: EOPNOTSUPP), which the table can't foresee (it says netdevsim sets rates,
# as it does in legacy mode). start has set the MAC, VLAN and trust by then: it must put them
# back and refuse the start, naming the command and the kernel's answer.
check "eswitch of netdevsim$NSIM_ID to switchdev" devlink dev eswitch set "netdevsim/netdevsim$NSIM_ID" mode switchdev
VF2=0000:0a:00.3 # VF 2
vs_domain nsim-rate "<sriov:vf pci='$VF2' mac='52:54:00:5e:00:02' vlan='200' trust='on' max-tx-rate='100'/>" "$(vs_hostdev_xml "$VF2")" > "$LAB_SCENARIO_OUT/nsim-rate.xml"
before=$(nsim_vf 2)
check "hook qemu prepare nsim-rate" replay prepare begin nsim-rate
check_fails "hook qemu start nsim-rate fails" replay start begin nsim-rate
check_match "naming the rate command and the driver's answer, and that every VF was put back" \
  "domain nsim-rate: $NPF vf 2 \($VF2\): \`ip link set dev $NPF vf 2 min_tx_rate 0 max_tx_rate 100\` failed: .*Operation not supported.*Every VF was put back" "$HOOK_OUT"
check_eq "VF 2 is as it was (no MAC, VLAN or trust of nsim-rate)" "$before" "$(nsim_vf 2)"
check "hook qemu release nsim-rate (libvirt's after a failed start)" replay release end nsim-rate
check_eq "release forgot VF 2" "" "$(ls "$STATE/vfs" 2> /dev/null)"
check "eswitch back to legacy" devlink dev eswitch set "netdevsim/netdevsim$NSIM_ID" mode legacy

out=$(virt-sriov status --config-file "$CFG" 2>&1)
printf '%s\n' "$out"
check_match "status lists $NPF with its driver netdevsim" "$NPF.*netdevsim" "$out"
out=$(virt-sriov doctor --config-file "$CFG" 2>&1)
printf '%s\n' "$out"
check_match "doctor reads netdevsim from the driver table" "$NPF \(netdevsim\) can set every VF setting" "$out"

echo "$NSIM_ID" > /sys/bus/netdevsim/del_device
rmmod netdevsim
rm -rf /run/virt-sriov-netdevsim
