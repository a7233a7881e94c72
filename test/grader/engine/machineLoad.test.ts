/** The meter reads this process's tree from /proc: its children count, CPU burnt shows up. */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { LoadMeter } from '../../../src/grader/engine/machineLoad.js';

describe.runIf(process.platform === 'linux')('LoadMeter', () => {
  it('counts the children it started and the CPU time used since the last reading', async () => {
    const meter = new LoadMeter();
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise(resolve => child.once('spawn', resolve));
    try {
      const until = process.cpuUsage().user + 200_000; // 200 ms of CPU, however long it takes
      while (process.cpuUsage().user < until);
      const reading = meter.read();
      expect(reading.processes).toBeGreaterThanOrEqual(2);
      expect(reading.coresUsed * reading.wallMs).toBeGreaterThanOrEqual(150);
      expect(reading.waiting).toBeGreaterThanOrEqual(0);
      expect(reading.rssBytes).toBeGreaterThan(0);
      expect(reading.availableBytes).toBeGreaterThan(0);
      // a kernel that ended takes nothing back: readings never go negative
      child.kill('SIGKILL');
      await new Promise(resolve => child.once('exit', resolve));
      const after = meter.read();
      expect(after.coresUsed).toBeGreaterThanOrEqual(0);
      expect(after.processes).toBeLessThan(reading.processes);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
