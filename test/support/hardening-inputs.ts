/**
 * Bad input for the hardening suite, as fast-check arbitraries: domain XML and network hookData
 * mutated from what libvirt 9.0 really passed (test/fixtures/captures), entity tricks, hook argv,
 * config files and CLI arguments. Each XML case says whether it is certainly bad (`bad`: no
 * hook may change anything for it) or only perhaps (a mutation may leave it valid).
 */
import fc from 'fast-check';
import { captureStdin } from './fake-host.js';
import { withMetadata } from './hook-bench.js';

export interface XmlCase {
  readonly text: string;
  /** How it was made, for the report of a failing case. */
  readonly how: string;
  /** Certainly not a document a hook can act on: nothing may change on the host. */
  readonly bad: boolean;
}

// ---- building blocks ----

/** Names, paths and words an attacker or a typo could put where a netdev name goes. */
export const HOSTILE_NAMES: readonly string[] = [
  'eth0; reboot', 'eth0 && touch /tmp/pwned', '$(reboot)', '`reboot`', 'eth0|id', 'eth0\nreboot', 'eth0\0', '../../../../etc',
  '..', '.', 'eth0/../eth0', '/eth0', 'eth0/', '-batch', '--help', '-j', 'eth0 up', 'eth0 vf 0 trust on', 'a'.repeat(16),
  'a'.repeat(4096), '', ' ', ' eth0', 'eth0 ', 'eth0:1', 'eth0#', "eth0'", 'eth0"', 'eth0\\', 'ëth0', 'eth0\u200b', '*', '~root',
];
const HOSTILE_NUMBERS: readonly string[] = [
  '', ' ', '-1', '0', '4095', '4096', '65536', '99999999999999999999', '1e3', '0x10', '1.5', 'NaN', 'Infinity', '12abc', '+5', '٣',
  '1;reboot', '$(id)', '0'.repeat(5000) + '1', '4294967296', '-0', '0x', '0xffffffffffff',
];
const HOSTILE_MACS: readonly string[] = [
  'ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:01', '00:00:00:00:00:00', '52:54:00:aa:bb', '52:54:00:aa:bb:cc:dd', '52-54-00-aa-bb-cc',
  'zz:54:00:aa:bb:cc', '52:54:00:aa:bb:cc; reboot', ' 52:54:00:aa:bb:cc', '52:54:00:AA:BB:CC', '52:54:00:aa:bb:c',
];
/** Values that are fine, so a mutation of one field leaves the rest of an entry usable. */
const GOOD_VALUES: Record<string, readonly string[]> = {
  vlan: ['1', '403', '4094', '403:3'], qos: ['0', '7'], trust: ['on', 'off', 'yes', 'false'], spoofchk: ['on', 'off'],
  'link-state': ['auto', 'enable', 'disable'], 'min-tx-rate': ['0', '10'], 'max-tx-rate': ['0', '100'], 'query-rss': ['on', 'off'],
  mac: ['52:54:00:12:34:56', 'de:ad:fe:ed:ff:01'], pci: ['0000:01:10.2', '0000:01:10.0', '01:10.2'], 'interface-mac': ['52:54:00:aa:00:01'],
};
const SETTING_ATTRIBUTES = Object.keys(GOOD_VALUES);

const hostileValue = fc.oneof(
  fc.constantFrom(...HOSTILE_NUMBERS), fc.constantFrom(...HOSTILE_MACS), fc.constantFrom(...HOSTILE_NAMES),
  fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 }),
);

const escapeAttribute = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');

/** Characters that upset XML: markup, entity starts, NUL, non-characters, a lone surrogate. */
const NASTY_CHAR = fc.constantFrom('<', '>', '/', '=', "'", '"', '&', ';', ':', ' ', '\n', '\0', '\uFFFE', '\uD800', '\u0085', ']]>', '<!--', '?>', 'x', '0');

