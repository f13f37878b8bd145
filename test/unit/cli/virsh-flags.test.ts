/** virsh's --live, --config, --current and --persistent, decided as `virsh attach-device` decides them. */
import { describe, expect, test } from '@jest/globals';
import { changeTarget, waitsForRestart } from '../../../src/cli/virsh-flags.js';
import { UsageError } from '../../../src/errors.js';

describe('changeTarget', () => {
  test.each([
    // flags, running, live, config
    [{}, true, true, false],
    [{}, false, false, true],
    [{ current: true }, true, true, false],
    [{ current: true }, false, false, true],
    [{ config: true }, true, false, true],
    [{ config: true }, false, false, true],
    [{ live: true }, true, true, false],
    [{ live: true, config: true }, true, true, true],
    [{ persistent: true }, true, true, true],
    [{ persistent: true }, false, false, true],
  ])('%j on a domain that %s runs: live %s, config %s', (flags, running, live, config) => {
    expect(changeTarget(flags, 'fw1', running)).toEqual({ live, config });
  });

  test('--live on a domain that is not running is a usage error that says how to change its definition instead', () => {
    for (const flags of [{ live: true }, { live: true, config: true }]) {
      const e = (() => { try { changeTarget(flags, 'fw1', false); } catch (err) { return err; } return null; })();
      expect(e).toBeInstanceOf(UsageError);
      expect((e as UsageError).describe()).toBe('--live: domain fw1 is not running\n  fix: give --config to change its definition (it has the change from its next start), or start it first: virsh start fw1');
    }
  });

  test('a change of the definition alone while the guest runs says it waits for a new start; nothing to say otherwise', () => {
    expect(waitsForRestart('fw1', { live: false, config: true }, true)).toBe(' (fw1 is running: shut it down and start it again; a reboot keeps the running definition)');
    expect(waitsForRestart('fw1', { live: true, config: true }, true)).toBe('');
    expect(waitsForRestart('fw1', { live: false, config: true }, false)).toBe('');
  });
});
