/** Cores this process may really use: cgroup quota, CPU affinity, CPU_LIMIT — the smallest wins. */
import fs from 'node:fs';
import os from 'node:os';

function cgroupQuota(): number | undefined {
  const read = (file: string) => {
    try {
      return fs.readFileSync(file, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const v2 = read('/sys/fs/cgroup/cpu.max');
  if (v2) {
    const [quota, period] = v2.split(/\s+/);
    if (quota && quota !== 'max' && Number(period) > 0) return Number(quota) / Number(period);
  }
  const quota = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us') ?? -1);
  const period = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us') ?? 0);
  if (quota > 0 && period > 0) return quota / period;
  return undefined;
}

export function effectiveCpus(): number {
  const candidates = [os.availableParallelism()];
  const quota = cgroupQuota();
  if (quota !== undefined) candidates.push(Math.ceil(quota));
  const limit = Number(process.env.CPU_LIMIT);
  if (Number.isFinite(limit) && limit > 0) candidates.push(Math.ceil(limit));
  return Math.max(1, Math.min(...candidates));
}
