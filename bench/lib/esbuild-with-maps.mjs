/** esbuild, with every build's output moved under $BENCH_BUILD_OUT and given an external source map. */
import * as esbuild from 'esbuild';
import { isAbsolute, join } from 'node:path';

const OUT = process.env.BENCH_BUILD_OUT;
if (!OUT) throw new Error('BENCH_BUILD_OUT is not set');
const moved = (p) => (p === undefined ? p : join(OUT, isAbsolute(p) ? p.replace(/^\/+/, '') : p));

export * from 'esbuild';
export async function build(options) {
  return esbuild.build({ ...options, sourcemap: 'external', outdir: moved(options.outdir), outfile: moved(options.outfile) });
}
export default { ...esbuild, build };
