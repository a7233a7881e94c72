/** Public API of the kernel layer. */
export type { ExecuteOptions, ExecuteResult, KernelClient, KernelInfo, MimeBundle, Output } from './kernelClient.js';
export {
  KernelDiedError,
  KernelError,
  KernelShutdownError,
  KernelStartError,
  InvalidKernelSpecError,
  NoSuchKernelError
} from './errors.js';
export {
  findKernelSpecs,
  formatKernelCommand,
  getKernelSpec,
  kernelSpecDirs,
  listKernelSpecs,
  readKernelSpec,
  type KernelSpec
} from './kernelSpec.js';
export { jupyterDataDir, jupyterPath, jupyterRuntimeDir, pythonPrefix } from './jupyterPaths.js';
export { ConnectionFile, newConnectionInfo, type ConnectionInfo, type Transport } from './connectionFile.js';
export { LocalKernel, type ConnectOptions, type LocalKernelOptions } from './localKernel.js';
export { connectKernel, startKernel, type StartKernelOptions } from './startKernel.js';
export { Session, type JupyterMessage, type MessageHeader } from './wireProtocol.js';
export { DisplayRegistry, OutputCollector } from './outputCollector.js';
