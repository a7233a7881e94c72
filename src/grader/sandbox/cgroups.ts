/**
 * The cgroups (v1 or v2: memory and pids) a grading kernel joins, when this process may create
 * them — as root, RLIMIT_NPROC is not enforced, so the pids cgroup is what stops a fork bomb there.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { KernelLimits } from './limits.js';

/** One cgroup: a v1 memory or pids group, or a v2 group holding both. */
export interface CgroupDir {
  dir: string;
  kind: 'memory' | 'pids' | 'unified';
}

function writable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where this process may create child cgroups: [v1 memory dir, v1 pids dir] or [v2 dir]. */
function cgroupParents(): CgroupDir[] {
  let lines: string[];
  try {
    lines = fs.readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  } catch {
    return [];
  }
  const found: CgroupDir[] = [];
  for (const line of lines) {
    const [, controllers, rel] = line.split(':') as [string, string, string];
    const list = controllers.split(',');
    if (list.includes('memory') || list.includes('pids')) {
      for (const kind of ['memory', 'pids'] as const) {
        if (!list.includes(kind)) continue;
        const dir = path.join('/sys/fs/cgroup', kind, rel);
        if (fs.existsSync(path.join(dir, 'cgroup.procs')) && writable(dir)) found.push({ dir, kind });
      }
    } else if (controllers === '' && lines.length === 1) {
      const dir = path.join('/sys/fs/cgroup', rel);
      try {
        const enabled = fs.readFileSync(path.join(dir, 'cgroup.subtree_control'), 'utf8');
        const both = enabled.includes('memory') && enabled.includes('pids');
        if (both && writable(dir)) found.push({ dir, kind: 'unified' });
      } catch {
        // no v2 hierarchy we may use
      }
    }
  }
  return found;
}

/** Removes the empty cgroups of graders that were killed (kill -9) before they could clean up. */
function removeStaleGroups(parents: CgroupDir[]): void {
  for (const parent of parents) {
    let names: string[];
    try {
      names = fs.readdirSync(parent.dir).filter(name => /^threadline-\d+-/.test(name));
    } catch {
      continue;
    }
    for (const name of names) {
      const owner = Number(name.split('-')[1]);
      let alive = true;
      try {
        process.kill(owner, 0);
      } catch {
        alive = false;
      }
      if (alive) continue; // this grader's, or another one's still running
      try {
        fs.rmdirSync(path.join(parent.dir, name));
      } catch {
        // still has processes: left alone
      }
    }
  }
}

let cachedParents: CgroupDir[] | undefined;

/** The parents found once per grader (stale groups of killed graders removed on the way). */
function usableParents(): CgroupDir[] {
  if (!cachedParents) {
    cachedParents = cgroupParents();
    removeStaleGroups(cachedParents);
  }
  return cachedParents;
}

/** Writes `limits` into a new group's control files. */
function applyLimits(group: CgroupDir, limits: KernelLimits): void {
  const memory = String(limits.memoryMb * 1048576);
  if (group.kind === 'memory') {
    fs.writeFileSync(path.join(group.dir, 'memory.limit_in_bytes'), memory);
    try {
      fs.writeFileSync(path.join(group.dir, 'memory.memsw.limit_in_bytes'), memory);
    } catch {
      // swap accounting off: the memory limit alone applies
    }
  } else if (group.kind === 'pids') {
    fs.writeFileSync(path.join(group.dir, 'pids.max'), String(limits.maxProcesses));
  } else {
    fs.writeFileSync(path.join(group.dir, 'memory.max'), memory);
    fs.writeFileSync(path.join(group.dir, 'memory.swap.max'), '0');
    fs.writeFileSync(path.join(group.dir, 'pids.max'), String(limits.maxProcesses));
  }
}

/** Creates the groups named `threadline-<grader pid>-<id>` under `limits`: those this process may create. */
export function createGroups(id: string, limits: KernelLimits): CgroupDir[] {
  const groups: CgroupDir[] = [];
  for (const parent of usableParents()) {
    const group = { dir: path.join(parent.dir, `threadline-${process.pid}-${id}`), kind: parent.kind };
    try {
      fs.mkdirSync(group.dir, { recursive: true });
      applyLimits(group, limits);
      groups.push(group);
    } catch {
      try {
        fs.rmdirSync(group.dir);
      } catch {
        // not created
      }
    }
  }
  return groups;
}
