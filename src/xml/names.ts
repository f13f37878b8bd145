/**
 * Namespaces as the checking parser (saxes, with xmlns on) resolves them, for the tokenizer of
 * device-scan.ts, which reads without that parser and must see the same element in the same
 * namespace as the DOM does.
 */

/** In-scope namespaces: the default one ('' for none) and the bound prefixes. */
export interface Scope {
  readonly default: string;
  readonly prefixes: ReadonlyMap<string, string>;
}

export const TOP_SCOPE: Scope = { default: '', prefixes: new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]) };

/** The scope inside an element with this attribute: changed only by xmlns and xmlns:PREFIX. */
export function declare(scope: Scope, attribute: string, value: string): Scope {
  if (attribute === 'xmlns') return { ...scope, default: value };
  if (attribute.startsWith('xmlns:')) return { ...scope, prefixes: new Map(scope.prefixes).set(attribute.slice(6), value) };
  return scope;
}

/** An element's name resolved in its scope; a prefix never declared is an error, as for the parser. */
export function resolveName(scope: Scope, qualifiedName: string): { ns: string | null; local: string } {
  const colon = qualifiedName.indexOf(':');
  if (colon < 0) return { ns: scope.default || null, local: qualifiedName };
  const ns = scope.prefixes.get(qualifiedName.slice(0, colon));
  if (!ns || colon === qualifiedName.length - 1) throw new Error(`<${qualifiedName}>: unbound namespace prefix or malformed name`);
  return { ns, local: qualifiedName.slice(colon + 1) };
}
