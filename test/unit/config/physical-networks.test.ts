import { describe, expect, test } from '@jest/globals';
import { parseConfig } from '../../../src/config/config.js';
import { mappedPfs, physnetsOf, sameHost, samePhysnetPfs } from '../../../src/config/physical-networks.js';

const mapping = {
  'fabric-a': { kvm1: ['eth1'], 'kvm2.example.org': ['ens2f0', 'ens2f1'] },
  'fabric-b': { kvm1: ['eth2'], kvm2: ['ens3f0'] },
};

describe('physicalNetworks: which PFs of which host are on which physical network', () => {
  test('host names: exact, or a short name against a full one; never two different domains', () => {
    expect(sameHost('kvm1', 'kvm1')).toBe(true);
    expect(sameHost('kvm1', 'KVM1.example.org')).toBe(true);
    expect(sameHost('kvm1.example.org', 'kvm1')).toBe(true);
    expect(sameHost('kvm1.a.org', 'kvm1.b.org')).toBe(false);
    expect(sameHost('kvm1', 'kvm10')).toBe(false);
  });

  test('a host\'s PFs on a physical network, and a PF\'s physical networks', () => {
    expect(mappedPfs(mapping, 'fabric-a', 'kvm2')).toEqual(['ens2f0', 'ens2f1']);
    expect(mappedPfs(mapping, 'fabric-a', 'kvm3')).toEqual([]);
    expect(mappedPfs(mapping, 'nowhere', 'kvm1')).toEqual([]);
    expect(physnetsOf(mapping, 'kvm1.example.org', 'eth2')).toEqual(['fabric-b']);
    expect(physnetsOf(mapping, 'kvm1', 'eth9')).toEqual([]);
    expect(samePhysnetPfs(mapping, 'kvm2', 'ens2f1')).toEqual(['ens2f1', 'ens2f0']);
    expect(samePhysnetPfs(mapping, 'kvm2', 'eth9')).toEqual(['eth9']);
  });

  test('the config takes it, and names a bad entry', () => {
    expect(parseConfig({ physicalNetworks: mapping }, 'c').physicalNetworks).toEqual(mapping);
    expect(parseConfig({}, 'c').physicalNetworks).toEqual({});
    expect(() => parseConfig({ physicalNetworks: { a: { kvm1: [] } } }, 'c')).toThrow('c: physicalNetworks.a.kvm1: must be at least 1');
    expect(() => parseConfig({ physicalNetworks: { a: { kvm1: ['no such name!'] } } }, 'c')).toThrow('physicalNetworks.a.kvm1.0: is not a valid name');
    expect(() => parseConfig({ physicalNetworks: { a: ['eth1'] } }, 'c')).toThrow('physicalNetworks.a: expected record');
  });
});
