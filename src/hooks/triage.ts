/**
 * Which hook calls virt-sriov handles, and whether a call has anything for it to do, judged
 * from the raw text before any parsing. Conservative: anything that might be an SR-IOV device
 * goes to the full path.
 *
 * The rules are data, applied twice from this one table: by `needsWork` here, in node, and by
 * the installed hook's shell entry (src/hooks/entry-script.ts generates it from this table), which
 * answers the calls with nothing to do without starting node. Text rules are regular
 * expressions in the part of the syntax that means the same to JavaScript and to POSIX ERE
 * (entry-script.ts refuses anything else): literals, bracket expressions, (?:a|b) and *. Start
 * tags are spelled as the XML tokenizer of src/xml/markup.ts spells them.
 */
import { STYLE_ELEMENTS, STYLES } from '../xml/devices/device-fields.js';
import { startTag, startTagWith } from '../xml/markup.js';
import type { HookName } from './run-hook.js';

export interface TriageFacts {
  /** The config names PFs (the daemon hook brings them to their VF counts). */
  readonly pfsConfigured: boolean;
  /** Some guest holds a VF in virt-sriov's state. */
  readonly vfsHeld: boolean;
}

/** What tells a call has work: its stdin matches a text rule, or a fact about the host holds. */
export type WorkRule = { readonly stdinMatches: TextRule } | { readonly fact: keyof TriageFacts };

export interface TextRule {
  readonly name: string;
  /** A JavaScript regular expression's source, in the part both JavaScript and POSIX ERE read alike. */
  readonly source: string;
}

export interface OperationRule {
  /** Whether a failure may stop what libvirt is doing (the other operations log and go on). */
  readonly mayFail: boolean;
  readonly work: WorkRule;
  /** libvirt uses what the hook prints as the domain XML: with nothing to do, print it back. */
  readonly echoesXml?: true;
}

/**
 * The start tag of any style's device element (xml/devices/device-fields.ts), or virt-sriov
 * metadata. An element only one style has (<hostdev>) is taken in any form: node tells a PCI
 * hostdev from a USB one. One several styles share (<interface>) is taken with the type of one of
 * them: a bridge or user NIC is none of ours.
 */
function styleStartTags(): string {
  const elements = [...new Set(STYLES.map((s) => STYLE_ELEMENTS[s].element))];
  return elements.map((element) => {
    const styles = STYLES.filter((s) => STYLE_ELEMENTS[s].element === element);
    return styles.length === 1 ? startTag(element) : startTagWith(element, 'type', styles.map((s) => STYLE_ELEMENTS[s].fixed.type!));
  }).join('|');
}

/** A PCI host device, a hostdev or network interface, or virt-sriov metadata. */
export const DOMAIN_DEVICES: TextRule = {
  name: 'domain_devices',
  source: `${styleStartTags()}|virt-sriov\\.org/xmlns`,
};

/** A network whose forward mode is hostdev: a VF pool. */
export const VF_POOL: TextRule = {
  name: 'vf_pool',
  source: startTagWith('forward', 'mode', ['hostdev']),
};

const domain = { stdinMatches: DOMAIN_DEVICES } as const;

/** The operations virt-sriov handles; every other call is logged as ignored. */
export const OPERATIONS: Record<HookName, Readonly<Record<string, OperationRule>>> = {
  qemu: {
    prepare: { mayFail: true, work: domain },
    start: { mayFail: true, work: domain },
    // stop and release put back what the state says the guest holds, whatever its XML says now
    stopped: { mayFail: false, work: { fact: 'vfsHeld' } },
    release: { mayFail: false, work: { fact: 'vfsHeld' } },
    reconnect: { mayFail: false, work: domain },
    migrate: { mayFail: true, work: domain, echoesXml: true },
    restore: { mayFail: true, work: domain, echoesXml: true },
  },
  network: {
    start: { mayFail: true, work: { stdinMatches: VF_POOL } },
    'port-created': { mayFail: true, work: { stdinMatches: VF_POOL } },
    'port-deleted': { mayFail: false, work: { stdinMatches: VF_POOL } },
  },
  daemon: {
    start: { mayFail: false, work: { fact: 'pfsConfigured' } },
  },
};

/** How a handled call with nothing to do is logged: a network that isn't a VF pool is none of ours. */
export const NOTHING_TO_DO: Record<HookName, 'ok' | 'ignored'> = { qemu: 'ok', network: 'ignored', daemon: 'ok' };

/** The rule of an operation virt-sriov handles (own keys only: `constructor` is no operation). */
export function operationRule(hook: HookName, op: string): OperationRule | undefined {
  return Object.hasOwn(OPERATIONS[hook], op) ? OPERATIONS[hook][op] : undefined;
}

const compiled = new Map<TextRule, RegExp>();

export function needsWork(hook: HookName, op: string, stdin: string, facts: TriageFacts): boolean {
  const rule = operationRule(hook, op);
  if (!rule) return false;
  if ('fact' in rule.work) return facts[rule.work.fact];
  const text = rule.work.stdinMatches;
  let re = compiled.get(text);
  if (!re) compiled.set(text, (re = new RegExp(text.source)));
  return re.test(stdin);
}