// ---- mutations of a document ----

/** The document cut anywhere before the end of its root element: never well-formed. */
function truncated(doc: string): fc.Arbitrary<XmlCase> {
  const end = doc.lastIndexOf('>');
  return fc.nat({ max: end }).map((n) => ({ text: doc.slice(0, n), how: `truncated at ${n}`, bad: true }));
}

/** fc.oneof over the choices that exist for this document (a duplicated() of an absent element is null). */
function oneofPresent(...choices: { arbitrary: fc.Arbitrary<XmlCase> | null; weight: number }[]): fc.Arbitrary<XmlCase> {
  return fc.oneof(...choices.filter((c): c is { arbitrary: fc.Arbitrary<XmlCase>; weight: number } => c.arbitrary !== null));
}

/** A few characters deleted, inserted or replaced anywhere. */
function charEdits(doc: string): fc.Arbitrary<XmlCase> {
  const edit = fc.tuple(fc.nat({ max: doc.length - 1 }), fc.constantFrom('delete', 'insert', 'replace'), fc.oneof(NASTY_CHAR, fc.string({ unit: 'binary', minLength: 1, maxLength: 3 })));
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let text = doc;
    for (const [at, kind, s] of edits) {
      const i = Math.min(at, text.length);
      text = kind === 'delete' ? text.slice(0, i) + text.slice(i + 1) : kind === 'insert' ? text.slice(0, i) + s + text.slice(i) : text.slice(0, i) + s + text.slice(i + 1);
    }
    return { text, how: `edits ${JSON.stringify(edits)}`, bad: false };
  });
}

