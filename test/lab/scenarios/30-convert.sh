# shellcheck shell=bash
# A domain converted by `virt-sriov convert` from one style to another, or shaped by
# `virt-sriov define`, starts and gets the same VF settings.
. "$PROJECT/test/lab/guest/virt-sriov.sh"
vs_config "\"pfs\": { \"$PF\": { \"numVfs\": 2 } }"
check "2 VFs" lab_vfs 2 || exit 1

vs_domain l2-conv "<sriov:vf pci='${VF_PCI[1]}' mac='52:54:00:cc:00:01' vlan='440' trust='on' spoofchk='off' max-tx-rate='100'/>" \
  "$(vs_hostdev_xml "${VF_PCI[1]}")" > "$LAB_SCENARIO_OUT/hostdev.xml"
check "convert --to interface" sh -c "virt-sriov convert --to interface $LAB_SCENARIO_OUT/hostdev.xml > $LAB_SCENARIO_OUT/interface.xml"
check_match "MAC and VLAN moved into the XML" "<interface type='hostdev'.*<mac address='52:54:00:cc:00:01'/>.*<tag id='440'/>" "$(tr -d '\n' < "$LAB_SCENARIO_OUT/interface.xml")"
check "virsh define the converted domain" virsh define "$LAB_SCENARIO_OUT/interface.xml"
if check "virsh start l2-conv (interface style)" virsh start l2-conv; then
  check_eq "VF 1 has the settings it had in hostdev style" "52:54:00:cc:00:01 440 true false 100" "$(vs_vf_state 1)"
  check "virsh destroy" virsh destroy l2-conv
fi
virsh undefine l2-conv > /dev/null

# virt-sriov define: the best style for this libvirt (interface), defined through libvirt's API
check "virt-sriov define shapes and defines the hostdev-style file" virt-sriov define "$LAB_SCENARIO_OUT/hostdev.xml"
check_match "libvirt holds it in interface style" "<interface type='hostdev'" "$(virsh dumpxml --inactive l2-conv)"
if check "virsh start l2-conv (as virt-sriov define left it)" virsh start l2-conv; then
  check_eq "VF 1 has the same settings again" "52:54:00:cc:00:01 440 true false 100" "$(vs_vf_state 1)"
  check "virsh destroy" virsh destroy l2-conv
fi
# and back: the hook sets MAC and VLAN itself for a plain <hostdev>
check "convert --to hostdev of libvirt's own XML" sh -c "virsh dumpxml --inactive l2-conv | virt-sriov convert --to hostdev > $LAB_SCENARIO_OUT/back.xml"
check "virsh define it" virsh define "$LAB_SCENARIO_OUT/back.xml"
if check "virsh start l2-conv (hostdev style again)" virsh start l2-conv; then
  check_eq "VF 1 has the same settings, set by the hook" "52:54:00:cc:00:01 440 true false 100" "$(vs_vf_state 1)"
  check "virsh destroy" virsh destroy l2-conv
fi
vs_cleanup
