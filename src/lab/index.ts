/**
 * Threadline's JupyterLab plugins: settings, the live trace comm, the CPU meter (status bar +
 * panel) and the lock-contention panel. The timeline renderer itself is the MIME extension
 * (mimeExtension.ts), loaded by JupyterLab from package.json `jupyterlab.mimeExtension`.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { Signal } from '@lumino/signaling';
import { IStatusBar } from '@jupyterlab/statusbar';
import { CoreMeterPanel } from './coreMeterPanel.js';
import { CoreMeterStatus } from './coreMeterStatus.js';
import { gradingPlugin } from './grading/gradingPlugin.js';
import { LockMeterPanel } from './lockMeterPanel.js';
import { MeterConnection } from './meterConnection.js';
import { settingsStore } from './settings.js';
import { watchNotebooks } from './traceComm.js';

const SETTINGS_ID = 'threadline:plugin';

const settingsPlugin: JupyterFrontEndPlugin<void> = {
  id: SETTINGS_ID,
  description: 'Threadline settings: meter refresh rate, thresholds, default lanes.',
  autoStart: true,
  optional: [ISettingRegistry],
  activate: (_app: JupyterFrontEnd, registry: ISettingRegistry | null) => {
    if (!registry) return;
    void registry
      .load(SETTINGS_ID)
      .then(settings => {
        const apply = (): void => settingsStore.set(settings.composite as Record<string, unknown>);
        apply();
        settings.changed.connect(apply);
      })
      .catch(() => {
        // keep the defaults: the extension works without the settings file
      });
  }
};

const traceCommPlugin: JupyterFrontEndPlugin<void> = {
  id: 'threadline:trace-comm',
  description: 'Receives live trace chunks from the Threadline probe over the threadline.trace comm.',
  autoStart: true,
  requires: [INotebookTracker],
  activate: (_app: JupyterFrontEnd, tracker: INotebookTracker) => watchNotebooks(tracker)
};

const metersPlugin: JupyterFrontEndPlugin<void> = {
  id: 'threadline:meters',
  description: 'Per-core CPU meter (status bar and panel) and lock-contention panel for the active kernel.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [IStatusBar, ICommandPalette],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker, statusBar: IStatusBar | null, palette: ICommandPalette | null) => {
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

export default [settingsPlugin, traceCommPlugin, metersPlugin, gradingPlugin];
