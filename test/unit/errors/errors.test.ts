// The hooks span two bundles (node's hook and the operations it loads), each with its own copy
// of src/errors.ts: an error is told by isVirtSriovError, whichever copy made it.
import { describe, expect, it } from '@jest/globals';
import { buildSync } from 'esbuild';
import { InputError, isVirtSriovError, OperationError, UsageError, VirtSriovError } from '../../../src/errors.js';

/** A second copy of src/errors.ts, bundled as the operations bundle holds it. */
function otherBundle(): typeof import('../../../src/errors.js') {
  const { outputFiles } = buildSync({ entryPoints: ['src/errors.ts'], bundle: true, format: 'cjs', platform: 'node', write: false });
  const module = { exports: {} };
  // in this realm (its Error), as node loads both bundles in one
  new Function('module', 'exports', outputFiles[0]!.text)(module, module.exports);
  return module.exports as typeof import('../../../src/errors.js');
}

describe('isVirtSriovError', () => {
  const other = otherBundle();

  it('knows an error made by another bundle, and its kind, where instanceof does not', () => {
    const e = new other.OperationError('ip failed', 'load the driver');
    expect(e instanceof VirtSriovError).toBe(false);
    expect(isVirtSriovError(e)).toBe(true);
    expect(isVirtSriovError(e, 'operation')).toBe(true);
    expect(isVirtSriovError(e, 'input')).toBe(false);
    expect(isVirtSriovError(e) && e.describe()).toBe('ip failed\n  fix: load the driver');
    expect(isVirtSriovError(new other.InputError('bad'), 'input')).toBe(true);
  });

  it('tells each kind of this bundle', () => {
    expect([new InputError('a'), new UsageError('b'), new OperationError('c')].map((e) => [e.kind, e.exitCode, isVirtSriovError(e, e.kind)]))
      .toEqual([['input', 2, true], ['usage', 2, true], ['operation', 1, true]]);
    expect(isVirtSriovError(new UsageError('b'), 'input')).toBe(false);
  });

  it('is no virt-sriov error that merely looks like one', () => {
    expect(isVirtSriovError(new Error('plain'))).toBe(false);
    expect(isVirtSriovError({ kind: 'input', exitCode: 2, message: 'not an Error' })).toBe(false);
    expect(isVirtSriovError(Object.assign(new Error('x'), { kind: 'input', exitCode: 1 }))).toBe(false);
    expect(isVirtSriovError(Object.assign(new Error('x'), { kind: 'constructor', exitCode: 2 }))).toBe(false);
    expect(isVirtSriovError(null)).toBe(false);
  });
});
