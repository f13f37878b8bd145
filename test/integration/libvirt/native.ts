/**
 * Test-only probes into the C side of this process, through koffi: how much of the C heap is
 * in use (to catch leaks that JS can't see), and what C code writes straight to fd 2.
 */
import koffi from 'koffi';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

const libc = koffi.load('libc.so.6');
// Anonymous types: koffi's type names are process-wide and test files share the process.
const Mallinfo2 = koffi.struct({
  arena: 'size_t', ordblks: 'size_t', smblks: 'size_t', hblks: 'size_t', hblkhd: 'size_t',
  usmblks: 'size_t', fsmblks: 'size_t', uordblks: 'size_t', fordblks: 'size_t', keepcost: 'size_t',
});
const mallinfo2 = libc.func('mallinfo2', Mallinfo2, []);
const open = libc.func('int open(const char *path, int flags, int mode)');
const dup = libc.func('int dup(int fd)');
const dup2 = libc.func('int dup2(int fd, int fd2)');
const close = libc.func('int close(int fd)');
const setenv = libc.func('int setenv(const char *name, const char *value, int overwrite)');
const unsetenv = libc.func('int unsetenv(const char *name)');
const getenv = libc.func('const char *getenv(const char *name)');

/**
 * Bytes of the main malloc arena in use, plus mmapped blocks: where libvirt's allocations on
 * this (the JS) thread land. glibc's mallinfo2 counts the main arena only, which is the point:
 * V8's and libuv's worker threads allocate in arenas of their own.
 */
export function cHeapInUse(): number {
  const info = mallinfo2() as { uordblks: number | bigint; hblkhd: number | bigint };
  return Number(info.uordblks) + Number(info.hblkhd);
}

/** Run `fn` with fd 2 pointed at a file; return what C code wrote there. */
export function captureStderr(fn: () => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'virt-sriov-stderr-'));
  const file = join(dir, 'stderr');
  const O_WRONLY = 0o1, O_CREAT = 0o100, O_TRUNC = 0o1000;
  const fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o600) as number;
  const saved = dup(2) as number;
  try {
    dup2(fd, 2);
    fn();
  } finally {
    dup2(saved, 2);
    close(saved);
    close(fd);
  }
  const text = readFileSync(file, 'utf8');
  rmSync(dir, { recursive: true, force: true });
  return text;
}

/** A function of libvirt.so declared by the test itself, e.g. to misuse it on purpose. */
export function libvirtFunction(prototype: string): (...args: unknown[]) => unknown {
  return koffi.load('libvirt.so.0').func(prototype);
}

/**
 * Run `fn` with a variable set in the C environment, which is what libvirt reads. (Under jest,
 * assigning to process.env changes a copy that C code never sees.)
 */
export function withCEnv<T>(name: string, value: string, fn: () => T): T {
  const saved = getenv(name) as string | null;
  setenv(name, value, 1);
  try {
    return fn();
  } finally {
    if (saved === null) unsetenv(name);
    else setenv(name, saved, 1);
  }
}

/** A full garbage collection, so that memory JS no longer holds is really released. */
export function collectGarbage(): void {
  if (!gc) {
    v8.setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

let gc: (() => void) | undefined;
