// ESM + ts-jest. The lab (test/lab) is not a jest project: it boots a VM, see `npm run test:lab`.
const tsJest = ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': tsJest },
  testEnvironment: 'node',
};
// suites that run the hooks and the CLI as processes: a timeout for a loaded machine
const processTests = { setupFilesAfterEnv: ['<rootDir>/test/support/process-test-timeout.ts'] };
export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'], ...processTests },
    {
      ...common, displayName: 'hardening', testMatch: ['<rootDir>/test/hardening/**/*.test.ts'], ...processTests,
      // figures of this run, printed as a table at its end (docs/reliability.md)
      globalSetup: '<rootDir>/test/support/hardening-setup.mjs', globalTeardown: '<rootDir>/test/support/hardening-summary.mjs',
    },
  ],
};
