/**
 * Python snippets the grader runs silently (no history, no outputs) around graded cells, so that a
 * submission cannot make tests pass by monkeypatching builtins or IPython, nor read hidden tests
 * back from the kernel's caches after they ran. Student and tests share one process, so this is
 * defence in depth, not a sandbox: the OS limits in kernelLimits.ts protect the machine.
 */

/**
 * Installed once per kernel (again after a restart), before any student code runs. `protectedPaths`
 * (the instructor's source notebooks, the gradebook) cannot be opened or listed from then on: an
 * audit hook, which Python code cannot remove.
 */
export function guardSetup(protectedPaths: string[]): string {
  return `
def _threadline_guard_setup(protected):
    import builtins, linecache, os, sys, types
    protected = tuple(os.path.realpath(p) for p in protected)
    def audit(event, args):
        if event not in ("open", "os.listdir", "os.scandir") or not args or isinstance(args[0], int) or args[0] is None:
            return
        try:
            target = os.path.realpath(os.fsdecode(args[0]))
        except (TypeError, ValueError):
            return
        for p in protected:
            if target == p or target.startswith(p + os.sep):
                raise PermissionError(13, "the grader does not let submissions read this file", target)
    if protected:
        sys.addaudithook(audit)
    ip = get_ipython()
    saved_builtins = dict(vars(builtins))
    saved_transformers = (list(ip.input_transformers_cleanup), list(ip.input_transformers_post), list(ip.ast_transformers))
    state = {"cache": set()}
    def restore():
        b = vars(builtins)
        for key in [k for k in b if k not in saved_builtins]:
            del b[key]
        b.update(saved_builtins)
        ip.user_ns["__builtins__"] = builtins
        ip.input_transformers_cleanup[:] = saved_transformers[0]
        ip.input_transformers_post[:] = saved_transformers[1]
        ip.ast_transformers[:] = saved_transformers[2]
        for name in ("run_cell", "run_cell_async", "run_ast_nodes", "run_code", "transform_cell", "should_run_async", "showtraceback", "ex"):
            ip.__dict__.pop(name, None)
        sys.settrace(None)
        state["cache"] = set(linecache.cache)
    def forget():
        for key in [k for k in linecache.cache if k not in state["cache"]]:
            linecache.cache.pop(key, None)
        for name in ("last_type", "last_value", "last_traceback", "last_exc"):
            if hasattr(sys, name):
                delattr(sys, name)
    module = types.ModuleType("_threadline_guard")
    module.restore, module.forget = restore, forget
    sys.modules["_threadline_guard"] = module
_threadline_guard_setup(${JSON.stringify(protectedPaths)})
del _threadline_guard_setup
`;
}

/** Before a test cell: builtins, __builtins__, IPython's transformers and run methods put back. */
export const GUARD_BEFORE_TEST = `__import__("sys").modules["_threadline_guard"].restore()`;

/** After a cell with hidden tests: their source dropped from linecache and the last traceback. */
export const GUARD_AFTER_HIDDEN = `__import__("sys").modules["_threadline_guard"].forget()`;
