// `npm start` must serve JupyterLab on the course with our extension loaded and the
// threadline kernel as the default, and a second `npm run setup` must have nothing to do.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..', '..');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))
      );
    });
  });
}

describe('npm start', () => {
  it('serves JupyterLab with the threadline extension and kernel', async () => {
    const port = await freePort();
    const token = randomBytes(12).toString('hex');
    const lab = spawn(
      process.execPath,
      [path.join(root, 'scripts', 'start.mjs'), '--no-browser', '--ip=127.0.0.1', `--port=${port}`],
      { cwd: root, env: { ...process.env, JUPYTER_TOKEN: token }, stdio: ['ignore', 'ignore', 'pipe'] }
    );
    let log = '';
    lab.stderr.on('data', chunk => (log += chunk));
    try {
      const base = `http://127.0.0.1:${port}`;
      const auth = { headers: { Authorization: `token ${token}` } };
      let up = false;
      for (let i = 0; i < 120 && !up; i++) {
        up = await fetch(`${base}/api/status`, auth).then(
          r => r.ok,
          () => false
        );
        if (!up) await new Promise(resolve => setTimeout(resolve, 500));
      }
      expect(up, log).toBe(true);
      expect(log).toContain(`http://127.0.0.1:${port}/lab`);

      const specs = await (await fetch(`${base}/api/kernelspecs`, auth)).json();
      expect(specs.default).toBe('threadline');
      expect(specs.kernelspecs.threadline.spec.display_name).toBe('Python 3 (Threadline)');

      // The page config lists the federated extensions JupyterLab will load.
      const page = await (await fetch(`${base}/lab`, auth)).text();
      const config = JSON.parse(
        /<script id="jupyter-config-data" type="application\/json">([\s\S]*?)<\/script>/.exec(page)![1]
      );
      const names = config.federated_extensions.map((e: { name: string }) => e.name);
      expect(names).toContain('threadline');
      // The server's root is the course.
      expect(path.resolve(config.serverRoot ?? config.notebookDir ?? '')).toBe(path.join(root, 'notebooks'));
    } finally {
      lab.kill('SIGTERM');
      await new Promise(resolve => lab.once('exit', resolve));
    }
  });

  it('setup has nothing to redo on a second run', () => {
    const again = spawnSync(process.execPath, [path.join(root, 'scripts', 'setup.mjs')], {
      cwd: root,
      encoding: 'utf8'
    });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/\[threadline setup\] \S+…/);
  });
});
