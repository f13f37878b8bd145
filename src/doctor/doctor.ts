/** All of doctor's checks over a host's facts, in the order an admin fixes them, and how to print them. */
import { checkConfig } from './checks/config.js';
import { checkDaemonRestarted, checkHooksInstalled } from './checks/hooks.js';
import { checkIommuCmdline, checkIommuGroups } from './checks/iommu.js';
import { checkKernelConfig, checkKernelVersion } from './checks/kernel.js';
import { checkDomainCapabilities, checkLibvirtConnection, checkVersions } from './checks/libvirt.js';
import { checkDriverQuirks, checkPfCapabilities, checkPfsUp, checkSriovNics } from './checks/nics.js';
import { checkVfioPci } from './checks/vfio.js';
import { checkWatcher } from './checks/watcher.js';
import type { Check, DoctorFacts } from './facts.js';
import { renderTable } from '../table.js';

/** Firmware and kernel first (a reboot), then the NICs, then libvirt and the hooks (a restart). */
export function diagnose(f: DoctorFacts): Check[] {
  return [
    checkConfig(f),
    checkIommuGroups(f),
    checkIommuCmdline(f),
    checkKernelVersion(f),
    ...checkKernelConfig(f),
    checkVfioPci(f),
    checkSriovNics(f),
    ...checkPfCapabilities(f),
    ...checkPfsUp(f),
    ...checkDriverQuirks(f),
    checkVersions(f),
    checkLibvirtConnection(f),
    checkDomainCapabilities(f),
    checkHooksInstalled(f),
    checkDaemonRestarted(f),
    checkWatcher(f),
  ];
}

/** 1 when anything failed; warnings alone don't fail the host. */
export function exitCodeOf(checks: readonly Check[]): 0 | 1 {
  return checks.some((c) => c.status === 'fail') ? 1 : 0;
}

export function doctorJson(checks: readonly Check[]): { checks: Check[] } {
  return { checks: checks.map(({ id, status, summary, fix }) => ({ id, status, summary, fix })) };
}

const LABEL = { ok: 'ok', warn: 'WARN', fail: 'FAIL' } as const;

/** One line per check, ids aligned; a fix on the line under its check; the totals last. */
export function renderText(checks: readonly Check[]): string {
  // the status column as wide as its widest label, whichever appear
  const rows = checks.flatMap((c) => [
    [LABEL[c.status].padEnd(4), c.id, c.summary],
    ...(c.fix && c.status !== 'ok' ? [['', '', `fix: ${c.fix}`]] : []),
  ]);
  const lines = renderTable(rows);
  const count = (s: Check['status']) => checks.filter((c) => c.status === s).length;
  const failed = count('fail');
  const warned = count('warn');
  lines.push('', `${checks.length} checks: ${count('ok')} ok, ${warned} warning${warned === 1 ? '' : 's'}, ${failed} failed`);
  return lines.join('\n');
}
