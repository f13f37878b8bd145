/**
 * A real libvirtd (system mode, so hooks run) private to one test: it lives in its own mount and
 * PID namespace, sees a private copy of /etc/libvirt and private /run, /var/lib/libvirt,
 * /var/log/libvirt and /var/cache/libvirt, and never touches the machine's own libvirt.
 * Recipe: /work/shared/docs/test-beds.md, section 2. Needs root.
 *
 * The namespace is held open by a shell that is PID 1 of the new PID namespace and waits on its
 * stdin: when it exits (stop(), or the test process dying and closing the pipe) the kernel kills
 * every process left inside (daemons, QEMU, stray hooks) and the private mounts go with them;
 * then a runner shell outside removes the temp tree.
 */
import { execa } from 'execa';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

export const LIBVIRT_URI = 'qemu:///system';

/** Where things are inside the namespace (fixed paths; libvirt knows no others). */
export const INSIDE = {
  etc: '/etc/libvirt',
  hooks: '/etc/libvirt/hooks',
  run: '/run',
  lib: '/var/lib/libvirt',
  log: '/var/log/libvirt',
  cache: '/var/cache/libvirt',
  daemonLog: '/var/log/libvirt/libvirtd.log',
} as const;

/** The same places seen from outside the namespace: plain directories under one temp dir. */
export interface PrivateLibvirtdPaths {
  /** The temp dir that holds everything below; removed by stop(). */
  root: string;
  /** Bind-mounted on /etc/libvirt. */
  etc: string;
  /** /etc/libvirt/hooks inside. */
  hooks: string;
  /** Bind-mounted on /run (sockets, pid files, /run/libvirt/hostdevmgr). */
  run: string;
  /** Bind-mounted on /var/lib/libvirt. */
  lib: string;
  /** Bind-mounted on /var/log/libvirt (QEMU logs in qemu/). */
  log: string;
  /** Bind-mounted on /var/cache/libvirt (QEMU capabilities cache). */
  cache: string;
  /** libvirtd's own log: warnings and errors, plus hook debug lines with `debugHooks`. */
  daemonLog: string;
}

export interface PrivateLibvirtdOptions {
  /** Lines appended to the private libvirtd.conf (after the harness's own log settings). */
  libvirtdConf?: string;
  /** Lines appended to the private qemu.conf. */
  qemuConf?: string;
  /** Log libvirt's hook and command runner at debug level to `paths.daemonLog`: which hooks were
   * found at start, and each call with its argv and environment. */
  debugHooks?: boolean;
  /** Extra environment for the daemons and for exec(). Hooks see only what libvirt passes on:
   * LC_ALL=C plus the daemon's PATH, HOME, USER, LOGNAME, TMPDIR (and LD_* ) if set. */
  env?: Record<string, string>;
  /** Runs after the private tree exists and before the daemons start: install hooks here and
   * save a restart (libvirt looks for hooks only at daemon start). */
  beforeDaemonStart?: (paths: PrivateLibvirtdPaths) => void | Promise<void>;
  /** Bound on waiting for the daemon to answer after a start or restart. Default 30 s. */
  readyTimeoutMs?: number;
  /** Where to look for unshare, nsenter, libvirtd, virtlogd and virsh (PATH syntax). */
  toolPath?: string;
}

export interface ExecOptions {
  /** Written to the command's stdin; without it stdin is /dev/null. Node passes it as a socket,
   * so `virsh define /dev/stdin` fails (ENXIO): give virsh a file under a shared temp dir instead. */
  input?: string;
  env?: Record<string, string>;
  /** Default 30 s. A command still running then is a harness failure (a hook that never
   * returns, say), so exec throws rather than returning a result. */
  timeoutMs?: number;
}