/** One attribute value replaced by a huge one (4 KiB to 1 MiB of digits, zeros, letters or any text). */
function hugeAttribute(doc: string): fc.Arbitrary<XmlCase> {
  const spots = [...doc.matchAll(/=(['"])([^'"]*)\1/g)].map((m) => ({ at: m.index! + 2, len: m[2]!.length }));
  const size = fc.oneof({ arbitrary: fc.constantFrom(4096, 65_536), weight: 30 }, { arbitrary: fc.constant(1 << 20), weight: 1 });
  const fill = fc.constantFrom('9', '0', 'A', 'é', '&amp;', ' ', 'ff:');
  return fc.tuple(fc.constantFrom(...spots), size, fill).map(([spot, n, f]) => {
    const value = f === '0' ? `${'0'.repeat(n)}1` : f.repeat(Math.ceil(n / f.length));
    return { text: doc.slice(0, spot.at) + value + doc.slice(spot.at + spot.len), how: `attribute at ${spot.at} = ${f} x ${n}`, bad: false };
  });
}

/** The first element with `tag` written n times (the whole element, children included); null if there is none. */
function duplicated(doc: string, tag: string, bad: boolean): fc.Arbitrary<XmlCase> | null {
  const start = doc.search(new RegExp(`<${tag}[\\s/>]`));
  if (start < 0) return null;
  const selfClosing = /^<[^>]*\/>/.exec(doc.slice(start));
  const close = `</${tag}>`;
  const end = selfClosing ? start + selfClosing[0].length : doc.indexOf(close, start) + close.length;
  const element = doc.slice(start, end);
  return fc.integer({ min: 2, max: 40 }).map((n) => ({ text: doc.slice(0, start) + element.repeat(n) + doc.slice(end), how: `<${tag}> x ${n}`, bad }));
}

/** The root in a namespace, or a prefix: not a libvirt domain document. */
function wrongNamespace(doc: string, root: string, rootChecked: boolean): fc.Arbitrary<XmlCase> {
  // the domain's root must be libvirt's <domain>, in no namespace; the network hook reads <hookData>'s local name
  return fc.constantFrom(
    { text: doc.replace(`<${root}`, `<${root} xmlns='http://example.org/evil'`), how: 'root in another namespace', bad: rootChecked },
    { text: doc.replace(`<${root}`, `<x:${root} xmlns:x='http://libvirt.org/schemas/domain/qemu/1.0'`).replace(new RegExp(`</${root}>\\s*$`), `</x:${root}>\n`), how: 'prefixed root', bad: rootChecked },
    { text: doc.replace(`<${root}`, `<${root} xmlns:sriov='urn:undeclared-elsewhere'`), how: 'a stray namespace declaration', bad: false },
    { text: doc.replace(/http:\/\/virt-sriov\.org\/xmlns\/domain\/1\.0/g, 'http://virt-sriov.org/xmlns/domain/2.0'), how: 'metadata in an unknown version', bad: false },
    { text: doc.replace(/xmlns:sriov=/g, 'xmlns:other='), how: 'undeclared prefix', bad: false },
    // white space, # or % as a namespace once hung xmlbuilder2 (an exponential regex)
    ...[' ', '#', '%'].map((c) => ({ text: doc.replace(/xmlns:sriov='[^']*'/, `xmlns:sriov='${c.repeat(64)}'`), how: `a namespace of 64 ${JSON.stringify(c)}`, bad: false })),
  );
}

/**
 * A document blown up past what libvirt writes: thousands of attributes on one element, elements
 * nested thousands deep or by the tens of thousands, megabytes of white space inside a tag.
 */
function blownUp(doc: string, root: string): fc.Arbitrary<XmlCase> {
  const open = doc.indexOf(`<${root}`);
  const at = doc.indexOf('>', open) + 1;
  const insert = (s: string) => doc.slice(0, at) + s + doc.slice(at);
  return fc.oneof(
    fc.integer({ min: 257, max: 3000 }).map((n) => ({ text: insert(`<x ${Array.from({ length: n }, (_, i) => `a${i}='1'`).join(' ')}/>`), how: `attributes: ${n} on one element`, bad: true })),
    fc.integer({ min: 257, max: 5000 }).map((n) => ({ text: insert(`${'<a>'.repeat(n)}${'</a>'.repeat(n)}`), how: `nesting: ${n} deep`, bad: true })),
    fc.integer({ min: 65_537, max: 70_000 }).map((n) => ({ text: insert('<a/>'.repeat(n)), how: `elements: ${n}`, bad: true })),
    fc.integer({ min: 4, max: 8 }).map((n) => ({ text: doc.replace(`<${root}`, `<${root}${' '.repeat(n << 20)}`), how: `whitespace: ${n} MiB in the root tag`, bad: true })),
  );
}

/** A DOCTYPE carrying entities: billion laughs, external (file and http), parameter entities, a quadratic blow-up. */
export function entityTricks(doc: string, root: string, fetchUrl: string, secretFile: string): fc.Arbitrary<XmlCase> {
  const laughs = ['<!ENTITY lol "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`)].join('');
  const name = /<name>([^<]*)<\/name>/.exec(doc)?.[1] ?? 'x';
  const inName = (entity: string) => doc.replace(`<name>${name}</name>`, `<name>${name}${entity}</name>`);
  const withDoctype = (decl: string, entity: string) => `<?xml version="1.0"?>\n<!DOCTYPE ${root} [${decl}]>\n${inName(entity)}`;
  return fc.constantFrom(
    { text: withDoctype(laughs, '&lol9;'), how: 'billion laughs', bad: true },
    { text: withDoctype(`<!ENTITY a "${'x'.repeat(50_000)}">`, '&a;'.repeat(2_000)), how: 'quadratic blow-up', bad: true },
    { text: withDoctype(`<!ENTITY xxe SYSTEM "file://${secretFile}">`, '&xxe;'), how: 'external entity (file)', bad: true },
    { text: withDoctype(`<!ENTITY xxe SYSTEM "${fetchUrl}/xxe">`, '&xxe;'), how: 'external entity (http)', bad: true },
    { text: withDoctype(`<!ENTITY % p SYSTEM "${fetchUrl}/param"> %p;`, ''), how: 'external parameter entity', bad: true },
    { text: `<!DOCTYPE ${root} SYSTEM "${fetchUrl}/dtd">\n${doc}`, how: 'external DTD', bad: true },
    { text: `<!DOCTYPE ${root} PUBLIC "-//x//y" "${fetchUrl}/public">\n${doc}`, how: 'public DTD', bad: true },
    { text: inName('&lol9;'), how: 'undeclared entity', bad: true },
    { text: inName('&#0;'), how: 'character reference to NUL', bad: true },
    { text: inName('&#x110000;'), how: 'character reference out of range', bad: true },
    {
      text: doc.replace(`<${root}`, `<${root} xmlns:xi='http://www.w3.org/2001/XInclude'`).replace('</name>', `</name><xi:include href='file://${secretFile}' parse='text'/>`),
      how: 'XInclude of a file', bad: false,
    },
  );
}

/** A metadata entry with every attribute drawn from good and hostile values. */
function metadataEntry(pci: string | null, mac: string | null): fc.Arbitrary<XmlCase & { entry: string }> {
  const attr = fc.tuple(fc.constantFrom(...SETTING_ATTRIBUTES, 'unknown-attr', 'xmlns:x'), fc.boolean(), hostileValue)
    .map(([name, good, hostile]) => [name, good && GOOD_VALUES[name] ? GOOD_VALUES[name][0]! : hostile] as const);
  return fc.array(attr, { maxLength: 6 }).map((attrs) => {
    const key = pci ? `pci='${pci}'` : mac ? `interface-mac='${mac}'` : '';
    const entry = `<sriov:vf ${key} ${attrs.map(([n, v]) => `${n}='${escapeAttribute(v)}'`).join(' ')}/>`;
    return { entry, text: '', how: `metadata ${entry.slice(0, 300)}`, bad: false };
  });
}

// ---- domain XML ----

interface DomainBase {
  readonly name: string;
  readonly doc: string;
  /** The device element to duplicate, and whether two of it are certainly refused (a pinned VF). */
  readonly device: string;
  readonly pinned: boolean;
  readonly pci: string | null;
  readonly mac: string | null;
}

/** What libvirt passed the qemu hook for each style, with and without virt-sriov metadata. */
export function domainBases(): DomainBase[] {
  const hostdevMd = "<sriov:vf pci='0000:01:10.2' mac='de:ad:fe:ed:ff:01' vlan='403' trust='on' spoofchk='off' max-tx-rate='100'/>";
  const ifaceMd = "<sriov:vf interface-mac='52:54:00:aa:00:01' trust='on' spoofchk='off' max-tx-rate='100'/>";
  const out: DomainBase[] = [];
  for (const phase of ['prepare', 'start', 'stopped']) {
    const h = captureStdin(`qemu.l2-hostdev.${phase}.begin.xml`.replace('stopped.begin', 'stopped.end'));
    const i = captureStdin(`qemu.l2-iface.${phase}.begin.xml`.replace('stopped.begin', 'stopped.end'));
    const n = captureStdin(`qemu.l2-net.${phase}.begin.xml`.replace('stopped.begin', 'stopped.end'));
    out.push(
      { name: 'l2-hostdev', doc: h, device: 'hostdev', pinned: true, pci: '0000:01:10.2', mac: null },
      { name: 'l2-hostdev', doc: withMetadata(h, [hostdevMd]), device: 'hostdev', pinned: true, pci: '0000:01:10.2', mac: null },
      { name: 'l2-iface', doc: withMetadata(i, [ifaceMd]), device: 'interface', pinned: true, pci: null, mac: '52:54:00:aa:00:01' },
      { name: 'l2-net', doc: n, device: 'interface', pinned: phase !== 'prepare', pci: null, mac: '52:54:00:bb:00:01' },
    );
  }
  return out;
}

export function domainXmlCase(fetchUrl: string, secretFile: string): fc.Arbitrary<XmlCase & { name: string }> {
  const bases = domainBases();
  return fc.constantFrom(...bases).chain((b) => {
    const hasMd = b.doc.includes('<sriov:vfs');
    const withEntry = metadataEntry(b.pci, b.mac).map((e) => ({ ...e, text: hasMd ? b.doc.replace(/<sriov:vf [^>]*\/>/, e.entry) : withMetadata(b.doc, [e.entry]) }));
    return oneofPresent(
      { arbitrary: truncated(b.doc), weight: 4 },
      { arbitrary: charEdits(b.doc), weight: 4 },
      { arbitrary: hugeAttribute(b.doc), weight: 2 },
      { arbitrary: duplicated(b.doc, b.device, b.pinned), weight: 2 },
      { arbitrary: duplicated(b.doc, 'sriov:vf', hasMd && b.pinned), weight: 1 },
      { arbitrary: duplicated(b.doc, 'name', false), weight: 1 },
      { arbitrary: wrongNamespace(b.doc, 'domain', true), weight: 2 },
      { arbitrary: entityTricks(b.doc, 'domain', fetchUrl, secretFile), weight: 3 },
      { arbitrary: blownUp(b.doc, 'domain'), weight: 1 },
      { arbitrary: withEntry, weight: 4 },
      { arbitrary: garbage(), weight: 2 },
    ).map((c) => ({ ...c, name: b.name }));
  });
}

/** Not a document at all, or barely. */
export function garbage(): fc.Arbitrary<XmlCase> {
  return fc.oneof(
    fc.constantFrom('', ' ', '\n', '\uFEFF', '<', '<domain', '<domain/>', '<domain></domain>', '<?xml version="1.0"?>', '<!-- -->', '<a/><b/>', ']]>', '\0',
      '<domain><name></name></domain>', '<domain><name>x</name><devices><hostdev/></devices></domain>', "<domain><name>x</name><devices><hostdev mode='subsystem' type='pci'><source><address bus='0x01' slot='0x10' function='0x9'/></source></hostdev></devices></domain>",
      '<hookData/>', '<network/>').map((text) => ({ text, how: 'fixed garbage', bad: true })),
    fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ text, how: 'random text', bad: true })),
    fc.string({ unit: fc.constantFrom('<', '>', '/', 'a', 'd', '=', "'", ' ', 'hostdev', 'domain', 'name', '&'), maxLength: 60 }).map((text) => ({ text, how: 'markup soup', bad: false })),
  );
}

// ---- network hookData ----

interface HookDataBase {
  readonly file: string;
  readonly doc: string;
}

export function hookDataBases(): HookDataBase[] {
  return ['start.begin', 'started.begin', 'port-created.begin', 'port-deleted.begin', 'stopped.end'].map((f) => ({ file: f, doc: captureStdin(`network.sriov.${f}.xml`) }));
}

const VF_ADDRESSES: readonly string[] = [
  "domain='0x0000' bus='0x01' slot='0x10' function='0x0'", "domain='0x0000' bus='0x01' slot='0x10' function='0x2'",
  "domain='0x0000' bus='0x01' slot='0x10' function='0x4'", "bus='0x01' slot='0x10' function='0x2'",
  "domain='0x0000' bus='0x01' slot='0x1f' function='0x7'", "domain='0x0000' bus='0x01' slot='0x20' function='0x0'",
  "domain='0x10000' bus='0x01' slot='0x10' function='0x0'", "domain='0x0000' bus='0x01' slot='0x10' function='0x8'",
  "domain='-1' bus='0x01' slot='0x10' function='0x0'", "domain='0x0000' bus='0x01' slot='0x10'", '',
  "domain='0x0000' bus='0x01' slot='0x10' function='0x0' type='../../etc'",
];

/** A hookData with hostile values where libvirt puts names and numbers: the PF, the VF address, the owner, the VLAN. */
function hostileHookData(): fc.Arbitrary<XmlCase> {
  return fc.record({
    pf: fc.oneof(fc.constantFrom(...HOSTILE_NAMES, 'eth0', 'eth1', 'lo'), fc.string({ maxLength: 20 })),
    mode: fc.constantFrom('hostdev', 'hostdev', 'passthrough', 'nat', ''),
    address: fc.constantFrom(...VF_ADDRESSES),
    plug: fc.constantFrom('hostdev-pci', 'hostdev-pci', 'direct', 'none', ''),
    owner: fc.oneof(fc.constantFrom('l2-net', 'tenant-a', '', '../../etc/passwd', 'x'.repeat(10_000)), fc.string({ unit: 'binary', maxLength: 20 })),
    uuid: fc.oneof(fc.uuid(), fc.constantFrom('', 'not-a-uuid', '../x')),
    vlan: fc.oneof(fc.constant(null), fc.constantFrom(...HOSTILE_NUMBERS)),
    withPort: fc.boolean(),
    name: fc.oneof(fc.constant('sriov'), fc.string({ maxLength: 10 })),
  }).map((r) => {
    const e = escapeAttribute;
    const port = r.withPort ? `<networkport><uuid>${e(r.uuid)}</uuid><owner><name>${e(r.owner)}</name><uuid>${e(r.uuid)}</uuid></owner>`
      + `<mac address='52:54:00:bb:00:01'/>${r.vlan === null ? '' : `<vlan><tag id='${e(r.vlan)}'/></vlan>`}<plug type='${e(r.plug)}' managed='yes'><address ${r.address}/></plug></networkport>` : '';
    const text = `<hookData><network><name>${e(r.name)}</name><forward mode='${e(r.mode)}' managed='yes'><pf dev='${e(r.pf)}'/><address type='pci' ${r.address}/></forward></network>${port}</hookData>`;
    // a hostile PF name, or a plug with a bad address, is refused or ignored: nothing may change
    const badPf = r.pf !== 'eth0';
    return { text, how: `hookData pf=${JSON.stringify(r.pf).slice(0, 60)} address=${r.address} plug=${r.plug}`, bad: badPf && !r.withPort };
  });
}

export function hookDataCase(fetchUrl: string, secretFile: string): fc.Arbitrary<XmlCase> {
  return fc.oneof(
    { arbitrary: hostileHookData(), weight: 6 },
    {
      arbitrary: fc.constantFrom(...hookDataBases()).chain((b) => oneofPresent(
        { arbitrary: truncated(b.doc), weight: 3 },
        { arbitrary: charEdits(b.doc), weight: 3 },
        { arbitrary: hugeAttribute(b.doc), weight: 1 },
        { arbitrary: duplicated(b.doc, 'pf', false), weight: 1 },
        { arbitrary: duplicated(b.doc, 'networkport', false), weight: 1 },
        { arbitrary: duplicated(b.doc, 'network', false), weight: 1 },
        { arbitrary: wrongNamespace(b.doc, 'hookData', false), weight: 1 },
        { arbitrary: entityTricks(b.doc, 'hookData', fetchUrl, secretFile), weight: 2 },
        { arbitrary: blownUp(b.doc, 'hookData'), weight: 1 },
      )),
      weight: 10,
    },
    { arbitrary: garbage(), weight: 1 },
  );
}

// ---- hook argv ----

const KNOWN_WORDS = ['prepare', 'start', 'started', 'stopped', 'release', 'reconnect', 'migrate', 'restore', 'attach', 'port-created', 'port-deleted',
  'updated', 'plugged', 'unplugged', 'shutdown', 'reload', 'begin', 'end', '-', 'SIGHUP', 'shutoff', 'destroyed'];
const PROTOTYPE_WORDS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'prototype', 'then'];

export const argvWord = fc.oneof(
  { arbitrary: fc.constantFrom(...KNOWN_WORDS), weight: 6 },
  { arbitrary: fc.constantFrom(...PROTOTYPE_WORDS), weight: 2 },
  { arbitrary: fc.constantFrom(...HOSTILE_NAMES), weight: 2 },
  { arbitrary: fc.string({ maxLength: 20 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 10 }), weight: 1 },
);

export const hookArgv = fc.oneof(
  // an operation virt-sriov handles, with any other words, fewer or more than libvirt's four
  fc.tuple(argvWord, fc.constantFrom('prepare', 'start', 'stopped', 'release', 'reconnect', 'migrate', 'restore', 'port-created', 'port-deleted'), fc.array(argvWord, { maxLength: 5 }))
    .map(([o, op, rest]) => [o, op, ...rest]),
  // libvirt's shape, any words
  fc.tuple(argvWord, argvWord, argvWord, argvWord).map((w) => w as string[]),
  // missing or extra words
  fc.array(argvWord, { maxLength: 9 }),
);

// ---- config files ----

const configValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(...HOSTILE_NUMBERS.map(Number), ...HOSTILE_NAMES));

/** Mostly a good value, sometimes a hostile one: a config with one bad key among good ones. */
const mostly = <T>(good: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 6 }, { arbitrary: configValue, weight: 1 });

/** A config as JSON text: mostly the schema's shape with good and bad values, sometimes broken text. */
export function configText(dir: string): fc.Arbitrary<{ text: string; how: string }> {
  const pfName = fc.oneof({ arbitrary: fc.constantFrom('eth0', 'eth1', 'enp1s0f0'), weight: 6 }, { arbitrary: fc.constantFrom(...HOSTILE_NAMES, '__proto__', 'constructor', 'eth0:1', '..'), weight: 1 });
  const pfEntry = fc.record({
    numVfs: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 8 }), weight: 8 }, { arbitrary: fc.oneof(fc.integer(), fc.double(), configValue), weight: 1 }),
    quirks: mostly(fc.constantFrom(['recreate-vfs-after-mac'], [])),
  }, { requiredKeys: ['numVfs'] });
  const network = fc.record({
    vlan: mostly(fc.integer({ min: 1, max: 4094 })), qos: mostly(fc.integer({ min: 0, max: 7 })), trust: mostly(fc.boolean()),
    spoofchk: fc.boolean(), linkState: mostly(fc.constantFrom('auto', 'enable', 'disable')), minTxRate: mostly(fc.nat(1000)),
    maxTxRate: mostly(fc.nat()), queryRss: fc.boolean(),
  }, { requiredKeys: [] });
  const structured = fc.record({
    pfs: mostly(fc.dictionary(pfName, mostly(pfEntry), { maxKeys: 3 })),
    releasePolicy: mostly(fc.constantFrom('restore', 'reset')),
    networks: mostly(fc.dictionary(fc.oneof(fc.constantFrom('sriov', 'pool', '__proto__', ''), fc.string({ maxLength: 8 })), network, { maxKeys: 2 })),
    // where the hook writes: a temp dir or a bad value, never a path on this machine
    logFile: fc.oneof({ arbitrary: fc.constant(`${dir}/virt-sriov.log`), weight: 8 }, fc.constantFrom<unknown>('', 5, null)),
    stateDir: fc.oneof({ arbitrary: fc.constant(`${dir}/state`), weight: 8 }, fc.constantFrom<unknown>('', 0, null)),
    sysfsRoot: fc.oneof({ arbitrary: fc.constant(`${dir}/sys`), weight: 8 }, fc.constantFrom<unknown>('', 7)),
    ipCommand: fc.oneof({ arbitrary: fc.constant(['/bin/false']), weight: 8 }, fc.constantFrom<unknown>([], [''], 'ip', [1], null)),
    unknownKey: configValue,
  }, { requiredKeys: [] }).map((o) => {
    // an unknown key makes the whole file invalid: keep it rare
    const { unknownKey, ...rest } = o;
    return JSON.stringify(JSON.stringify(rest).length % 9 === 0 ? { ...rest, unknownKey } : rest);
  });
  return fc.oneof(
    { arbitrary: structured.map((text) => ({ text, how: 'structured' })), weight: 10 },
    { arbitrary: structured.chain((t) => fc.nat({ max: Math.max(0, t.length - 1) }).map((n) => ({ text: t.slice(0, n), how: `truncated at ${n}` }))), weight: 2 },
    { arbitrary: fc.constantFrom('', 'null', '[]', '"x"', '1', '{', '{"pfs": {"eth0": {"numVfs": 8}}, "pfs": 5}', '{"__proto__": {"pfs": {"eth0": {"numVfs": 8}}}}',
      '{"constructor": {"prototype": {"polluted": 1}}}', '{"pfs": {"__proto__": {"polluted": 1}}}', '\uFEFF{}', '{} {}', '{"pfs": {"eth0": {"numVfs": 1e400}}}', `{"logFile": "${'a'.repeat(100_000)}"}`).map((text) => ({ text, how: 'fixed' })), weight: 2 },
    { arbitrary: fc.json({ maxDepth: 3 }).map((text) => ({ text, how: 'any JSON' })), weight: 2 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 100 }).map((text) => ({ text, how: 'any text' })), weight: 1 },
  );
}

