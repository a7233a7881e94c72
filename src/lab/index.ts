/**
 * Threadline's JupyterLab plugins: settings, the live trace comm, the meters (meters/) and the
 * grading toolbar (grading/). The timeline renderer itself is the MIME extension
 * (mimeExtension.ts), loaded by JupyterLab from package.json `jupyterlab.mimeExtension`.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { TRACE_COMM_TARGET } from '../protocol/names.js';
import { gradingPlugin } from './grading/gradingPlugin.js';
import { metersPlugin } from './meters/metersPlugin.js';
import { settingsStore } from './ui/settings.js';
import { showLiveInCell } from './timeline/liveCellView.js';
import { watchNotebooks } from './trace/traceComm.js';

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
  description: `Receives live trace chunks from the Threadline probe over the ${TRACE_COMM_TARGET} comm.`,
  autoStart: true,
  requires: [INotebookTracker],
  activate: (_app: JupyterFrontEnd, tracker: INotebookTracker) =>
    watchNotebooks(tracker, opened => showLiveInCell(tracker, opened))
};

export default [settingsPlugin, traceCommPlugin, metersPlugin, gradingPlugin];