export interface ExecResult {
  /** 128 + signal number when the command was killed by a signal. */
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface PrivateLibvirtd {
  readonly paths: PrivateLibvirtdPaths;
  readonly inside: typeof INSIDE;
  /** Host PID of the namespace's PID 1 (the holder shell). */
  readonly namespacePid: number;
  /** Milliseconds from the call to the daemon answering `virsh version`. */
  readonly startupMs: number;
  /** Runs a command inside the namespace. Never throws for a non-zero exit. */
  exec(file: string, args?: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** `virsh -c qemu:///system ARGS` inside the namespace. */
  virsh(...args: string[]): Promise<ExecResult>;
  /** Like virsh(), but throws with virsh's error output unless it exits 0; returns stdout. */
  virshOk(...args: string[]): Promise<string>;
  /** Writes an executable file under the hooks dir, e.g. `qemu` or `qemu.d/10-log`. */
  installHook(name: string, content: string): string;
  /** Text of libvirtd's log so far ('' if none). */
  daemonLog(): string;
  /** Stops libvirtd (domains keep running) and starts it again; resolves with the ms it took
   * until the daemon answered. libvirt re-scans the hooks dir and reconnects to running domains,
   * in background threads: `reconnect` hooks may run after this resolves (use waitFor). */
  restartDaemon(): Promise<number>;
  /** Kills everything in the namespace and removes the temp tree. Idempotent. */
  stop(): Promise<void>;
}

const STANDARD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const REQUIRED_TOOLS = {
  unshare: 'util-linux',
  nsenter: 'util-linux',
  bash: 'bash',
  libvirtd: 'libvirt-daemon-system',
  virtlogd: 'libvirt-daemon-system',
  virsh: 'libvirt-clients',
} as const;
type Tool = keyof typeof REQUIRED_TOOLS;

const TREE_PREFIX = 'virt-sriov-libvirtd-';
const OWNER_PID = 'owner.pid';
const HOLDER_READY = 'holder.ready';
const HOLDER_LOG = 'holder.log';

// Runs outside: starts unshare ($2...) and, once unshare has returned (the PID namespace is
// gone, and with it every mount inside), removes the private tree ($1) even if the test
// process died without stop().
const RUNNER_SCRIPT = `root=$1
shift
"$@"
status=$?
rm -rf -- "$root"
exit $status
`;

// Runs as PID 1 of the new PID namespace, in the new mount namespace. $1 is the private root.
// Mount points must already exist on the machine: creating them would change the host.
const HOLDER_SCRIPT = `set -eu
root=$1
exec >>"$root/${HOLDER_LOG}" 2>&1
mount --bind "$root/etc" /etc/libvirt
mount --bind "$root/run" /run
mount --bind "$root/lib" /var/lib/libvirt
mount --bind "$root/log" /var/log/libvirt
mount --bind "$root/cache" /var/cache/libvirt
: > "$root/${HOLDER_READY}"
# Hold the namespace until stdin closes. As PID 1, this shell also reaps the daemons (they
# daemonize and are re-parented here) and its exit takes every process inside along.
read -r _ || true
`;

function findTools(searchPath: string): Record<Tool, string> {
  const found: Partial<Record<Tool, string>> = {};
  const missing: string[] = [];
  for (const [tool, pkg] of Object.entries(REQUIRED_TOOLS) as [Tool, string][]) {
    const hit = searchPath
      .split(delimiter)
      .map((dir) => join(dir, tool))
      .find((file) => {
        try {
          return statSync(file).isFile() && (statSync(file).mode & 0o111) !== 0;
        } catch {
          return false;
        }
      });
    if (hit) found[tool] = hit;
    else missing.push(`${tool} (${pkg})`);
  }
  if (missing.length > 0) {
    throw new Error(
      `private libvirtd: missing ${missing.join(', ')} in ${searchPath}. ` +
        'The integration tests need a real libvirt: apt-get install libvirt-daemon-system libvirt-clients qemu-system-x86',
    );
  }
  return found as Record<Tool, string>;
}

/** Copies owner and mode of a machine directory onto its private stand-in, when it exists. */
function mirrorOwnership(original: string, copy: string): void {
  try {
    const st = statSync(original);
    chownSync(copy, st.uid, st.gid);
    chmodSync(copy, st.mode & 0o7777);
  } catch {
    // A missing original is fine: libvirt creates what it needs.
  }
}

function removeEntries(dir: string, keep: (name: string) => boolean = () => false): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (!keep(name)) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/** Comments out active settings of `keys` so the values appended after them are the ones used
 * (libvirt's config parser takes the first occurrence). */
function overrideConf(file: string, settings: Record<string, string>, extra?: string): void {
  const keys = Object.keys(settings);
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => (keys.some((k) => new RegExp(`^\\s*${k}\\s*=`).test(line)) ? `#${line}` : line));
  const added = Object.entries(settings).map(([k, v]) => `${k} = ${v}`);
  writeFileSync(file, [...lines, '# virt-sriov test harness', ...added, extra ?? '', ''].join('\n'));
}

async function buildTree(root: string, options: PrivateLibvirtdOptions): Promise<PrivateLibvirtdPaths> {
  const paths: PrivateLibvirtdPaths = {
    root,
    etc: join(root, 'etc'),
    hooks: join(root, 'etc', 'hooks'),
    run: join(root, 'run'),
    lib: join(root, 'lib'),
    log: join(root, 'log'),
    cache: join(root, 'cache'),
    daemonLog: join(root, 'log', 'libvirtd.log'),
  };
  // The machine's config is the starting point (so the daemon behaves like the machine's),
  // minus anything that would make it act on its own: domains, networks, pools, hooks.
  await execa('cp', ['-a', '--', INSIDE.etc, paths.etc]);
  removeEntries(paths.hooks);
  mkdirSync(paths.hooks, { recursive: true });
  const qemuDir = join(paths.etc, 'qemu');
  removeEntries(qemuDir, (name) => name === 'networks');
  removeEntries(join(qemuDir, 'networks'));
  removeEntries(join(paths.etc, 'storage'));
  removeEntries(join(paths.etc, 'secrets'));

  const logFilters = options.debugHooks ? '"1:util.hook 1:util.command"' : '""';
  overrideConf(
    join(paths.etc, 'libvirtd.conf'),
    { log_filters: logFilters, log_outputs: `"1:file:${INSIDE.daemonLog}"`, log_level: '3' },
    options.libvirtdConf,
  );
  // No cgroups: libvirt would create machine/ groups in the host's cgroup tree, shared with
  // the machine (not private to the mount namespace) and left behind if the test kills QEMU.
  overrideConf(join(paths.etc, 'qemu.conf'), { cgroup_controllers: '[ ]' }, options.qemuConf);

  for (const [dir, original] of [
    [paths.run, '/run'],
    [join(paths.run, 'lock'), '/run/lock'],
    [paths.lib, INSIDE.lib],
    [join(paths.lib, 'qemu'), join(INSIDE.lib, 'qemu')],
    [paths.log, INSIDE.log],
    [join(paths.log, 'qemu'), join(INSIDE.log, 'qemu')],
    [paths.cache, INSIDE.cache],
    [join(paths.cache, 'qemu'), join(INSIDE.cache, 'qemu')],
  ] as const) {
    mkdirSync(dir, { recursive: true });
    mirrorOwnership(original, dir);
  }
  return paths;
}

/** Writes an executable hook file, e.g. `qemu` or `qemu.d/10-log`, under `hooksDir` (the outside
 * view, `paths.hooks`). libvirt only notices new hooks when the daemon (re)starts. */
export function installHook(hooksDir: string, name: string, content: string): string {
  const file = join(hooksDir, name);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  chmodSync(file, 0o755);
  return file;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `promise` settles within `ms`; the timer is cleared so it can't hold jest open. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

function readOr(file: string, fallback = ''): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** Host PID of a process's only child (the runner's unshare; the PID 1 that unshare --fork made). */
function findChild(parentPid: number): number | undefined {
  const listed = readOr(`/proc/${parentPid}/task/${parentPid}/children`).trim().split(/\s+/)[0];
  if (listed) return Number(listed);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    // Fields after the parenthesised command name: state, ppid, ...
    const stat = readOr(`/proc/${name}/stat`);
    const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
    if (Number(ppid) === parentPid) return Number(name);
  }
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Polls `check` until it returns a value other than undefined/false; throws after `timeoutMs`.
 * For what libvirt does in the background, e.g. reconnect hooks after restartDaemon(). */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** Removes trees left by test processes that were killed (no exit handler runs then). Their
 * namespaces are already gone: the holder ended when its stdin, our pipe, closed. */
function removeOrphanedTrees(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(TREE_PREFIX)) continue;
    const owner = Number(readOr(join(tmpdir(), name, OWNER_PID)).trim());
    if (owner > 0 && !isAlive(owner)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

export async function startPrivateLibvirtd(options: PrivateLibvirtdOptions = {}): Promise<PrivateLibvirtd> {
  const began = performance.now();
  if (process.getuid?.() !== 0) {
    throw new Error(
      'private libvirtd: must run as root (it mounts a private /etc/libvirt and /run in a mount namespace ' +
        'and runs a system libvirtd, the only kind that runs hooks)',
    );
  }
  const tools = findTools(options.toolPath ?? STANDARD_PATH);
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const baseEnv: Record<string, string> = { PATH: STANDARD_PATH, LC_ALL: 'C', ...options.env };

  removeOrphanedTrees();
  const root = mkdtempSync(join(tmpdir(), TREE_PREFIX));
  writeFileSync(join(root, OWNER_PID), `${process.pid}\n`);
  let paths: PrivateLibvirtdPaths;
  try {
    paths = await buildTree(root, options);
    await options.beforeDaemonStart?.(paths);
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }

  const holder = execa(
    tools.bash,
    ['-c', RUNNER_SCRIPT, 'virt-sriov-libvirtd-runner', root,
      tools.unshare, '--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child', '--mount-proc', '--',
      tools.bash, '-c', HOLDER_SCRIPT, 'virt-sriov-libvirtd-holder', root],
    // Not killed when this process exits (cleanup: false): closing stdin is what ends the
    // namespace, and the runner must live on to remove the tree after it.
    { stdin: 'pipe', stdout: 'ignore', stderr: 'pipe', env: baseEnv, extendEnv: false, reject: false, cleanup: false },
  );
  // A forgotten stop() must not keep jest waiting: nothing here holds the event loop.
  holder.unref();
  for (const stream of [holder.stdin, holder.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
  let holderExited = false;
  void holder.then(() => (holderExited = true));

  let stopping: Promise<void> | undefined;
  let namespacePid = 0;
  const killNamespace = () => {
    try {
      if (namespacePid) process.kill(namespacePid, 'SIGKILL');
      else holder.kill('SIGKILL');
    } catch {
      // already gone
    }
  };

  // unshare's own errors come on its stderr, the holder script's in its log file.
  let unshareStderr = '';
  holder.stderr?.on('data', (chunk: Buffer) => (unshareStderr += chunk.toString()));
  const diagnostics = () =>
    `\n--- namespace holder output ---\n${tail(unshareStderr + readOr(join(root, HOLDER_LOG)))}\n--- libvirtd.log (last lines) ---\n${tail(readOr(paths.daemonLog))}`;

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      holder.stdin?.end();
      // The holder exits on EOF; unshare returns once the whole PID namespace is torn down, and
      // the runner then removes the tree (removed here too, in case the runner was killed).
      if (!(await settlesWithin(holder, 10_000))) {
        killNamespace();
        await settlesWithin(holder, 10_000);
      }
      rmSync(root, { recursive: true, force: true });
    })();
    return stopping;
  };

  const exec = async (file: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> => {
    if (stopping) throw new Error(`private libvirtd: exec(${file}) after stop()`);
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const result = await execa(
      tools.nsenter,
      ['--target', String(namespacePid), '--mount', '--pid', '--', file, ...args],
      {
        ...(opts.input === undefined ? { stdin: 'ignore' as const } : { input: opts.input }),
        env: { ...baseEnv, LIBVIRT_DEFAULT_URI: LIBVIRT_URI, ...opts.env },
        extendEnv: false,
        reject: false,
        timeout: timeoutMs,
      },
    );
    if (result.timedOut) {
      throw new Error(
        `private libvirtd: \`${[file, ...args].join(' ')}\` still running after ${timeoutMs} ms ` +
          `(a hook that never returns?)\nstderr: ${result.stderr}${diagnostics()}`,
      );
    }
    const signalNumber = result.signal ? (osConstants.signals[result.signal] ?? 0) : 0;
    return {
      exitCode: result.exitCode ?? 128 + signalNumber,
      stdout: String(result.stdout),
      stderr: String(result.stderr),
    };
  };

  const virsh = (...args: string[]) => exec('virsh', ['-c', LIBVIRT_URI, ...args]);
  const virshOk = async (...args: string[]) => {
    const r = await virsh(...args);
    if (r.exitCode !== 0) {
      throw new Error(`virsh ${args.join(' ')} exited ${r.exitCode}: ${r.stderr.trim() || r.stdout.trim()}`);
    }
    return r.stdout;
  };

  const waitUntilAnswers = async (what: string): Promise<void> => {
    const deadline = performance.now() + readyTimeoutMs;
    let last: ExecResult | undefined;
    while (performance.now() < deadline) {
      if (holderExited) break;
      last = await exec('virsh', ['-c', LIBVIRT_URI, 'version'], { timeoutMs: readyTimeoutMs });
      if (last.exitCode === 0) return;
      await sleep(50);
    }
    throw new Error(
      `private libvirtd: ${what}: the daemon did not answer \`virsh version\` within ${readyTimeoutMs} ms` +
        `${holderExited ? ' (the namespace holder exited)' : ''}\nlast virsh error: ${last?.stderr ?? '(none)'}` +
        diagnostics(),
    );
  };

  const startLibvirtd = async (what: string): Promise<void> => {
    // -d returns once the daemon has read its config; driver start-up (QEMU probing) comes after.
    const r = await exec(tools.libvirtd, ['-d']);
    if (r.exitCode !== 0) {
      throw new Error(`private libvirtd: ${what}: libvirtd -d exited ${r.exitCode}: ${r.stderr}${diagnostics()}`);
    }
    await waitUntilAnswers(what);
  };

  const restartDaemon = async (): Promise<number> => {
    const t0 = performance.now();
    const pid = readOr(join(paths.run, 'libvirtd.pid')).trim();
    if (/^\d+$/.test(pid)) {
      // The pid is the namespace's own, so signal and probe it from inside.
      await exec('kill', ['-TERM', pid]);
      const deadline = performance.now() + 15_000;
      while ((await exec('kill', ['-0', pid])).exitCode === 0) {
        if (performance.now() > deadline) {
          await exec('kill', ['-KILL', pid]);
          break;
        }
        await sleep(20);
      }
    }
    await startLibvirtd('restart');
    return Math.round(performance.now() - t0);
  };

  try {
    const deadline = performance.now() + 10_000;
    while (!existsSync(join(root, HOLDER_READY))) {
      if (holderExited || performance.now() > deadline) {
        throw new Error(
          `private libvirtd: the mount namespace did not come up (unshare ${holderExited ? 'exited' : 'timed out'})` +
            diagnostics(),
        );
      }
      await sleep(10);
    }
    const unsharePid = findChild(holder.pid!);
    namespacePid = (unsharePid && findChild(unsharePid)) || 0;
    if (!namespacePid) throw new Error(`private libvirtd: could not find the namespace's PID 1 under unshare (${unsharePid})${diagnostics()}`);
    const logd = await exec(tools.virtlogd, ['-d']);
    if (logd.exitCode !== 0) throw new Error(`private libvirtd: virtlogd -d exited ${logd.exitCode}: ${logd.stderr}${diagnostics()}`);
    await startLibvirtd('start');
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    paths,
    inside: INSIDE,
    namespacePid,
    startupMs: Math.round(performance.now() - began),
    exec,
    virsh,
    virshOk,
    installHook: (name, content) => installHook(paths.hooks, name, content),
    daemonLog: () => readOr(paths.daemonLog),
    restartDaemon,
    stop,
  };
}
