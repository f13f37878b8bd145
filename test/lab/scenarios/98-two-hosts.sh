# shellcheck shell=bash
# Two hosts in one L1 (issue 17): host B is a second libvirtd (guest/host-b.sh). The guest is
# OS-less, so it never acknowledges a hot-unplug (99-migrate has a Linux guest, which does):
#  - status -c A -c B: the real igb PF and its VFs through libvirt's node devices, on both hosts;
#  - a migration refused at preflight (no virt-sriov mark on B, no physical network mapped)
#    changes nothing on either host;
#  - a migration that fails midway (the guest never lets its VF go) leaves the guest running on
#    A with its VF set as before, and nothing on B.
. "$PROJECT/test/lab/guest/virt-sriov.sh"
vs_config "\"pfs\": { \"$PF\": { \"numVfs\": 3 } }"
check "3 VFs" lab_vfs 3 || exit 1

. "$PROJECT/test/lab/guest/host-b.sh"
check "install.sh marked A for migrations" virsh nwfilter-dumpxml virt-sriov
finish() {
  host_b_stop
  vs_cleanup
}
host_b_start || { check "start host B's libvirtd" false; finish; exit 1; }

AH=$(virsh hostname)
check_eq "host B is another host: its own name" kvm-b "$(virsh -c "$BURI" hostname)"

check "define l2-mig on A: VF 0 as <interface type='hostdev'>, VLAN 470" \
  vs_define l2-mig "" "$(vs_iface_xml "${VF_PCI[0]}" 52:54:00:ee:00:01 470)"
check "virsh start l2-mig (on A)" virsh start l2-mig || { finish; exit 1; }
check_eq "VF 0: the guest's MAC, VLAN 470" "52:54:00:ee:00:01 470" "$(vs_vf_state 0 | awk '{print $1, $2}')"
before=$(vs_vf_state 0)

fleet=$(virt-sriov status -c qemu:///system -c "$BURI" --json)
echo "$fleet" > "$LAB_SCENARIO_OUT/fleet.json"
check_eq "status -c A -c B: both hosts, by name" "$AH kvm-b" "$(jq -r '[.hosts[].hostname] | join(" ")' <<< "$fleet")"
check_eq "... A: the igb PF and its 3 VFs, through libvirt's node devices" "$PF $PFPCI 3" \
  "$(jq -r '.hosts[0].pfs[0] | "\(.netdev) \(.pci) \(.vfs | length)"' <<< "$fleet")"
check_eq "... A: VF 0 is l2-mig's" "l2-mig" "$(jq -r '.hosts[0].pfs[0].vfs[0].use.name' <<< "$fleet")"
check_eq "... B: VF 0 in use too (bound to vfio-pci: the kernel is shared)" "vfio-pci" "$(jq -r '.hosts[1].pfs[0].vfs[0].use.by' <<< "$fleet")"
check_match "... the table says what only a local run shows" "Only .virt-sriov status. run on the host itself shows a VF's VLAN" \
  "$(virt-sriov status -c qemu:///system -c "$BURI")"

out=$(virt-sriov migrate l2-mig "$BURI" --live 2>&1)
check_eq "migrate to B, which has no virt-sriov mark and no mapped PF: refused" 1 "$?"
echo "$out" > "$LAB_SCENARIO_OUT/refused.txt"
check_match "... naming the missing mark on B" "kvm-b .* shows no virt-sriov" "$out"
check_match "... and the PF on no physical network" "is on no physical network in the config" "$out"
check "... the guest still runs on A" vs_running l2-mig
check_eq "... VF 0 as it was" "$before" "$(vs_vf_state 0)"
check_fails "... B has no l2-mig" virsh -c "$BURI" dominfo l2-mig

check "mark B (virt-sriov migrate --mark-host -c B)" virt-sriov migrate --mark-host -c "$BURI"
vs_config "\"pfs\": { \"$PF\": { \"numVfs\": 3 } }, \"physicalNetworks\": { \"lab\": { \"$AH\": [\"$PF\"], \"kvm-b\": [\"$PF\"] } }"
out=$(virt-sriov migrate l2-mig "$BURI" --live --dry-run 2>&1)
echo "$out" > "$LAB_SCENARIO_OUT/dry-run.txt"
check_match "--dry-run: a free VF of B's $PF on physical network lab" \
  "plug interface 52:54:00:ee:00:01 in on VF 0000:[0-9a-f:.]* of the destination's $PF \\(physical network lab\\)" "$out"
check_eq "... nothing changed: VF 0 as it was" "$before" "$(vs_vf_state 0)"

start=$(date +%s)
out=$(virt-sriov migrate l2-mig "$BURI" --live --wait 5 2>&1)
check_eq "migrate, the guest never letting its VF go: fails" 1 "$?"
lab_log "failed migration took $(($(date +%s) - start)) s"
echo "$out" > "$LAB_SCENARIO_OUT/failed.txt"
check_match "... said so" "did not let interface 52:54:00:ee:00:01 go" "$out"
check_match "... the guest stays on A" "The guest stays on" "$out"
check "... running on A" vs_running l2-mig
check_eq "... VF 0 still the guest's, set as before" "$before" "$(vs_vf_state 0)"
check_eq "... VF 0 still on vfio-pci" vfio-pci "$(lab_pci_driver "${VF_PCI[0]}")"
check_fails "... B has no l2-mig" virsh -c "$BURI" dominfo l2-mig
finish
