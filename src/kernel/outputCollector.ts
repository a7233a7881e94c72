/**
 * Turns iopub output messages of one execution into nbformat outputs the way a notebook
 * frontend shows them: consecutive stream chunks merged, clear_output (also wait=true)
 * applied, display_data/update_display_data with a display_id updating every output that
 * carries that id, and a byte cap with a count of what was dropped. Transport-agnostic: the
 * local and the remote backend feed it the same message types.
 */
import type { MimeBundle, Output } from './kernelClient.js';

type DisplayOutput = Extract<Output, { output_type: 'display_data' | 'execute_result' }>;

/**
 * display_id -> outputs showing it, across all executions of one kernel (as in a notebook).
 * Bounded: a long session of progress bars would otherwise keep every old output alive; the
 * displays registered longest ago are forgotten first.
 */
export class DisplayRegistry {
  private readonly byId = new Map<string, Set<DisplayOutput>>();

  constructor(private readonly maxIds = 10_000) {}

  register(id: string, output: DisplayOutput): void {
    let set = this.byId.get(id);
    if (!set) {
      this.byId.set(id, (set = new Set()));
      if (this.byId.size > this.maxIds) this.byId.delete(this.byId.keys().next().value as string);
    }
    set.add(output);
  }

  update(id: string, data: MimeBundle, metadata: Record<string, unknown>): void {
    for (const output of this.byId.get(id) ?? []) {
      output.data = data;
      output.metadata = metadata;
    }
  }

  clear(): void {
    this.byId.clear();
  }
}

function bundleBytes(data: MimeBundle): number {
  let n = 0;
  for (const v of Object.values(data))
    n += typeof v === 'string' ? Buffer.byteLength(v) : Buffer.byteLength(JSON.stringify(v) ?? '');
  return n;
}

export class OutputCollector {
  readonly outputs: Output[] = [];
  droppedBytes = 0;
  executionCount: number | null = null;
  /** the first error output, if any */
  error?: { ename: string; evalue: string; traceback: string[] };
  private keptBytes = 0;
  private clearPending = false;

  constructor(
    private readonly displays: DisplayRegistry,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
    private readonly onOutput?: (output: Output) => void
  ) {}

  /** Feeds one iopub message; returns false if it was not an output message. */
  handle(msgType: string, content: Record<string, unknown>): boolean {
    switch (msgType) {
      case 'stream': {
        const name = content.name === 'stderr' ? 'stderr' : 'stdout';
        this.add({ output_type: 'stream', name, text: String(content.text ?? '') });
        return true;
      }
      case 'display_data':
      case 'execute_result': {
        const data = (content.data ?? {}) as MimeBundle;
        const metadata = (content.metadata ?? {}) as Record<string, unknown>;
        const displayId = (content.transient as { display_id?: unknown } | undefined)?.display_id;
        let output: DisplayOutput;
        if (msgType === 'execute_result') {
          const count = typeof content.execution_count === 'number' ? content.execution_count : null;
          output = { output_type: 'execute_result', data, metadata, execution_count: count };
        } else {
          output = { output_type: 'display_data', data, metadata };
          if (typeof displayId === 'string') output.transient = { display_id: displayId };
        }
        if (typeof displayId === 'string') {
          // a new display with a known id also updates the earlier ones
          this.displays.update(displayId, data, metadata);
          if (this.add(output)) this.displays.register(displayId, output);
        } else {
          this.add(output);
        }
        return true;
      }
      case 'update_display_data': {
        const displayId = (content.transient as { display_id?: unknown } | undefined)?.display_id;
        if (typeof displayId === 'string') {
          this.displays.update(
            displayId,
            (content.data ?? {}) as MimeBundle,
            (content.metadata ?? {}) as Record<string, unknown>
          );
        }
        return true;
      }
      case 'error': {
        const error = {
          ename: String(content.ename ?? ''),
          evalue: String(content.evalue ?? ''),
          traceback: Array.isArray(content.traceback) ? content.traceback.map(String) : []
        };
        this.error ??= error;
        this.add({ output_type: 'error', ...error });
        return true;
      }
      case 'clear_output':
        if (content.wait) this.clearPending = true;
        else this.clear();
        return true;
      case 'execute_input':
        if (typeof content.execution_count === 'number') this.executionCount = content.execution_count;
        return true;
      default:
        return false;
    }
  }

  private clear(): void {
    this.outputs.length = 0;
    this.keptBytes = 0;
    this.clearPending = false;
  }

  /** Appends (or merges) an output within the byte budget; false if it was dropped. */
  private add(output: Output): boolean {
    if (this.clearPending) this.clear();
    this.onOutput?.(output);
    if (output.output_type === 'stream') {
      let text = output.text;
      const capped = this.maxBytes !== Number.POSITIVE_INFINITY;
      const size = capped ? Buffer.byteLength(text) : 0;
      const room = this.maxBytes - this.keptBytes;
      if (capped && size > room) {
        // keep what fits (cut on a character boundary), count the rest
        const kept = Buffer.from(text)
          .subarray(0, Math.max(0, room))
          .toString('utf8')
          .replace(/\uFFFD$/, '');
        this.droppedBytes += size - Buffer.byteLength(kept);
        text = kept;
        if (!text) return false;
      }
      if (capped) this.keptBytes += Buffer.byteLength(text);
      const last = this.outputs[this.outputs.length - 1];
      if (last && last.output_type === 'stream' && last.name === output.name) last.text += text;
      else this.outputs.push(text === output.text ? { ...output } : { ...output, text });
      return true;
    }
    if (output.output_type === 'error') {
      // errors are what a grader needs most: always kept, never counted against the cap
      this.outputs.push(output);
      return true;
    }
    const size = this.maxBytes === Number.POSITIVE_INFINITY ? 0 : bundleBytes(output.data);
    if (this.keptBytes + size > this.maxBytes) {
      this.droppedBytes += size;
      return false;
    }
    this.keptBytes += size;
    this.outputs.push(output);
    return true;
  }
}
