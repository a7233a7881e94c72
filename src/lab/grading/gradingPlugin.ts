/**
 * The grading toolbar of notebooks (items declared in schema/grading.json under
 * `jupyter.lab.toolbars`): Check for learners; Validate and Student preview for instructors,
 * shown only when the notebook holds nbgrader solution markers; and a score badge.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IToolbarWidgetRegistry, MainAreaWidget, showErrorMessage } from '@jupyterlab/apputils';
import { INotebookTracker, type NotebookPanel } from '@jupyterlab/notebook';
import { checkNotebook, testCells, validateNotebook } from './checkRunner.js';
import { injectGradingStyle } from './gradingStyle.js';
import { previewWidget } from './previewWidget.js';
import { clearCellResults, ResultsStore, ScoreBadge, showCellResult } from './resultsView.js';
import { isInstructorSource, studentVersion } from './studentVersion.js';

export const CHECK = 'threadline:check';
export const VALIDATE = 'threadline:validate';
export const PREVIEW = 'threadline:student-preview';

function cellsOf(panel: NotebookPanel): { cellType: string; source: string; metadata: unknown }[] {
  const model = panel.content.model;
  if (!model) return [];
  const out: { cellType: string; source: string; metadata: unknown }[] = [];
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    out.push({
      cellType: cell.type,
      source: cell.sharedModel.getSource(),
      metadata: { nbgrader: cell.getMetadata('nbgrader') }
    });
  }
  return out;
}

function isSource(panel: NotebookPanel | null): boolean {
  return panel !== null && isInstructorSource(cellsOf(panel).map(cell => cell.source));
}

export const gradingPlugin: JupyterFrontEndPlugin<void> = {
  id: 'threadline:grading',
  description: 'Grading toolbar: Check (learners), Validate and Student preview (instructors), score badge.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [IToolbarWidgetRegistry],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker, toolbarRegistry: IToolbarWidgetRegistry | null) => {
    injectGradingStyle();
    const store = new ResultsStore();
    const running = new WeakSet<NotebookPanel>();
    const refresh = () => {
      app.commands.notifyCommandChanged(CHECK);
      app.commands.notifyCommandChanged(VALIDATE);
      app.commands.notifyCommandChanged(PREVIEW);
    };
    tracker.currentChanged.connect(refresh);
    tracker.widgetAdded.connect((_t, panel) => {
      void panel.context.ready.then(refresh);
      panel.content.model?.contentChanged.connect(refresh);
    });

    const run = async (panel: NotebookPanel, how: 'check' | 'validate') => {
      if (running.has(panel)) return;
      running.add(panel);
      refresh();
      clearCellResults(panel);
      store.set(panel, 'running');
      try {
        const results =
          how === 'check'
            ? await checkNotebook(panel, result => showCellResult(panel, result))
            : await validateNotebook(panel);
        if (how === 'validate') results.forEach(result => showCellResult(panel, result));
        store.set(panel, results);
      } catch (error) {
        store.set(panel, []);
        void showErrorMessage(how === 'check' ? 'Check failed' : 'Validate failed', error as Error);
      } finally {
        running.delete(panel);
        refresh();
      }
    };

    app.commands.addCommand(CHECK, {
      label: 'Check',
      caption: 'Run the visible tests of each exercise in your kernel and show your score',
      isEnabled: () =>
        tracker.currentWidget !== null &&
        !running.has(tracker.currentWidget) &&
        testCells(tracker.currentWidget).length > 0,
      execute: () => (tracker.currentWidget ? run(tracker.currentWidget, 'check') : undefined)
    });
    app.commands.addCommand(VALIDATE, {
      label: 'Validate',
      caption: 'Restart the kernel, run the whole notebook, and report each exercise (instructor source)',
      isVisible: () => isSource(tracker.currentWidget),
      isEnabled: () => tracker.currentWidget !== null && !running.has(tracker.currentWidget),
      execute: () => (tracker.currentWidget ? run(tracker.currentWidget, 'validate') : undefined)
    });
    app.commands.addCommand(PREVIEW, {
      label: 'Student preview',
      caption: 'Show the student version: solutions replaced by stubs, hidden tests removed',
      isVisible: () => isSource(tracker.currentWidget),
      execute: () => {
        const panel = tracker.currentWidget;
        if (!panel) return;
        let cells;
        try {
          cells = studentVersion(cellsOf(panel));
        } catch (error) {
          // unpaired BEGIN/END markers: say which, as `threadline release` would
          void showErrorMessage('Student preview', error instanceof Error ? error.message : String(error));
          return;
        }
        const content = previewWidget(panel.context.path.split('/').pop() ?? 'notebook', cells);
        const main = new MainAreaWidget({ content });
        main.id = content.id;
        main.title.label = content.title.label;
        main.title.closable = true;
        app.shell.add(main, 'main', { mode: 'split-right' });
      }
    });
    toolbarRegistry?.addFactory<NotebookPanel>('Notebook', 'threadline-score', panel => new ScoreBadge(panel, store));
  }
};
