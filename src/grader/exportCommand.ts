/** `threadline export` (being written). */
import { UsageError } from './errors.js';

export async function exportCommand(_argv: string[]): Promise<number> {
  throw new UsageError('not available yet', 'export');
}
