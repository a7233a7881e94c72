/** Where results show: a line under each exercise's test cell, and a score badge in the toolbar. */
import type { NotebookPanel } from '@jupyterlab/notebook';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import type { ExerciseResult } from './exerciseResult.js';

const RESULT_CLASS = 'tl-CheckResult';

/** Results per notebook panel, so the badge of each panel shows its own score. */
export class ResultsStore {
  private readonly byPanel = new WeakMap<NotebookPanel, ExerciseResult[] | 'running'>();
  readonly changed = new Signal<this, NotebookPanel>(this);

  get(panel: NotebookPanel): ExerciseResult[] | 'running' | undefined {
    return this.byPanel.get(panel);
  }

  set(panel: NotebookPanel, results: ExerciseResult[] | 'running'): void {
    this.byPanel.set(panel, results);
    this.changed.emit(panel);
  }
}

export function clearCellResults(panel: NotebookPanel): void {
  panel.content.node.querySelectorAll(`.${RESULT_CLASS}`).forEach(node => node.remove());
}

export function showCellResult(panel: NotebookPanel, result: ExerciseResult): void {
  const cell = panel.content.widgets[result.cellIndex];
  if (!cell) return;
  cell.node.querySelector(`.${RESULT_CLASS}`)?.remove();
  const line = document.createElement('div');
  line.className = `${RESULT_CLASS} tl-CheckResult-${result.status}`;
  line.setAttribute('role', 'status');
  const mark = result.status === 'passed' ? '✓' : result.status === 'partial' ? '◐' : '✗';
  const title = document.createElement('b');
  title.textContent = `${mark} ${result.gradeId}: ${result.score} / ${result.points} points`;
  line.append(title);
  if (result.message) {
    const message = document.createElement('span');
    message.className = 'tl-CheckResult-message';
    message.textContent = ` — ${result.message}`;
    line.append(message);
  }
  cell.node.append(line);
}

/** The toolbar badge: "Score 5 / 7" after a check, "Checking…" while it runs. */
export class ScoreBadge extends Widget {
  constructor(
    private readonly panel: NotebookPanel,
    private readonly store: ResultsStore
  ) {
    super();
    this.addClass('tl-ScoreBadge');
    this.node.setAttribute('aria-live', 'polite');
    store.changed.connect(this.onChanged, this);
    this.render();
  }

  private onChanged(_store: ResultsStore, panel: NotebookPanel): void {
    if (panel === this.panel) this.render();
  }

  private render(): void {
    const results = this.store.get(this.panel);
    if (results === undefined) {
      this.node.textContent = '';
      this.node.title = '';
      this.node.dataset.state = 'none';
      return;
    }
    if (results === 'running') {
      this.node.textContent = 'Checking…';
      this.node.dataset.state = 'running';
      return;
    }
    const score = results.reduce((sum, r) => sum + r.score, 0);
    const max = results.reduce((sum, r) => sum + r.points, 0);
    const passed = results.filter(r => r.status === 'passed').length;
    this.node.textContent = `Score ${score} / ${max}`;
    this.node.title = `${passed} of ${results.length} exercises pass`;
    this.node.dataset.state = score === max ? 'full' : 'partial';
  }

  override dispose(): void {
    this.store.changed.disconnect(this.onChanged, this);
    super.dispose();
  }
}
