/** Module hooks for esbuild-redirect.mjs: `esbuild` imported by scripts/build.mjs becomes esbuild-with-maps.mjs. */
export async function resolve(specifier, context, next) {
  if (specifier === 'esbuild' && context.parentURL?.endsWith('/scripts/build.mjs')) {
    return { url: new URL('./esbuild-with-maps.mjs', import.meta.url).href, shortCircuit: true };
  }
  return next(specifier, context);
}
