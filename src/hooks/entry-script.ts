/**
 * The installed hook's entry: a bash script, generated from triage.ts's table, that answers the
 * calls with nothing to do (most calls, on most hosts) without starting node, and hands every
 * other call to node's hook as it came.
 *
 * bash rather than POSIX sh: bash reads a file or a pipe (`$(<file)`) and the clock
 * (`$EPOCHREALTIME`) without a process, where sh needs `cat` and `date`; each process costs as
 * much as the whole of a shell hook that does nothing (docs/benchmarks.md). So the entry starts
 * no process at all. What it can't see without one (a file's mode) it leaves to node, which
 * checks it whenever it runs and withdraws the entry's facts when a file fails (hook-main.ts).
 *
 * What the entry knows of the config comes from a facts file node writes after it validated the
 * config (`configFacts`): the config's text, the log and state paths, whether PFs are configured.
 * The entry uses them only while the config's text is the same, byte for byte.
 */
import { NOTHING_TO_DO, OPERATIONS, type TextRule, type WorkRule } from './triage.js';
import type { HookName } from './run-hook.js';

/** The first line of the facts file: its format, and the version whose rules wrote it. */
export function factsMagic(version: string): string {
  return `virt-sriov entry facts 1 ${version}`;
}

/** Where the facts file is: in the code cache folder beside the hooks' node code. */
export const FACTS_FILE = '.cache/config-facts';

export interface ConfigFacts {
  readonly configPath: string;
  /** The config's text as validated. */
  readonly text: string;
  readonly logFile: string;
  readonly stateDir: string;
  readonly pfsConfigured: boolean;
}

/** The facts file's text, or null when a path can't be written on a line of its own. */
export function configFacts(version: string, f: ConfigFacts): string | null {
  const lines = [factsMagic(version), f.configPath, f.logFile, f.stateDir, f.pfsConfigured ? '1' : '0'];
  if (lines.some((l) => /[\n\0]/.test(l)) || f.text.includes('\0')) return null;
  return `${lines.join('\n')}\n${f.text}`;
}

/**
 * A JavaScript regular expression's source as POSIX ERE, for bash's `=~` in the C locale. Only
 * the part of the syntax that means the same to both is taken: literal characters, `\.` `\/`
 * `\t` `\r` `\n`, bracket expressions of those, `(?:...)`, `|` and `*`. Anything else throws:
 * a rule the entry can't apply exactly is a build error, not a hook that skips work.
 */
export function toPosixEre(source: string): string {
  const ESCAPES: Record<string, string> = { '.': '\\.', '/': '/', t: '\t', r: '\r', n: '\n' };
  const CLASS_ESCAPES: Record<string, string> = { t: '\t', r: '\r', n: '\n' };
  // characters special to either syntax (outside a bracket expression)
  const SPECIAL = new Set([...'.+?{}^$[]()|*\\']);
  let out = '';
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    const fail = (why: string) => new Error(`triage rule /${source}/: ${why} at ${i}: the shell entry can't apply it exactly`);
    if (c === '\\') {
      const e = ESCAPES[source[++i] ?? ''];
      if (e === undefined) throw fail(`escape \\${source[i] ?? ''}`);
      out += e;
    } else if (c === '[') {
      let j = i + 1;
      let members = '';
      if (source[j] === '^') {
        members = '^';
        j++;
      }
      const start = members.length;
      for (; j < source.length && source[j] !== ']'; j++) {
        const m = source[j]!;
        if (m === '\\') {
          const e = CLASS_ESCAPES[source[++j] ?? ''];
          if (e === undefined) throw fail(`escape \\${source[j] ?? ''} in a bracket expression`);
          members += e;
        } else if ('^-[]'.includes(m)) {
          throw fail(`'${m}' in a bracket expression`);
        } else {
          members += m;
        }
      }
      if (j >= source.length || members.length === start) throw fail('an unclosed or empty bracket expression');
      out += `[${members}]`;
      i = j;
    } else if (c === '(') {
      if (source.slice(i, i + 3) !== '(?:') throw fail('a capturing or special group');
      out += '(';
      depth++;
      i += 2;
    } else if (c === ')') {
      if (--depth < 0) throw fail('an unbalanced )');
      out += ')';
    } else if (c === '|' || c === '*') {
      out += c;
    } else if (SPECIAL.has(c)) {
      throw fail(`'${c}'`);
    } else {
      out += c;
    }
  }
  if (depth !== 0) throw new Error(`triage rule /${source}/: an unclosed group`);
  return out;
}

/** bash's $'...' quoting: any bytes, one line. */
export function bashQuote(s: string): string {
  return `$'${s.replace(/[\\']/g, (c) => `\\${c}`).replace(/\t/g, '\\t').replace(/\r/g, '\\r').replace(/\n/g, '\\n')}'`;
}

/** Shell lines that `return 0` when the call has work, for one operation's rule. */
function workTest(work: WorkRule): string {
  if ('fact' in work) return work.fact === 'vfsHeld' ? 'vfs_held' : 'pfs_configured';
  return `text_matches "$re_${work.stdinMatches.name}"`;
}

