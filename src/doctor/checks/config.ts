/** virt-sriov's own config: doctor goes on with the defaults when it is unusable, and says so. */
import { DEFAULT_CONFIG_PATH } from '../../config/config.js';
import type { Check, DoctorFacts } from '../facts.js';
import { fail, list, ok } from './check.js';

export function checkConfig(f: DoctorFacts): Check {
  const id = 'config';
  const c = f.config;
  if (c.error) return fail(id, `${c.error.message} (the other checks assume the defaults)`, c.error.fix ?? `fix ${c.path ?? DEFAULT_CONFIG_PATH}`);
  const pfs = Object.keys(c.pfs).sort();
  const managed = pfs.length ? `VFs created at daemon start on ${list(pfs)}` : 'no PF listed, so the hooks create VFs only on demand';
  return ok(id, c.path ? `config ${c.path}: ${managed}` : `no config file (${DEFAULT_CONFIG_PATH}): the defaults apply, ${managed}`);
}
