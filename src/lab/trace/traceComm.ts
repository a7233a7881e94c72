/**
 * Registers the `threadline.trace` comm target on the kernel of every notebook (again when the
 * kernel changes; a restart keeps the connection's targets), and feeds the chunks the probe
 * sends into the live registry, where the timeline output for that trace_id picks them up.
 * Who shows a newly opened trace is passed in (`onOpen`): the model does not import its views.
 */
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import { TRACE_COMM_TARGET } from '../../protocol/names.js';
import { liveRegistry } from './liveRegistry.js';
import { parsePayload } from './traceValidate.js';

/** A trace comm the probe opened: on which kernel, from which execute request, for which trace. */
export interface TraceOpened {
  kernel: Kernel.IKernelConnection;
  /** msg_id of the execute request whose cell is running the trace */
  parentMsgId: string | undefined;
  traceId: string;
}

export type TraceOpenedHandler = (opened: TraceOpened) => void;

const registered = new WeakSet<Kernel.IKernelConnection>();

function onChunk(kernelId: string, data: unknown): void {
  try {
    const payload = parsePayload(data);
    if (payload.kind === 'chunk') liveRegistry.ingest(payload.chunk, kernelId);
  } catch (error) {
    // A bad chunk must not break the notebook; the output for that trace shows the error.
    const id =
      typeof data === 'object' && data && 'trace_id' in data ? String((data as { trace_id: unknown }).trace_id) : null;
    if (id) liveRegistry.fail(id, error instanceof Error ? error : new Error(String(error)), kernelId);
  }
}

export function registerTraceTarget(
  kernel: Kernel.IKernelConnection | null | undefined,
  onOpen: TraceOpenedHandler
): void {
  if (!kernel || kernel.isDisposed || registered.has(kernel)) return;
  registered.add(kernel);
  kernel.registerCommTarget(TRACE_COMM_TARGET, (comm: Kernel.IComm, open: KernelMessage.ICommOpenMsg) => {
    const data = open.content.data as Record<string, unknown>;
    const traceId = typeof data.trace_id === 'string' ? data.trace_id : null;
    // the open message may carry the first chunk, or only announce the trace_id
    if ('spans' in data) onChunk(kernel.id, data);
    else if (traceId) liveRegistry.get(traceId).kernelId = kernel.id;
    const parentMsgId = (open.parent_header as { msg_id?: string } | undefined)?.msg_id;
    if (traceId) onOpen({ kernel, parentMsgId, traceId });
    comm.onMsg = msg => onChunk(kernel.id, msg.content.data);
  });
  kernel.disposed.connect(() => registered.delete(kernel));
}

export function watchNotebooks(tracker: INotebookTracker, onOpen: TraceOpenedHandler): void {
  const watch = (panel: NotebookPanel): void => {
    const ctx = panel.sessionContext;
    ctx.kernelChanged.connect((_, change) => registerTraceTarget(change.newValue, onOpen));
    registerTraceTarget(ctx.session?.kernel, onOpen);
    void ctx.ready.then(() => registerTraceTarget(ctx.session?.kernel, onOpen));
  };
  tracker.forEach(watch);
  tracker.widgetAdded.connect((_, panel) => watch(panel));
}