/**
 * The entry for one hook. The `VIRT_SRIOV_*` markers are what install.sh bakes (`sed`), as in
 * the node bundles: node's absolute path, the config path, where the hooks' node code is.
 */
export function entryScript(hook: HookName, version: string): string {
  const ops = Object.entries(OPERATIONS[hook]);
  const rules = [...new Map(ops.flatMap(([, r]) => ('stdinMatches' in r.work ? [[r.work.stdinMatches.name, r.work.stdinMatches] as const] : []))).values()];
  const echo = ops.filter(([, r]) => r.echoesXml).map(([op]) => op);
  const cases = ops.map(([op, r]) => `  ${op}) work() { ${workTest(r.work)}; } ;;`).join('\n');
  const rulesText = rules.map((t: TextRule) => `re_${t.name}=${bashQuote(toPosixEre(t.source))}`).join('\n');
  return `#!/bin/bash
# virt-sriov ${hook} hook (virt-sriov ${version}): the entry libvirt runs. Generated by
# scripts/build.mjs from src/hooks/triage.ts (src/hooks/entry-script.ts): do not edit.
#
# It answers the calls with nothing for virt-sriov to do, logging them as node's hook does, and
# starts no process for them; any other call goes to node's hook (${hook}.cjs), stdin and all.
LC_ALL=C
t0=\${EPOCHREALTIME/[.,]/}
node='VIRT_SRIOV_NODE_PATH='; node=\${node#*=}; node=\${node:-node}
config='VIRT_SRIOV_CONFIG_PATH=/etc/virt-sriov/config.json'; config=\${config#*=}
code='VIRT_SRIOV_OPERATIONS_PATH='; code=\${code#*=}; code=\${code:-\${0%/*}/operations.cjs}; code=\${code%/*}
facts=$code/${FACTS_FILE}
magic=${bashQuote(factsMagic(version))}
${rulesText}
args=("$@") object=\${1--} op=\${2-} subop=\${3--} xml= read_xml=

# node's hook does it all, from the start: stdin as it came (or as read here), the hook file's
# path for its checks, and whether the facts above need writing again
to_node() {
  export VIRT_SRIOV_HOOK_FILE=$0
  [ "$1" = stale ] && export VIRT_SRIOV_FACTS_STALE=1
  [ "$read_xml" ] && exec "$node" "$code/${hook}.cjs" "\${args[@]}" <<<"$xml"
  exec "$node" "$code/${hook}.cjs" "\${args[@]}"
}

# the facts node wrote when it last validated this config, if the config is still that text
load_facts() {
  local m path text current
  [[ -O $facts && -O $config ]] || return 1
  { IFS= read -r m; IFS= read -r path; IFS= read -r log; IFS= read -r state; IFS= read -r pfs; IFS= read -r -d '' text; } <"$facts" 2>/dev/null
  [[ $m == "$magic" && $path == "$config" ]] || return 1
  # a NUL in the config (read stops there, and says so): node's to judge
  IFS= read -r -d '' current <"$config" && return 1
  [[ $current == "$text" ]]
}

# stdin, read only from a pipe (libvirt's) or a file; anything else is node's to read
read_stdin() {
  [[ -p /dev/stdin || -f /dev/stdin ]] || to_node
  { xml=$(</dev/stdin); } 2>/dev/null
  read_xml=1
}

text_matches() { [[ $xml =~ $1 ]]; }
pfs_configured() { [ "$pfs" = 1 ]; }
# a VF record in the state (a name ending in .json, as node's triage counts them)
vfs_held() {
  local d=$state/vfs f
  [ -e "$d" ] || return 1
  [ -d "$d" ] || return 0
  for f in "$d"/* "$d"/.*; do [[ $f == *.json ]] && return 0; done
  return 1
}

log_line() {
  local t1=\${EPOCHREALTIME/[.,]/} at
  TZ=UTC0 printf -v at '%(%Y-%m-%dT%H:%M:%S)T' "\${t0:0:-6}"
  printf '{"time":"%s.%sZ","hook":"${hook}","op":"%s","subop":"%s","object":"%s","result":"%s","durationMs":%d,"vfs":[],"changes":[],"notes":[]}\\n' \\
    "$at" "\${t0: -6:3}" "$op" "$subop" "$object" "$1" $(((t1 - t0) / 1000)) >>"$log" 2>/dev/null
}

# libvirt < 6.5: the hook this one replaced runs first, in node; a bash older than 5.0 (no
# EPOCHREALTIME) leaves it all to node too
[ -e "$0.before-virt-sriov" ] && to_node
[ "$t0" ] || to_node
load_facts || to_node stale
# node creates the log with its mode; words JSON would have to escape are node's to write
[ -f "$log" ] || to_node
[[ $object$op$subop == *[!\\ -~]* || $object$op$subop == *[\\"\\\\]* ]] && to_node

case $op in
${cases}
  *) log_line ignored; exit 0 ;;
esac
# every call it handles reads stdin, as node's does
read_stdin
work && to_node
${echo.length ? `case $op in ${echo.join('|')}) printf '%s\\n' "$xml" ;; esac\n` : ''}log_line ${NOTHING_TO_DO[hook]}
exit 0
`;
}
