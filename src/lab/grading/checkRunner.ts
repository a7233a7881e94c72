/**
 * Check: runs each visible test cell of the notebook in the learner's own kernel (without touching
 * the cell's outputs or the history) and scores it; Validate: restarts the kernel, runs the whole
 * notebook, and scores the test cells from their outputs.
 */
import type { NotebookPanel } from '@jupyterlab/notebook';
import { NotebookActions } from '@jupyterlab/notebook';
import type { KernelMessage } from '@jupyterlab/services';
import { scoreExercise, testCellInfo, type ExerciseResult } from './exerciseResult.js';

export class NoKernelError extends Error {
  constructor() {
    super(
      'This notebook has no running kernel. Start one (Kernel → Restart Kernel) and run your cells, then press Check again.'
    );
    this.name = 'NoKernelError';
  }
}

interface TestCell {
  gradeId: string;
  points: number;
  cellIndex: number;
  source: string;
}

export function testCells(panel: NotebookPanel): TestCell[] {
  const cells: TestCell[] = [];
  const model = panel.content.model;
  if (!model) return cells;
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (cell.type !== 'code') continue;
    const info = testCellInfo(
      cell.getMetadata('nbgrader') === undefined ? undefined : { nbgrader: cell.getMetadata('nbgrader') }
    );
    if (info) cells.push({ ...info, cellIndex: i, source: cell.sharedModel.getSource() });
  }
  return cells;
}

/** Runs the test cells' code in the kernel, one after the other. */
export async function checkNotebook(
  panel: NotebookPanel,
  onResult?: (result: ExerciseResult) => void
): Promise<ExerciseResult[]> {
  const kernel = panel.sessionContext.session?.kernel;
  if (!kernel) throw new NoKernelError();
  const results: ExerciseResult[] = [];
  for (const cell of testCells(panel)) {
    let error: { ename: string; evalue: string } | undefined;
    let lastResult: string | undefined;
    const future = kernel.requestExecute({
      code: cell.source,
      silent: false,
      store_history: false,
      allow_stdin: false,
      stop_on_error: false
    });
    future.onIOPub = (msg: KernelMessage.IIOPubMessage) => {
      if (msg.header.msg_type === 'error') {
        const content = msg.content as KernelMessage.IErrorMsg['content'];
        error ??= { ename: content.ename, evalue: content.evalue };
      } else if (msg.header.msg_type === 'execute_result') {
        const data = (msg.content as KernelMessage.IExecuteResultMsg['content']).data;
        if (typeof data['text/plain'] === 'string') lastResult = data['text/plain'];
      }
    };
    const reply = await future.done;
    if (reply.content.status === 'error' && !error)
      error = { ename: reply.content.ename, evalue: reply.content.evalue };
    const result = scoreExercise(cell, { error, lastResult });
    results.push(result);
    onResult?.(result);
  }
  return results;
}

/** Restart, run all, then score every test cell from the outputs it produced. */
export async function validateNotebook(panel: NotebookPanel): Promise<ExerciseResult[]> {
  await panel.sessionContext.ready;
  const kernel = panel.sessionContext.session?.kernel;
  if (!kernel) throw new NoKernelError();
  // Not while its connection is still being made (Validate pressed as the notebook opens): the
  // restart then raced Jupyter Server's replacement of that connection, which once broke it for good.
  await kernel.info;
  await panel.sessionContext.restartKernel();
  await NotebookActions.runAll(panel.content, panel.sessionContext);
  const model = panel.content.model!;
  return testCells(panel).map(cell => {
    const outputs = model.cells.get(cell.cellIndex).toJSON() as {
      outputs?: { output_type: string; ename?: string; evalue?: string; data?: Record<string, unknown> }[];
    };
    const errorOutput = outputs.outputs?.find(o => o.output_type === 'error');
    const resultOutput = outputs.outputs?.find(o => o.output_type === 'execute_result');
    const text = resultOutput?.data?.['text/plain'];
    return scoreExercise(cell, {
      error: errorOutput
        ? { ename: String(errorOutput.ename ?? 'Error'), evalue: String(errorOutput.evalue ?? '') }
        : undefined,
      lastResult: Array.isArray(text) ? text.join('') : typeof text === 'string' ? text : undefined
    });
  });
}
