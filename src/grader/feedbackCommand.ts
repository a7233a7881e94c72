/** `threadline feedback` (being written). */
import { UsageError } from './errors.js';

export async function feedbackCommand(_argv: string[]): Promise<number> {
  throw new UsageError('not available yet', 'feedback');
}
