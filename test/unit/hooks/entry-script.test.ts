import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { configFacts } from '../../../src/hooks/entry-facts.js';
import { bashQuote, entryScript, toPosixEre } from '../../../src/hooks/entry-script.js';
import { DOMAIN_DEVICES, VF_POOL } from '../../../src/hooks/triage.js';

describe('the shell entry is generated from the triage table', () => {
  test('the text rules become POSIX ERE with the same meaning: XML white space as bytes, groups without ?:', () => {
    expect(toPosixEre(VF_POOL.source)).toBe(`<forward[ \t\r\n][^>]*mode[ \t\r\n]*=[ \t\r\n]*["']hostdev["']`);
    expect(toPosixEre(DOMAIN_DEVICES.source)).toContain('(hostdev|network)');
    expect(toPosixEre(DOMAIN_DEVICES.source)).toContain('virt-sriov\\.org/xmlns');
  });

  test.each([
    ['\\s', 'escape \\s'], ['a+', "'+'"], ['a?', "'?'"], ['(a)', 'a capturing or special group'], ['(?=a)', 'a capturing or special group'],
    ['.', "'.'"], ['^a', "'^'"], ['a{2}', "'{'"], ['[a-z]', "'-' in a bracket expression"], ['[\\d]', 'escape \\d in a bracket expression'],
    ['[]', 'an unclosed or empty bracket expression'], ['[a', 'an unclosed or empty bracket expression'], ['(?:a', 'an unclosed group'], ['a)', 'an unbalanced )'],
  ])('a rule the shell would read otherwise (%s) is a build error, not a hook that skips work', (source, why) => {
    expect(() => toPosixEre(source)).toThrow(why);
  });

  test('bash reads back what bashQuote quoted, byte for byte', () => {
    const s = `a'b\\c\t"d\r\n$x \`e\``;
    const r = spawnSync('bash', ['-c', `printf '%s' ${bashQuote(s)}`], { encoding: 'utf8' });
    expect(r.stdout).toBe(s);
  });

  test('each entry is a bash script with every marker install.sh bakes, and parses', () => {
    for (const hook of ['qemu', 'network', 'daemon'] as const) {
      const text = entryScript(hook, '1.0.0');
      expect(text.split('\n')[0]).toBe('#!/bin/bash --norc');
      for (const marker of ['VIRT_SRIOV_NODE_PATH=', 'VIRT_SRIOV_CONFIG_PATH=/etc/virt-sriov/config.json', 'VIRT_SRIOV_OPERATIONS_PATH=']) expect(text).toContain(`'${marker}'`);
      expect(spawnSync('bash', ['-n'], { input: text }).status).toBe(0);
    }
  });

  test('facts with a path that would break a line are not written (the entry then leaves every call to node)', () => {
    const f = { configPath: '/etc/c.json', text: '{}\n', logFile: '/var/log/x.log', stateDir: '/run/x', pfsConfigured: false };
    expect(configFacts('1', f)).toBe('virt-sriov entry facts 1 1\n/etc/c.json\n/var/log/x.log\n/run/x\n0\n{}\n');
    expect(configFacts('1', { ...f, logFile: '/var/log/x\n.log' })).toBeNull();
    expect(configFacts('1', { ...f, text: '{}\0' })).toBeNull();
  });
});
