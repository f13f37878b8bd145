/**
 * What each SR-IOV NIC driver does with a VF's settings, as data: one entry per driver, each fact
 * with its source. Everything driver-specific in virt-sriov derives from this table (the planner,
 * `prepare`'s refusals, restore, `doctor`, and the tests' fake host), never from `driver ===`
 * branches.
 *
 * How the kernel shows a VF (net/core/rtnetlink.c, rtnl_fill_vfinfo): it presets spoofchk, trust
 * and rss_query_en to -1 and iproute2 leaves a field out of `ip -j link` while it stays -1, so
 * those three appear only when the driver's ndo_get_vf_config fills them. MAC, VLAN/QoS, the
 * rates and link_state (preset to auto) are always printed, whatever the driver can set. A setting
 * without its ndo_set_vf_* answers EOPNOTSUPP ("Operation not supported").
 */
import type { LinkState, SettingName } from '../model/vf-settings.js';

/** What `ip link set PF vf N ...` can change on a driver: a setting name, or QoS within a VLAN. */
export type Capability = SettingName | 'vlanQos';

/** The optional VF fields: shown by `ip -j link` only when the driver's ndo_get_vf_config fills them. */
export type OptionalField = 'spoofchk' | 'trust' | 'queryRss';
export const OPTIONAL_FIELDS: readonly OptionalField[] = ['spoofchk', 'trust', 'queryRss'];

export type QuirkId =
  /** New VF MACs take effect only once the VFs are re-created (the seed's BCM57810 procedure). */
  | 'recreate-vfs-after-mac'
  /** An untrusted VF gets few MAC and VLAN filters: a guest with more VLANs or MACs loses traffic. */
  | 'untrusted-filter-limits'
  /** Spoof checking on a VF with no MAC drops everything the guest sends. */
  | 'spoofchk-needs-mac'
  /** The legacy VF settings (ip link set ... vf N) work only in the eswitch's legacy mode. */
  | 'switchdev-refuses-vf-settings'
  /** A MAC write can fail or not show at once while the VF resets: read back and retry. */
  | 'mac-settles-late';

export interface DriverProfile {
  /** The PF's driver, as sysfs names it (`/sys/class/net/PF/device/driver`). */
  readonly driver: string;
  /**
   * The VFs' own host driver, bound while no guest holds them; null where the VFs are only
   * entries in the PF's table, with no device of their own (netdevsim).
   */
  readonly vfDriver: string | null;
  readonly nics: string;
  /** Which optional fields `ip -j link` shows for this driver's VFs. */
  readonly reports: readonly OptionalField[];
  /** Fields shown with a fixed value, whatever was set: reading them back proves nothing. */
  readonly fixedReports: readonly SettingName[];
  /** What `ip link set ... vf N` can change. */
  readonly sets: readonly Capability[];
  /** The link states it really applies, when it sets link state at all. */
  readonly linkStates?: readonly LinkState[];
  /** Whether it takes an all-zero MAC (libvirt retries a refused one with ZERO_MAC_FALLBACK). */
  readonly zeroMac: 'accepts' | 'refuses';
  /**
   * Whether the PF counts each VF's traffic (ndo_get_vf_stats). Without it the kernel still
   * prints `ip -s` counters for every VF, all zero: they say nothing and are not shown.
   */
  readonly vfStats: boolean;
  /** The most MACs and VLANs an untrusted VF may add (untrusted-filter-limits). */
  readonly untrustedLimits?: { readonly macs: number; readonly vlans: number };
  readonly quirks: readonly QuirkId[];
  /** Where each fact comes from: the driver's functions in the Linux source, or a capture. */
  readonly sources: readonly string[];
}

/** libvirt's answer to a driver that refuses an all-zero MAC (virnetdev.c, virNetDevSetVfConfig). */
export const ZERO_MAC = '00:00:00:00:00:00';
export const ZERO_MAC_FALLBACK = '02:00:00:00:00:00';

/**
 * A driver's entry says what sets it apart; the rest is what most drivers do: no per-VF
 * counters, an all-zero MAC taken, no quirk, no field shown fixed, and `ip -j link` showing the
 * optional fields it can set (ndo_get_vf_config fills what ndo_set_vf_* sets).
 */
interface DriverFacts extends Omit<DriverProfile, 'reports' | 'fixedReports' | 'zeroMac' | 'vfStats' | 'quirks' | 'sources'>,
  Partial<Pick<DriverProfile, 'reports' | 'fixedReports' | 'zeroMac' | 'vfStats' | 'quirks'>> {
  /** Where each fact comes from, one source a line. */
  readonly sources: string;
}

function driver(facts: DriverFacts): DriverProfile {
  return {
    reports: OPTIONAL_FIELDS.filter((f) => facts.sets.includes(f)), fixedReports: [], zeroMac: 'accepts', vfStats: false, quirks: [],
    ...facts,
    sources: facts.sources.split('\n').map((line) => line.trim()).filter((line) => line !== ''),
  };
}

