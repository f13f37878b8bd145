/** The lock that keeps two concurrent `attach` calls from picking the same VF, and domain edits from interleaving. */
import { withLock } from '../state/host-lock.js';

/** Run `f` holding the pool lock (state/host-lock.ts); waits its turn (64 attaches queue up). */
export async function withPoolLock<T>(stateDir: string, f: () => Promise<T>): Promise<T> {
  return withLock(stateDir, 'pool', f);
}
