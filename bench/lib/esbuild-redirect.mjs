/**
 * `node --import ./bench/lib/esbuild-redirect.mjs scripts/build.mjs` runs the project's own build
 * with two changes: output under $BENCH_BUILD_OUT instead of the project (dist/ stays as it is)
 * and an external source map beside each bundle, so a CPU profile of the very same minified
 * code can be read back as source files and functions (bench/profile.mjs).
 */
import { register } from 'node:module';

register(new URL('./esbuild-redirect-hooks.mjs', import.meta.url));
