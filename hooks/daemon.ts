// node's daemon hook: the installed hook file (a bash entry generated from src/hooks/triage.ts) execs it
// for every call that may have work. All logic lives in src/hooks.
import { hookMain } from '../src/hooks/hook-main.js';

void hookMain('daemon');
