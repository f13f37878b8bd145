/**
 * What the benchmark takes from the test support code, bundled by bench/lib/build.mjs into
 * bench/.build/support.mjs (esbuild, no type-check: bench/ is outside tsconfig's include).
 */
export { FakeHost, FRESH_VF, igbVfAddress } from '../../test/support/fake-host.js';
export { withFakeHostLock } from '../../test/support/fake-host-lock.js';
export { startPrivateLibvirtd } from '../../test/integration/support/private-libvirtd.js';
