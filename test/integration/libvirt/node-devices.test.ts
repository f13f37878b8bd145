import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { OperationError } from '../../../src/errors.js';
import { parsePciAddress } from '../../../src/model/pci-address.js';
import {
  ErrorCode,
  LibvirtError,
  openLibvirt,
  parseNodeDeviceXml,
  pciNodeDeviceName,
  type LibvirtConnection,
} from '../../../src/libvirt/index.js';
import { catchError } from './catch-error.js';

// A test-driver host with an SR-IOV NIC: PF 0000:03:00.0 (eth0), VFs 0000:03:10.0 and 0000:03:10.2.
const FIXTURE = fileURLToPath(new URL('../../fixtures/libvirt/sriov-node.xml', import.meta.url));
const PF = 'pci_0000_03_00_0';
const PF_NETDEV = 'net_eth0_00_1b_21_aa_bb_cc';
const VFS = ['pci_0000_03_10_0', 'pci_0000_03_10_2'];
const address = parsePciAddress;

let conn: LibvirtConnection;
beforeAll(() => {
  conn = openLibvirt({ uri: `test://${FIXTURE}` });
});
afterAll(() => conn.close());

describe('node devices of a custom test-driver host', () => {
  test('all of them, and by capability', () => {
    expect(conn.nodeDevices.list().sort()).toEqual(['computer', PF_NETDEV, PF, ...VFS].sort());
    expect(conn.nodeDevices.list('pci').sort()).toEqual([PF, ...VFS]);
    expect(conn.nodeDevices.list('net')).toEqual([PF_NETDEV]);
    expect(conn.nodeDevices.list('usb_device')).toEqual([]);
  });

  test('lookup gives name and parent, or null', () => {
    expect(conn.nodeDevices.lookup(PF_NETDEV)).toEqual({ name: PF_NETDEV, parent: PF });
    expect(conn.nodeDevices.lookup('computer')).toEqual({ name: 'computer', parent: null });
    expect(conn.nodeDevices.lookup('pci_0000_99_00_0')).toBeNull();
    const err = catchError(() => conn.nodeDevices.xml('pci_0000_99_00_0'));
    expect(err).toBeInstanceOf(LibvirtError);
    expect(err).toMatchObject({ code: ErrorCode.NO_NODE_DEVICE });
    expect((err as LibvirtError).message).toMatch(/^libvirt could not read the XML of node device pci_0000_99_00_0: /);
  });

  test('the PF: its SR-IOV capability and VFs, from its PCI device or its netdev', () => {
    const pf = conn.nodeDevices.describe(PF);
    expect(pf).toMatchObject({ name: PF, parent: 'computer', capabilities: ['pci'], net: null });
    expect(pf.pci).toEqual({
      address: address('0000:03:00.0'),
      vendorId: '0x8086',
      productId: '0x10c9',
      sriov: { maxCount: 7, virtualFunctions: [address('0000:03:10.0'), address('0000:03:10.2')] },
      physicalFunction: null,
    });
    expect(conn.nodeDevices.virtualFunctions(PF)).toEqual([address('0000:03:10.0'), address('0000:03:10.2')]);
    expect(conn.nodeDevices.virtualFunctions(PF_NETDEV)).toEqual(conn.nodeDevices.virtualFunctions(PF));
    expect(conn.nodeDevices.physicalFunction(PF)).toBeNull();
    // Each VF address names an existing node device.
    expect(conn.nodeDevices.virtualFunctions(PF).map(pciNodeDeviceName)).toEqual(VFS);
  });

  test('the PF netdev', () => {
    expect(conn.nodeDevices.describe(PF_NETDEV)).toMatchObject({
      parent: PF,
      capabilities: ['net'],
      pci: null,
      net: { name: 'eth0', mac: '00:1b:21:aa:bb:cc', linkUp: true },
    });
  });

  test('each VF points back at the PF', () => {
    for (const vf of VFS) {
      expect(conn.nodeDevices.physicalFunction(vf)).toEqual(address('0000:03:00.0'));
      expect(conn.nodeDevices.describe(vf).pci?.sriov).toBeNull();
      const err = catchError(() => conn.nodeDevices.virtualFunctions(vf));
      expect(err).toBeInstanceOf(OperationError);
      expect((err as OperationError).message).toBe(`node device ${vf} is not an SR-IOV physical function: libvirt reports no virt_functions capability`);
    }
    expect(pciNodeDeviceName(conn.nodeDevices.physicalFunction(VFS[1]!)!)).toBe(PF);
  });

  test('a device that is no PCI function', () => {
    const err = catchError(() => conn.nodeDevices.physicalFunction('computer'));
    expect((err as OperationError).message).toBe('node device computer is not a PCI function (its capabilities: system)');
  });

  test('the test driver does not keep <driver> from the host file', () => {
    // Real libvirt reads the driver from sysfs when it dumps the XML; the test driver has none.
    expect(conn.nodeDevices.describe(VFS[1]!).driver).toBeNull();
  });
});

describe('the rest of the custom host', () => {
  test('the hostdev network over the PF, running as the file defines it', () => {
    expect(conn.networks.lookup('sriov-eth0')).toMatchObject({ active: true, persistent: true });
    const xml = conn.networks.xml('sriov-eth0');
    expect(xml).toContain("<forward mode='hostdev' managed='yes'>");
    expect(xml).toContain("<pf dev='eth0'/>");
    // A real network driver lists the PF's VFs as <address type='pci' .../> once the network runs.
    expect(xml).not.toContain('<address');
  });

  test('the guest', () => {
    expect(conn.domains.list().map((d) => d.name)).toEqual(['sriov-guest']);
  });

  test('each open of the file is a fresh host', () => {
    conn.networks.destroy('sriov-eth0');
    const other = openLibvirt({ uri: `test://${FIXTURE}` });
    try {
      expect(other.networks.isActive('sriov-eth0')).toBe(true);
    } finally {
      other.close();
      conn.networks.start('sriov-eth0');
    }
  });
});

describe('parseNodeDeviceXml', () => {
  test('reads the driver and an SR-IOV PF with no VFs enabled, as real libvirt writes them', () => {
    const device = parseNodeDeviceXml(`<device>
  <name>pci_0000_05_00_1</name>
  <path>/sys/devices/pci0000:00/0000:00:1c.0/0000:05:00.1</path>
  <parent>pci_0000_00_1c_0</parent>
  <driver>
    <name>igb</name>
  </driver>
  <capability type='pci'>
    <class>0x020000</class>
    <domain>0</domain>
    <bus>5</bus>
    <slot>0</slot>
    <function>1</function>
    <product id='0x10c9'>82576 Gigabit Network Connection</product>
    <vendor id='0x8086'>Intel Corporation</vendor>
    <capability type='virt_functions' maxCount='7'/>
    <iommuGroup number='15'>
      <address domain='0x0000' bus='0x05' slot='0x00' function='0x1'/>
    </iommuGroup>
  </capability>
</device>
`);
    expect(device).toMatchObject({
      name: 'pci_0000_05_00_1',
      sysfsPath: '/sys/devices/pci0000:00/0000:00:1c.0/0000:05:00.1',
      driver: 'igb',
      pci: { address: address('0000:05:00.1'), sriov: { maxCount: 7, virtualFunctions: [] }, physicalFunction: null },
    });
  });

  test('rejects XML that is not a node device', () => {
    expect(() => parseNodeDeviceXml('<domain/>', 'the input')).toThrow("the input: the root element is <domain>, not <device>");
  });
});
