/** Copies the repository at `root` into `destination` as a fresh clone has it (see cleanCopy.mjs). */
export function cleanCopy(root: string, destination: string): void;
