// Checks what the benchmark needs before it builds the lab: root, iproute2, Kea and perfdhcp (installed
// with apt-get when missing), the compiled nestor (dist/ and the addon) and the C tools.

import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { run, succeeds } from './proc.mjs';
import { NESTOR_BIN, TOOLS_DIR } from './systems.mjs';

const REPO_DIR = join(NESTOR_BIN, '..', '..');
const BUILD_SCRIPT = join(REPO_DIR, 'bench', 'tools', 'build.sh');
const DEBIAN_PACKAGES = ['kea-dhcp4-server', 'kea-admin'];

export class PrerequisiteError extends Error {}

export function checkRoot() {
  if (process.getuid?.() !== 0) {
    throw new PrerequisiteError('the benchmark must run as root because it creates network namespaces: run `sudo npm run bench`');
  }
  if (!succeeds('ip', ['netns', 'list'])) throw new PrerequisiteError("'ip netns' is not available: install the Debian package iproute2");
}

/** Install kea-dhcp4 and perfdhcp from Debian when either is missing (the benchmark's only network access). */
export function ensureKea(log) {
  if (existsSync('/usr/sbin/kea-dhcp4') && existsSync('/usr/sbin/perfdhcp')) return;
  log(`installing the Debian packages ${DEBIAN_PACKAGES.join(' ')} with apt-get (kea-dhcp4 or perfdhcp is missing)`);
  run('apt-get', ['install', '-y', ...DEBIAN_PACKAGES], { timeoutMs: 600_000 });
  if (!existsSync('/usr/sbin/kea-dhcp4') || !existsSync('/usr/sbin/perfdhcp')) {
    throw new PrerequisiteError(`apt-get finished but /usr/sbin/kea-dhcp4 or /usr/sbin/perfdhcp is still missing`);
  }
}

export function checkNestorBuilt() {
  const missing = [join(REPO_DIR, 'dist', 'cli', 'main.js'), join(REPO_DIR, 'build', 'Release', 'nestor_native.node')]
    .filter((p) => !existsSync(p));
  if (missing.length > 0) throw new PrerequisiteError(`${missing.join(' and ')} not found: run \`npm ci\` (or \`npm run build\`) first`);
}

/** Compile loadgen and ceiling with bench/tools/build.sh when a selected generator or system needs them. */
export function buildTools(needed, log) {
  if (needed.length === 0) return;
  if (!existsSync(BUILD_SCRIPT)) throw new PrerequisiteError(`${BUILD_SCRIPT} not found; it builds ${needed.join(' and ')}`);
  log(`building ${needed.join(' and ')} with bench/tools/build.sh`);
  run('sh', [BUILD_SCRIPT], { timeoutMs: 180_000 });
  const missing = needed.filter((tool) => !existsSync(join(TOOLS_DIR, tool)));
  if (missing.length > 0) throw new PrerequisiteError(`bench/tools/build.sh did not produce ${missing.map((t) => join(TOOLS_DIR, t)).join(', ')}`);
}
