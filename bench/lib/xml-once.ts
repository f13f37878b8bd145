/**
 * Row 7's start-up figures: a node process that reads a domain XML on stdin and parses it once,
 * as a hook with work does, with virt-sriov's parser (saxes and the light DOM, `light`) or
 * @xmldom/xmldom's (`xmldom`), chosen by argv[2]. Bundled apart per parser by
 * bench/lib/build.mjs, so each process loads only its own.
 */
import { readFileSync } from 'node:fs';

export function once(parse: (text: string) => unknown): void {
  const text = readFileSync(0, 'utf8');
  if (!parse(text)) process.exitCode = 1;
}
