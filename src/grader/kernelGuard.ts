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
    kernel = getattr(ip, "kernel", None)
    saved_builtins = dict(vars(builtins))
    saved_hooks = (sys.displayhook, sys.excepthook)

    # The machinery between a test cell's code and the reply the grader reads: these objects, the
    # classes they are made of and the modules that define those. A one-line student cell can
    # patch any of them (a line transformer that turns every cell into "pass", a do_execute that
    # swallows errors, an int printer for partial credit); restore() puts all of it back.
    tm = ip.input_transformer_manager
    formatters = ip.display_formatter.formatters
    named = {ip: ("compile", "input_transformer_manager", "displayhook", "display_formatter", "display_pub",
                  "events", "payload_manager", "ast_node_interactivity", "kernel")}
    if kernel is not None:
        named[kernel] = ("session", "shell", "shell_handlers", "control_handlers", "iopub_socket", "iopub_thread")
    objects = [o for o in (ip, kernel, ip.compile, tm, ip.displayhook, ip.display_formatter, ip.display_pub, ip.events,
                           getattr(kernel, "session", None), getattr(kernel, "iopub_socket", None), *formatters.values())
               if o is not None]
    classes = {c for o in objects for c in type(o).__mro__ if c.__module__ != "builtins"}
    modules = {sys.modules[c.__module__] for c in classes if c.__module__ in sys.modules}
    modules |= {sys.modules[m] for m in ("json", "json.encoder", "jupyter_client.jsonutil") if m in sys.modules}
    def code_of(mapping):
        return {k: v for k, v in mapping.items() if callable(v) or isinstance(v, (staticmethod, classmethod, property))}
    saved_named = [(o, name, getattr(o, name, None)) for o, names in named.items() for name in names]
    saved_instances = [(o, code_of(vars(o))) for o in objects if hasattr(o, "__dict__")]
    saved_classes = [(c, code_of(vars(c))) for c in classes]
    saved_modules = [(m, code_of(vars(m))) for m in modules]
    lists = [tm.cleanup_transforms, tm.line_transforms, tm.token_transformers, ip.input_transformers_post, ip.ast_transformers,
             *ip.events.callbacks.values()]
    dicts = [ip.events.callbacks, formatters, *(d for f in formatters.values() for d in (f.type_printers, f.deferred_printers, f.singleton_printers))]
    if kernel is not None:
        dicts += [kernel.shell_handlers, kernel.control_handlers]
    saved_lists = [(l, list(l)) for l in lists]
    saved_dicts = [(d, dict(d)) for d in dicts]
    saved_enabled = [(f, f.enabled) for f in formatters.values()]
    state = {"cache": set()}
    def put_back(target, saved, setter, deleter):
        current = vars(target)
        for key, value in saved.items():
            if current.get(key) is not value:
                setter(target, key, value)
        for key in [k for k, v in current.items() if k not in saved and (callable(v) or isinstance(v, property))]:
            deleter(target, key)
    def restore():
        b = vars(builtins)
        for key in [k for k in b if k not in saved_builtins]:
            del b[key]
        b.update(saved_builtins)
        ip.user_ns["__builtins__"] = builtins
        sys.displayhook, sys.excepthook = saved_hooks
        sys.settrace(None)
        for m, saved in saved_modules:
            vars(m).update((k, v) for k, v in saved.items() if vars(m).get(k) is not v)
        for c, saved in saved_classes:
            try:
                put_back(c, saved, setattr, delattr)
            except TypeError:
                pass  # a type implemented in C: nothing in it can have been patched
        for o, saved in saved_instances:
            instance = vars(o)
            instance.update((k, v) for k, v in saved.items() if instance.get(k) is not v)
            for key in [k for k in instance if k not in saved and callable(getattr(type(o), k, None))]:
                del instance[key]  # an instance attribute shadowing a method
        for o, name, value in saved_named:
            if getattr(o, name, None) is not value:
                setattr(o, name, value)
        for l, saved in saved_lists:
            l[:] = saved
        for d, saved in saved_dicts:
            d.clear()
            d.update(saved)
        for f, enabled in saved_enabled:
            f.enabled = enabled
        state["cache"] = set(linecache.cache)
        return "ok"
    def forget():
        for key in [k for k in linecache.cache if k not in state["cache"]]:
            linecache.cache.pop(key, None)
        for name in ("last_type", "last_value", "last_traceback", "last_exc"):
            if hasattr(sys, name):
                delattr(sys, name)
        return "ok"
    module = types.ModuleType("_threadline_guard")
    module.restore, module.forget = restore, forget
    sys.modules["_threadline_guard"] = module
_threadline_guard_setup(${JSON.stringify(protectedPaths)})
del _threadline_guard_setup
`;
}

/**
 * The guard's two actions, run as a `user_expressions` entry of an empty silent execution: the
 * kernel evaluates those with plain eval(), outside IPython's cell pipeline, so a patched
 * transformer, compiler or run_cell cannot turn them into "pass". Each returns "ok"; a reply
 * without it means the submission broke the guard.
 */
export const GUARD_EXPRESSION = 'threadline_guard';
export const GUARD_OK = "'ok'";

/** Before a test cell: builtins, and the kernel's machinery (IPython, ipykernel, the session) put back. */
export const GUARD_BEFORE_TEST = `__import__("sys").modules["_threadline_guard"].restore()`;

/** After a cell with hidden tests: their source dropped from linecache and the last traceback. */
export const GUARD_AFTER_HIDDEN = `__import__("sys").modules["_threadline_guard"].forget()`;