// ---- CLI arguments ----

const CLI_COMMANDS = ['define', 'attach', 'detach', 'vfs', 'network', 'logs', 'hook', 'help', 'bogus', ''];
/**
 * Commands that start processes, a few per cent of the cases: status runs ip; convert, style and
 * doctor run `--version` of up to 15 libvirt and QEMU binaries to learn this host's versions.
 */
const CLI_SPAWNING = ['status', 'doctor', 'convert', 'style'];
const CLI_OPTIONS = ['--pf', '--network', '--to', '--vf', '--mac', '--vlan', '--trust', '--spoofchk', '--link-state', '--min-tx-rate', '--max-tx-rate',
  '--query-rss', '--count', '--name', '--define', '--autostart', '--json', '--domain', '--since', '--help', '-h', '--version', '-V', '--dry-run',
  '--in-place', '--output', '-o', '--unknown', '-x', '--'];
const CLI_VALUES = ['eth0', 'eth1', 'vm1', 'fw1', 'sriov', 'hostdev', 'interface', 'network', '403', '0', '8', '52:54:00:12:34:56', 'on', 'off',
  '0000:01:10.0', '-', 'qemu', 'prepare', 'begin'];

/**
 * Words for `virt-sriov ...`: no -c/--config (the test fixes those), no real paths on this
 * machine, and no `logs -f/--follow` (it follows the log until interrupted, by design).
 */
export const cliArgv = fc.tuple(
  fc.oneof({ arbitrary: fc.constantFrom(...CLI_COMMANDS), weight: 25 }, { arbitrary: fc.constantFrom(...CLI_SPAWNING), weight: 1 }),
  fc.array(fc.oneof(
    { arbitrary: fc.constantFrom(...CLI_OPTIONS), weight: 4 },
    { arbitrary: fc.constantFrom(...CLI_VALUES), weight: 4 },
    { arbitrary: fc.constantFrom(...HOSTILE_NAMES, ...HOSTILE_NUMBERS, ...HOSTILE_MACS), weight: 3 },
    { arbitrary: fc.string({ maxLength: 12 }), weight: 1 },
  ), { maxLength: 7 }),
).map(([cmd, rest]) => [cmd, ...rest].filter((w) => !/^(-c|--connect|--config|-f|--follow)/.test(w) && !w.startsWith('/') && !/^-[a-zA-Z]*f/.test(w)));
