/**
 * Row 7's XML work, in one process (bundled by bench/lib/build.mjs into bench/.build/xml.mjs):
 * virt-sriov's own parts (saxes building the light DOM in one pass, the source-form serializer,
 * the scan status runs) beside @xmldom/xmldom's DOMParser and XMLSerializer on the same texts,
 * and how long each bound of document.ts takes to refuse a document libvirt never writes.
 */
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { scanPciSources } from '../../src/xml/device-scan.js';
import { parseXml, readXml } from '../../src/xml/document.js';
import { serializeXml } from '../../src/xml/serialize.js';

export interface XmlCase {
  readonly label: string;
  /** CPU milliseconds per call (user + system of this process): the median over `runs` of the mean of a loop. */
  readonly cpuMs: number;
  readonly note?: string;
}

const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * The median over `runs` of the mean CPU time of `f` in a loop of `reps`, after one untimed
 * loop. CPU time, not wall: on the shared 2 cores the wall time of a loop this short is mostly
 * who else ran meanwhile.
 */
function timed(f: () => unknown, runs: number, reps: number): number {
  for (let i = 0; i < reps; i++) f();
  const per: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = cpuNow();
    for (let i = 0; i < reps; i++) f();
    per.push((cpuNow() - t0) / reps);
  }
  per.sort((a, b) => a - b);
  return per[per.length >> 1]!;
}

const xmldomParse = (text: string) => new DOMParser({ onError: () => undefined }).parseFromString(text, 'text/xml');

/** A refusal's time: how long parseXml takes to throw (it must throw). */
function refusal(text: string): () => void {
  return () => {
    try {
      parseXml(text, 'big.xml');
    } catch {
      return;
    }
    throw new Error('parseXml read a document past its bounds');
  };
}

export function measureXml(texts: { start: string; vm64: string; domains: readonly string[] }, runs: number): XmlCase[] {
  const out: XmlCase[] = [];
  const add = (label: string, f: () => unknown, reps: number, note?: string) => out.push({ label, cpuMs: timed(f, runs, reps), ...(note ? { note } : {}) });
  for (const [what, text, reps] of [['libvirt 9.0 start XML', texts.start, 200], ['64-VF domain', texts.vm64, 20]] as const) {
    const size = `${(text.length / 1024).toFixed(1)} KiB`;
    if (serializeXml(parseXml(text, what)) !== (text.endsWith('\n') ? text : `${text}\n`)) throw new Error(`${what}: no byte-for-byte round trip`);
    add(`parseXml (saxes + light DOM + source forms), ${what}`, () => parseXml(text, what), reps, size);
    add(`readXml (saxes + light DOM), ${what}`, () => readXml(text, what), reps);
    const parsed = parseXml(text, what);
    add(`serializeXml (source forms), ${what}`, () => serializeXml(parsed), reps);
    add(`@xmldom/xmldom DOMParser, ${what}`, () => xmldomParse(text), reps);
    const dom = xmldomParse(text);
    add(`@xmldom/xmldom XMLSerializer, ${what}`, () => new XMLSerializer().serializeToString(dom), reps);
  }
  const n = texts.domains.length;
  add(`scan (device-scan.ts), ${n} domains as status reads them`, () => texts.domains.forEach((d) => scanPciSources(d)), 5);
  add(`readXml, the same ${n} domains`, () => texts.domains.forEach((d) => readXml(d, 'domain')), 5);
  add(`@xmldom/xmldom DOMParser, the same ${n} domains`, () => texts.domains.forEach((d) => xmldomParse(d)), 5);

  // the bounds test/unit/xml/document.test.ts checks the refusals of; here, what each costs
  const domain = (devices: string) => `<domain type='kvm'>\n  <name>big</name>\n  <devices>\n${devices}\n  </devices>\n</domain>\n`;
  const laughs = ['<!ENTITY lol "lol">'];
  for (let i = 1; i <= 9; i++) laughs.push(`<!ENTITY lol${i} "${`&lol${i === 1 ? '' : i - 1};`.repeat(10)}">`);
  for (const [what, text] of [
    ['billion laughs (a DOCTYPE)', `<?xml version="1.0"?>\n<!DOCTYPE domain [\n ${laughs.join('\n ')}\n]>\n<domain><name>&lol9;</name></domain>\n`],
    ['50,000 attributes on one element', domain(`<x ${Array.from({ length: 50_000 }, (_, i) => `a${i}='1'`).join(' ')}/>`)],
    ['elements nested 100,000 deep', domain(`${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}`)],
    ['half a million elements', domain('<a/>'.repeat(500_000))],
    ['5 MiB', domain(`<x v='${'9'.repeat(5 << 20)}'/>`)],
    ['a namespace of 64 spaces', domain(`<metadata><s:vfs xmlns:s='${' '.repeat(64)}'/></metadata>`)],
  ] as const) {
    add(`refused: ${what}`, refusal(text), 1, `${(text.length / 1024 / 1024).toFixed(2)} MiB`);
  }
  return out;
}
