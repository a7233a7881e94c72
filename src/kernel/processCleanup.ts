/**
 * Last-resort clean-up when this Node process ends without shutting its kernels down: on exit,
 * and on SIGINT/SIGTERM/SIGHUP when nobody else handles that signal (a kernel lives in its own
 * session, so a Ctrl-C in the terminal never reaches it). Cleanups must be synchronous.
 */
type Cleanup = () => void;

const cleanups = new Set<Cleanup>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let installed = false;

function runAll(): void {
  for (const cleanup of [...cleanups]) {
    try {
      cleanup();
    } catch {
      // best effort: one failure must not stop the others
    }
  }
  cleanups.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // Someone else handles this signal (e.g. an app that shuts down gracefully): leave it to them.
  if (process.listenerCount(signal) > 1) return;
  runAll();
  // restore the default behaviour and die of the same signal, as if we had never listened
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  process.kill(process.pid, signal);
}

/** Registers a synchronous cleanup; returns a function that unregisters it. */
export function onProcessEnd(cleanup: Cleanup): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', runAll);
    for (const s of SIGNALS) process.on(s, onSignal);
  }
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}
