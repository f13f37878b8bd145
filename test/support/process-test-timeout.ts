// Integration and hardening tests run hooks and the CLI as processes: node's start-up each,
// ~60 ms on a quiet machine, seconds on a loaded 2-core one. jest's 5 s default then fails a test
// for the machine's load, not for what it checks. (jest reads `testTimeout` from the global
// config only, so a project sets it here.)
import { jest } from '@jest/globals';

jest.setTimeout(30_000);
