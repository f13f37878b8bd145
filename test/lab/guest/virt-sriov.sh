# shellcheck shell=bash
# Helpers for the scenarios that exercise virt-sriov (sourced by them, after lib.sh and
# assert.sh). The hooks were installed by install.sh and read /etc/virt-sriov/config.json on
# every call, so a scenario sets the config it needs with vs_config.

VS_CONFIG=/etc/virt-sriov/config.json
VS_LOG=/var/log/libvirt/virt-sriov.log
VS_NS="http://virt-sriov.org/xmlns/domain/1.0"

# vs_config JSON_FRAGMENT: the config, with the lab's log and state paths
vs_config() {
  printf '{ "logFile": "%s", "stateDir": "/run/virt-sriov"%s%s }\n' "$VS_LOG" "${1:+, }" "${1:-}" > "$VS_CONFIG"
}

# vs_domain NAME METADATA_ENTRIES DEVICES_XML: an L2 guest with virt-sriov metadata (OS-less:
# lab_l2_domain_xml); vs_linux_domain: the same with Linux in it (lab_l2_linux_domain_xml),
# for what needs a guest OS (a hot-unplug that completes)
vs_domain() { _vs_domain lab_l2_domain_xml "$@"; }
vs_linux_domain() { _vs_domain lab_l2_linux_domain_xml "$@"; }
_vs_domain() { # GENERATOR NAME METADATA_ENTRIES DEVICES_XML
  local gen=$1 md="" xml
  shift
  [[ -n $2 ]] && md="  <metadata>
    <sriov:vfs xmlns:sriov='$VS_NS'>
      $2
    </sriov:vfs>
  </metadata>"
  xml=$("$gen" "$1" "$3") || return 1
  awk -v md="$md" '{ print } /<\/name>/ && md != "" { print md }' <<< "$xml"
}

# vs_define NAME METADATA DEVICES: write the domain to the scenario's artifacts and define it
# (vs_linux_define: the Linux guest)
vs_define() {
  vs_domain "$@" > "$LAB_SCENARIO_OUT/$1.xml" && virsh define "$LAB_SCENARIO_OUT/$1.xml"
}
vs_linux_define() {
  vs_linux_domain "$@" > "$LAB_SCENARIO_OUT/$1.xml" && virsh define "$LAB_SCENARIO_OUT/$1.xml"
}

vs_hostdev_xml() { # PCI
  printf "    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <source><address %s/></source>\n    </hostdev>" "$(lab_pci_xml "$1")"
}

vs_iface_xml() { # PCI MAC [VLAN]
  printf "    <interface type='hostdev' managed='yes'>\n      <mac address='%s'/>\n      <source><address type='pci' %s/></source>\n%s    </interface>" \
    "$2" "$(lab_pci_xml "$1")" "${3:+      <vlan><tag id='$3'/></vlan>
}"
}

vs_net_xml() { # NETWORK MAC [VLAN]
  printf "    <interface type='network'>\n      <mac address='%s'/>\n      <source network='%s'/>\n%s    </interface>" \
    "$2" "$1" "${3:+      <vlan><tag id='$3'/></vlan>
}"
}

# vs_vf FIELD INDEX: a field of VF INDEX as the PF reports it (jq path under vfinfo_list[i])
vs_vf() {
  ip -j link show dev "$PF" | jq -r --argjson i "$2" ".[0].vfinfo_list[] | select(.vf == \$i) | $1"
}

# vs_vf_state INDEX: "mac vlan trust spoofchk max_tx" of a VF, for before/after comparisons
vs_vf_state() {
  ip -j link show dev "$PF" | jq -r --argjson i "$1" \
    '.[0].vfinfo_list[] | select(.vf == $i) | "\(.address) \(.vlan_list[0].vlan // 0) \(.trust) \(.spoofchk) \(.rate.max_tx)"'
}

# vs_vf_of_mac MAC: the index of the VF that carries MAC
vs_vf_of_mac() {
  ip -j link show dev "$PF" | jq -r --arg m "$1" '.[0].vfinfo_list[] | select(.address == $m) | .vf'
}

# vs_log_last HOOK OP OBJECT: the last log line of that call
vs_log_last() {
  jq -c --arg h "$1" --arg o "$2" --arg n "$3" 'select(.hook == $h and .op == $o and .object == $n)' "$VS_LOG" | tail -1
}

# vs_start_fails NAME: virsh start must fail; its error output is left in $VS_ERR
vs_start_fails() {
  VS_ERR=$(virsh start "$1" 2>&1) && return 1
  echo "$VS_ERR"
  return 0
}

vs_running() { [[ $(virsh domstate "$1" 2> /dev/null) == running ]]; }

# vs_cleanup: no domains, no networks (the runner resets VFs and the daemon)
vs_cleanup() {
  local d n
  for d in $(virsh list --all --name); do virsh destroy "$d" &> /dev/null; virsh undefine "$d" &> /dev/null; done
  for n in $(virsh net-list --all --name); do virsh net-destroy "$n" &> /dev/null; virsh net-undefine "$n" &> /dev/null; done
}
