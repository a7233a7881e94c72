/**
 * The meters plugin: the per-core CPU meter (status-bar item and side panel) and the
 * lock-contention panel of the active notebook's kernel, with a command to open each.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IStatusBar } from '@jupyterlab/statusbar';
import { Signal } from '@lumino/signaling';
import { settingsStore } from '../ui/settings.js';
import { CoreMeterPanel } from './coreMeterPanel.js';
import { CoreMeterStatus } from './coreMeterStatus.js';
import { LockMeterPanel } from './lockMeterPanel.js';
import { MeterConnection } from './meterConnection.js';

export const metersPlugin: JupyterFrontEndPlugin<void> = {
  id: 'threadline:meters',
  description: 'Per-core CPU meter (status bar and panel) and lock-contention panel for the active kernel.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [IStatusBar, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    statusBar: IStatusBar | null,
    palette: ICommandPalette | null
  ) => {
    const meter = new MeterConnection(tracker);
    const cpuPanel = new CoreMeterPanel(meter);
    const lockPanel = new LockMeterPanel(tracker);
    app.shell.add(cpuPanel, 'right', { rank: 900 });
    app.shell.add(lockPanel, 'right', { rank: 901 });
    const openCpu = 'threadline:open-cpu-meter';
    const openLocks = 'threadline:open-lock-meter';
    app.commands.addCommand(openCpu, {
      label: 'Show CPU Cores (Threadline)',
      caption: 'Per-core CPU history of the active kernel',
      execute: () => app.shell.activateById(cpuPanel.id)
    });
    app.commands.addCommand(openLocks, {
      label: 'Show Lock Contention (Threadline)',
      caption: 'Lock contention of the latest trace in the active kernel',
      execute: () => app.shell.activateById(lockPanel.id)
    });
    palette?.addItem({ command: openCpu, category: 'Threadline' });
    palette?.addItem({ command: openLocks, category: 'Threadline' });
    if (statusBar) {
      const activeChanged = new Signal<object, void>(metersPlugin);
      tracker.currentChanged.connect(() => activeChanged.emit());
      settingsStore.subscribe(() => activeChanged.emit());
      const item = new CoreMeterStatus(meter, () => void app.commands.execute(openCpu));
      statusBar.registerStatusItem('threadline:core-meter', {
        item,
        align: 'left',
        rank: 50,
        isActive: () => settingsStore.current.statusBarMeter && tracker.currentWidget !== null,
        activeStateChanged: activeChanged
      });
    }
  }
};
