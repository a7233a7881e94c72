/** `threadline grade` (being written). */
import { UsageError } from './errors.js';

export async function gradeCommand(_argv: string[]): Promise<number> {
  throw new UsageError('not available yet', 'grade');
}
