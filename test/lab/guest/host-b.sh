# shellcheck shell=bash
# Host B, for the scenarios with two hosts (issue 17; sourced after virt-sriov.sh): a second
# libvirtd in its own mount and UTS namespace, in the same L1. Its host name is kvm-b, its
# host_uuid its own (libvirt refuses to migrate to its own host); it has its own /etc/libvirt (a
# copy, with the hooks install.sh put there), /run (virt-sriov's state there too),
# /var/lib/libvirt and /var/log/libvirt; its socket is in a directory host A sees. The kernel is
# shared, so the PF and its VFs are both hosts'.

HB=/tmp/lab-host-b
BURI="qemu+unix:///system?socket=$HB/run-libvirt/libvirt-sock"

# host_b_start: B's libvirtd running and answering, without virt-sriov's migration mark
host_b_start() {
  rm -rf "$HB" && mkdir -p "$HB"/{run-libvirt,lib/qemu,log/qemu,cache}
  cp -a /etc/libvirt "$HB/etc"
  rm -rf "$HB/etc/qemu/networks/autostart" "$HB"/etc/qemu/*.xml
  # install.sh marked A for migrations (a network filter in /etc/libvirt): B starts without it
  rm -f "$HB/etc/nwfilter/virt-sriov.xml"
  echo 'host_uuid = "5a1e0b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b"' >> "$HB/etc/libvirtd.conf"
  cp -a /var/cache/libvirt/. "$HB/cache/" 2> /dev/null
  unshare -m -u --propagation private bash -c "
    hostname kvm-b
    mount --bind $HB/etc /etc/libvirt
    mount --bind $HB/lib /var/lib/libvirt
    mount --bind $HB/log /var/log/libvirt
    mount --bind $HB/cache /var/cache/libvirt
    mount -t tmpfs tmpfs /run
    mkdir -p /run/libvirt /run/lock
    mount --bind $HB/run-libvirt /run/libvirt
    virtlogd -d && libvirtd -d || exit 1
    for i in \$(seq 50); do [ -s /run/libvirtd.pid ] && [ -s /run/virtlogd.pid ] && break; sleep 0.2; done
    cp /run/libvirtd.pid $HB/libvirtd.pid; cp /run/virtlogd.pid $HB/virtlogd.pid
  " || return 1
  lab_wait 120 "host B's libvirtd to answer" _host_b_answers
}
_host_b_answers() { timeout 30 virsh -c "$BURI" version &> /dev/null; }

# host_b CMD...: CMD run on host B (its mounts: its /run, its virt-sriov state and log)
host_b() { nsenter -t "$(cat "$HB/libvirtd.pid")" -m -u -- "$@"; }

# host_b_stop: its guests destroyed, its daemons gone, its state dir and log kept in the artifacts
host_b_stop() {
  local d p
  for d in $(virsh -c "$BURI" list --name 2> /dev/null); do virsh -c "$BURI" destroy "$d" &> /dev/null; done
  host_b cat /var/log/libvirt/virt-sriov.log > "$LAB_SCENARIO_OUT/host-b-virt-sriov.log" 2> /dev/null
  cp -a "$HB/log/qemu" "$LAB_SCENARIO_OUT/host-b-qemu" 2> /dev/null
  for p in $(cat "$HB"/*.pid 2> /dev/null); do kill "$p" 2> /dev/null; done
  sleep 1
  for p in $(cat "$HB"/*.pid 2> /dev/null); do kill -9 "$p" 2> /dev/null; done
}