export const DRIVER_PROFILES: readonly DriverProfile[] = [
  driver({
    driver: 'igb', vfDriver: 'igbvf', nics: 'Intel 82576, I350',
    sets: ['mac', 'vlan', 'vlanQos', 'spoofchk', 'trust', 'maxTxRate'],
    sources: `
      igb_main.c: igb_netdev_ops has no ndo_get_vf_stats (ip -s prints zeros for its VFs; lab capture)
      igb_main.c: igb_netdev_ops has ndo_set_vf_mac/vlan/rate/spoofchk/trust and no ndo_set_vf_link_state or rss_query_en
      igb_main.c igb_ndo_set_vf_bw: a min_tx_rate is refused (EINVAL)
      igb_main.c igb_ndo_get_vf_config: fills spoofchk and trusted, not rss_query_en
      capture libvirt9.0-qemu7.2-igb: \`state enable|disable|auto\` -> Operation not supported; ip -j link shows spoofchk, trust, link_state auto
    `,
  }),
  driver({
    driver: 'ixgbe', vfDriver: 'ixgbevf', nics: 'Intel 82599, X540, X550',
    sets: ['mac', 'vlan', 'vlanQos', 'spoofchk', 'trust', 'maxTxRate', 'linkState', 'queryRss'],
    linkStates: ['auto', 'disable'],
    sources: `
      ixgbe_main.c: ixgbe_netdev_ops has no ndo_get_vf_stats (a 2022 patch adding it was not merged)
      ixgbe_sriov.c ixgbe_ndo_get_vf_config: fills spoofchk, rss_query_en and trusted; min_tx_rate always 0
      ixgbe_sriov.c ixgbe_ndo_set_vf_bw: a min_tx_rate is refused (EINVAL)
      ixgbe_sriov.c ixgbe_ndo_set_vf_link_state: "enable" is logged as not supported and ignored (returns 0)
      ixgbe_sriov.c ixgbe_ndo_set_vf_rss_query_en: 82599 and X540 only (EOPNOTSUPP on X550)
      ixgbe_sriov.c ixgbe_ndo_set_vf_mac: a zero MAC removes the admin MAC (older kernels refused it: the fallback covers them)
    `,
  }),
  driver({
    driver: 'i40e', vfDriver: 'iavf', nics: 'Intel X710, XL710, XXV710',
    sets: ['mac', 'vlan', 'vlanQos', 'spoofchk', 'trust', 'maxTxRate', 'linkState'],
    vfStats: true, untrustedLimits: { macs: 16, vlans: 16 },
    quirks: ['untrusted-filter-limits', 'mac-settles-late'],
    sources: `
      i40e_main.c: ndo_get_vf_stats = i40e_get_vf_stats
      i40e_virtchnl_pf.c i40e_ndo_get_vf_config: fills spoofchk, trusted and linkstate, not rss_query_en
      i40e_virtchnl_pf.c i40e_ndo_set_vf_bw: a min_tx_rate is refused (EINVAL)
      i40e_virtchnl_pf.c i40e_ndo_set_vf_mac: "VF still in reset. Try again." (EAGAIN) while the VF resets
      i40e_virtchnl_pf.c I40E_VC_MAX_MAC_ADDR_PER_VF / I40E_VC_MAX_VLAN_PER_VF: filters an untrusted VF may add
    `,
  }),
  driver({
    driver: 'ice', vfDriver: 'iavf', nics: 'Intel E810',
    sets: ['mac', 'vlan', 'vlanQos', 'spoofchk', 'trust', 'minTxRate', 'maxTxRate', 'linkState'],
    vfStats: true, untrustedLimits: { macs: 18, vlans: 8 },
    quirks: ['untrusted-filter-limits', 'mac-settles-late'],
    sources: `
      ice_main.c: ndo_get_vf_stats = ice_get_vf_stats
      ice_sriov.c ice_get_vf_cfg: fills spoofchk, trusted, linkstate and both rates, not rss_query_en
      ice_sriov.c ice_set_vf_bw: min and max tx rate
      ice_vf_lib.h ICE_MAX_MACADDR_PER_VF, ice_virtchnl.c ICE_MAX_VLAN_PER_VF: filters an untrusted VF may add
      ice_sriov.c ice_set_vf_mac: waits for the VF reset to finish (ice_check_vf_ready_for_cfg, EAGAIN)
    `,
  }),
  driver({
    driver: 'mlx5_core', vfDriver: 'mlx5_core', nics: 'NVIDIA/Mellanox ConnectX-4 to ConnectX-7',
    sets: ['mac', 'vlan', 'vlanQos', 'spoofchk', 'trust', 'minTxRate', 'maxTxRate', 'linkState'],
    vfStats: true,
    quirks: ['spoofchk-needs-mac', 'switchdev-refuses-vf-settings'],
    sources: `
      mlx5 en_main.c: ndo_get_vf_stats = mlx5e_get_vf_stats
      mlx5 eswitch.c mlx5_eswitch_get_vport_config: fills spoofchk, trusted, linkstate, min and max rate, not rss_query_en
      mlx5 en_main.c mlx5e_set_vf_* -> eswitch.c mlx5_eswitch_set_vport_*: legacy eswitch mode only (EOPNOTSUPP in switchdev)
      mlx5 eswitch.c mlx5_eswitch_set_vport_spoofchk: "Spoofchk in set while MAC is invalid" (a zero MAC)
    `,
  }),
  driver({
    driver: 'bnx2x', vfDriver: 'bnx2x', nics: 'Broadcom/QLogic BCM57810, BCM57840',
    fixedReports: ['spoofchk', 'maxTxRate'],
    sets: ['mac', 'vlan', 'spoofchk', 'linkState'],
    zeroMac: 'refuses', quirks: ['recreate-vfs-after-mac'],
    sources: `
      bnx2x_main.c bnx2x_netdev_ops: no ndo_get_vf_stats
      bnx2x_sriov.c bnx2x_get_vf_config: spoofchk always 1, max_tx_rate always 10000, qos always 0, no trusted
      bnx2x_sriov.c bnx2x_set_vf_mac: !is_valid_ether_addr -> EINVAL (a zero MAC is refused)
      bnx2x_main.c bnx2x_netdev_ops: ndo_set_vf_mac/vlan/spoofchk/link_state, no ndo_set_vf_rate or trust
      the seed (BCM57810): VF MACs take effect after sriov_numvfs 0 then N
    `,
  }),
  driver({
    driver: 'bnxt_en', vfDriver: 'bnxt_en', nics: 'Broadcom BCM573xx, BCM574xx (NetXtreme-C/E)',
    sets: ['mac', 'vlan', 'vlanQos', 'spoofchk', 'trust', 'minTxRate', 'maxTxRate', 'linkState'],
    sources: `
      bnxt.c bnxt_netdev_ops: no ndo_get_vf_stats
      bnxt_sriov.c bnxt_get_vf_config: fills spoofchk, trusted, linkstate and both rates
      bnxt_sriov.c bnxt_set_vf_mac: refuses only multicast; zero lets the VF use its own MAC
      bnxt_sriov.c bnxt_set_vf_vlan: QoS without a VLAN id is refused (EINVAL)
    `,
  }),
  driver({
    // A test driver, not a NIC: the kernel's simulated device, which keeps each VF's settings in
    // a table (nsim_dev->vfconfigs) and does every ndo_set_vf_*. Debian doesn't build it; the lab
    // builds it for its L1 kernel and runs the hooks against it (test/lab/scenarios/97-netdevsim.sh).
    driver: 'netdevsim', vfDriver: null, nics: 'none: the kernel\'s simulated NIC (test driver)',
    sets: ['mac', 'vlan', 'vlanQos', 'spoofchk', 'trust', 'minTxRate', 'maxTxRate', 'linkState', 'queryRss'],
    sources: `
      netdevsim/netdev.c nsim_netdev_ops: ndo_set_vf_mac/vlan/rate/spoofchk/trust/link_state/rss_query_en and ndo_get_vf_config, no ndo_get_vf_stats
      netdevsim/netdev.c nsim_get_vf_config: fills spoofchk, trusted, rss_query_en, linkstate, vlan/qos and both rates
      netdevsim/netdev.c nsim_set_vf_mac: refuses only multicast ("zero address can mean unset/any")
      netdevsim/netdev.c nsim_set_vf_link_state: auto, enable and disable; nsim_set_vf_rate: EOPNOTSUPP in switchdev mode only
      netdevsim/bus.c: VFs are sriov_numvfs on the netdevsim bus device (at most 4 by default), with no PCI devices (no virtfn links)
      lab scenario 97-netdevsim: the module built from Debian's linux-source-6.1 for the lab kernel, read back with ip -j link
    `,
  }),
];

export function profileOf(driver: string | null | undefined): DriverProfile | null {
  return DRIVER_PROFILES.find((p) => p.driver === driver) ?? null;
}

/** Whether a driver can do a setting: an unknown driver is taken at its word (ip's answer). */
export function canSet(profile: DriverProfile | null, what: Capability): boolean {
  return profile === null || profile.sets.includes(what);
}

/** Whether a PF's per-VF counters mean anything: a driver the table doesn't know is taken at its word. */
export function countsVfTraffic(driver: string | null | undefined): boolean {
  return profileOf(driver)?.vfStats ?? true;
}
