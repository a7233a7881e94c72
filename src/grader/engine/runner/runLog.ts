/** What happened during one notebook's run that the submission's status and reason report. */
import { SUBMISSION_STATUSES, type SubmissionStatus } from './runResult.js';

interface RunEvent {
  status: SubmissionStatus;
  text: string;
}

export class RunLog {
  private readonly events: RunEvent[] = [];

  add(status: SubmissionStatus, text: string): void {
    this.events.push({ status, text });
  }

  /** Adds an event unless the same one is already there (the notebook ran out of time: said once). */
  addOnce(status: SubmissionStatus, text: string): void {
    if (!this.events.some(event => event.text === text)) this.add(status, text);
  }

  /** A point to go back to with `dropSince`. */
  mark(): number {
    return this.events.length;
  }

  /** Forgets what was added since `mark`: a later cause explains it. */
  dropSince(mark: number): void {
    this.events.splice(mark);
  }

  /** The worst status of any event, `ok` without one. */
  status(): SubmissionStatus {
    const rank = (status: SubmissionStatus) => SUBMISSION_STATUSES.indexOf(status);
    return this.events.reduce<SubmissionStatus>(
      (worst, event) => (rank(event.status) > rank(worst) ? event.status : worst),
      'ok'
    );
  }

  reason(): string {
    return this.events.map(event => event.text).join('; ');
  }
}
