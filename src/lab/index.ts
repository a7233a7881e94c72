import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'threadline:plugin',
  description: 'Threadline: see and grade Python concurrency.',
  autoStart: true,
  activate: (_app: JupyterFrontEnd) => {}
};

export default [plugin];
