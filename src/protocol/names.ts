/** Names shared by the probe (Python), the extension and the grader. Change them here first. */

/** MIME type of a saved trace (display output of a `%%timeline` cell). */
export const TRACE_MIME = 'application/vnd.threadline.trace+json';

/** Comm target the probe opens (kernel → frontend) to stream a trace while the cell runs. */
export const TRACE_COMM_TARGET = 'threadline.trace';

/** Comm target the probe registers in the kernel; the frontend opens it to receive meter samples. */
export const METER_COMM_TARGET = 'threadline.meter';

/** Name of the kernel spec that preloads the probe. */
export const KERNEL_NAME = 'threadline';
