/**
 * Why a Jupyter Server or Enterprise Gateway would not start a kernel, in the server's own words,
 * and what to do about it. Enterprise Gateway puts its reason in the HTTP status line and leaves
 * the body's `message` empty; an unexpected error has only a traceback, whose last line says it.
 */
import { ServerConnection } from '@jupyterlab/services';

/** the reason phrases every server sends for these codes: they say nothing of the cause */
const GENERIC = /^(forbidden|unauthorized|not found|internal server error|unknown server error|invalid response: .*)$/i;

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .map(line => line.trim())
      .filter(Boolean)
      .pop() ?? ''
  );
}

/** The message of the KernelStartError for a refused `POST /api/kernels`. */
export function startRefusal(server: { baseUrl: string; kernelName?: string }, error: unknown): string {
  const kernel = server.kernelName || '(server default)';
  const head = `Could not start kernel "${kernel}" on ${server.baseUrl}`;
  if (!(error instanceof ServerConnection.ResponseError)) {
    const why = error instanceof Error ? error.message : String(error);
    return `${head}: ${why || 'no answer'}. Check the URL and that the server is running.`;
  }
  const status = error.response.status;
  const said = [error.message, error.response.statusText, lastLine(error.traceback)]
    .map(text => text.trim())
    .find(text => text && !GENERIC.test(text));
  const answer = `the server answered ${status}${said ? `: ${said}` : ` ${error.response.statusText}`.trimEnd()}`;
  let todo: string;
  if (said === 'Resource Limit')
    todo =
      'It runs as many kernels as it allows: grade with fewer at once (--jobs), or raise its limit ' +
      '(Enterprise Gateway: --EnterpriseGatewayApp.max_kernels, max_kernels_per_user).';
  else if (status === 403 && /authorized|KERNEL_USERNAME/i.test(said ?? ''))
    todo =
      'That is the server refusing by its own settings (Enterprise Gateway: authorized_users, ' +
      'unauthorized_users, KERNEL_USERNAME): change them there, or grade on another server.';
  // a wrong token: Jupyter Server then wants a browser's cookie and XSRF field instead
  else if (status === 401 || status === 403)
    todo = 'Check the token (--token, or the token in --servers FILE) and that it belongs to this server.';
  else if (status === 404)
    todo = 'No Jupyter kernels API at that URL: check it (a JupyterHub user server ends in /user/NAME/).';
  else if (/NoSuchKernel|No such kernel/i.test(`${said ?? ''} ${error.traceback}`))
    todo = `Install the kernel spec "${kernel}" on the server (pip install threadline there), or name one it has.`;
  else todo = "Check the server's log for the cause.";
  return `${head}: ${answer}. ${todo}`;
}
