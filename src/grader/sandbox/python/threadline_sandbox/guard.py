"""The grading guard, installed silently in each grading kernel before any student code runs
(kernelGuard.ts sends this text, then calls `_threadline_guard_setup`).

Student code and tests share this process, so a student cell could patch what turns a test's
code into the reply the grader scores: a line transformer that makes every cell "pass", a
do_execute that swallows errors, an int printer that turns partial credit into full points. The
guard snapshots that machinery (the objects, their classes and the modules defining them) and
puts it all back before each test cell.

The grader reaches it with a message type of its own on the shell channel, answered by a handler
registered here, not by running code through the cell pipeline the student may have patched.
Between that restore and the test, a student's thread could patch again: so each test also starts
with a call to a canary (a builtin with a secret name) with a fresh nonce, and the grader then
asks the guard whether that exact call ran — a test turned into "pass" did not.
Each answer carries an HMAC of the grader's nonce under a secret known only to this closure and
the grader, so a stand-in cannot answer for it. A determined student who studies this file can
still dig the secret out of the closure: this is defence in depth; scores come from the protocol,
and the OS isolation (kernel_launcher.py) protects the machine.
"""


def _threadline_guard_setup(protected, secret, canary_name):
    import builtins
    import hashlib
    import hmac
    import linecache
    import os
    import sys
    import threading
    import types

    # The instructor's files cannot be opened or listed (an audit hook, which Python code cannot
    # remove); in an isolated kernel they are not even there.
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

    if "" not in sys.path:  # the kernel started with -P (kernel_launcher.py): as IPython's init_path
        site = [i for i, p in enumerate(sys.path) if os.path.basename(p) in ("site-packages", "dist-packages")]
        sys.path.insert(site[0] if site else 0, "")

    ip = get_ipython()  # noqa: F821 - run inside IPython
    kernel = ip.kernel
    key = secret.encode()

    ran = {"nonce": None}

    def canary(nonce):
        ran["nonce"] = nonce

    builtins.__dict__[canary_name] = canary  # before the snapshot: restore() keeps it

    def verify(expected):
        """After a test: its canary ran with this nonce (unless it was sent without one: a %%bash
        cell), and nothing was patched while it ran (a thread, a signal handler or a loop callback
        putting a patch back after restore())."""
        seen, ran["nonce"] = ran["nonce"], None
        builtins.__dict__.update(saved_builtins)  # repairs() calls builtins: the real ones
        return (expected is None or seen == expected) and not repairs()

    def handle(stream, ident, parent):
        # nothing from builtins before restore(): the student may have replaced any of them
        content = parent.get("content") or {}
        action = content.get("action")
        if action == "restore":
            done = restore()
        elif action == "forget":
            done = forget()
        else:
            done = action == "verify" and verify(content.get("expect"))
        answer = (
            hmac.new(key, f"{content.get('nonce', '')}{action}".encode(), hashlib.sha256).hexdigest() if done else ""
        )
        kernel.session.send(
            stream, "threadline_guard_reply", {"status": "ok" if done else "error", "answer": answer}, parent, ident
        )

    kernel.shell_handlers["threadline_guard_request"] = handle

    # The machinery, and what restore() puts back of it.
    tm = ip.input_transformer_manager
    formatters = ip.display_formatter.formatters
    named = {
        ip: (
            "compile",
            "input_transformer_manager",
            "displayhook",
            "display_formatter",
            "display_pub",
            "events",
            "payload_manager",
            "ast_node_interactivity",
            "kernel",
        ),
        kernel: ("session", "shell", "shell_handlers", "control_handlers", "iopub_socket", "iopub_thread"),
    }
    objects = [
        o
        for o in (
            ip,
            kernel,
            ip.compile,
            tm,
            ip.displayhook,
            ip.display_formatter,
            ip.display_pub,
            ip.events,
            kernel.session,
            getattr(kernel, "iopub_socket", None),
            *formatters.values(),
        )
        if o is not None
    ]
    module_names = {c.__module__ for o in objects for c in type(o).__mro__}
    module_names |= {
        "IPython.core.interactiveshell",
        "IPython.core.ultratb",
        "IPython.lib.pretty",
        "IPython.core.formatters",
        "IPython.core.displayhook",
        "IPython.core.displaypub",
        "IPython.core.async_helpers",
        "IPython.core.compilerop",
        "IPython.core.inputtransformer2",
        "IPython.core.events",
        "IPython.core.display_trap",
        "IPython.core.builtin_trap",
        "ipykernel.ipkernel",
        "ipykernel.kernelbase",
        "ipykernel.zmqshell",
        "ipykernel.iostream",
        "ipykernel.displayhook",
        "jupyter_client.session",
        "jupyter_client.jsonutil",
        "json",
        "json.encoder",
        "codeop",
        "traceback",
        "hmac",
        "hashlib",
    }
    modules = [sys.modules[name] for name in sorted(module_names) if name in sys.modules and name != "builtins"]
    classes = {c for o in objects for c in type(o).__mro__ if c.__module__ != "builtins"}
    classes |= {v for m in modules for v in vars(m).values() if isinstance(v, type) and v.__module__ == m.__name__}

    # Installed packages register hooks of their own after this snapshot (matplotlib's inline
    # backend: a post_execute callback and figure formatters); restore() keeps those. Student code
    # cannot pass for one: it would need a module file in these folders, read-only when isolated.
    cwd = os.path.realpath(os.getcwd())
    library_dirs = tuple(
        {
            os.path.realpath(p) + os.sep
            for p in (sys.prefix, sys.base_prefix, *sys.path)
            if p and os.path.realpath(p) != cwd
        }
    )

    def from_library(value):
        func = getattr(value, "func", value)  # functools.partial
        func = getattr(func, "__func__", func)  # bound method
        namespace = getattr(func, "__globals__", None)
        module = sys.modules.get(namespace.get("__name__")) if isinstance(namespace, dict) else None
        path = getattr(module, "__file__", None)
        return (
            module is not None
            and vars(module) is namespace
            and isinstance(path, str)
            and os.path.realpath(path).startswith(library_dirs)
        )

    def code_of(mapping):
        """What a patch would replace: functions, classes, descriptors, and modules (a module's
        `sys` or `json` swapped for a proxy would change what the kernel reports)."""
        return {
            k: v
            for k, v in mapping.items()
            if callable(v) or isinstance(v, (staticmethod, classmethod, property, types.ModuleType))
        }

    pretty = sys.modules.get("IPython.lib.pretty")
    registries = [
        getattr(pretty, name)
        for name in ("_type_pprinters", "_deferred_type_pprinters", "_singleton_pprinters")
        if isinstance(getattr(pretty, name, None), dict)
    ]
    saved_builtins = dict(vars(builtins))
    saved_hooks = (sys.displayhook, sys.excepthook)
    saved_named = [(o, name, getattr(o, name, None)) for o, names in named.items() for name in names]
    # on an instance, what matters is a method replaced there (IPython itself keeps plain
    # callables on the shell, e.g. the sys.excepthook of the last cell)
    saved_instances = [
        (o, {k: v for k, v in code_of(vars(o)).items() if callable(getattr(type(o), k, None))})
        for o in objects
        if hasattr(o, "__dict__")
    ]
    saved_code = [(c, code_of(vars(c))) for c in classes] + saved_instances
    saved_modules = [(m, code_of(vars(m))) for m in modules]
    lists = [
        tm.cleanup_transforms,
        tm.line_transforms,
        tm.token_transformers,
        ip.input_transformers_post,
        ip.ast_transformers,
        *ip.events.callbacks.values(),
    ]
    dicts = [
        ip.events.callbacks,
        formatters,
        kernel.shell_handlers,
        kernel.control_handlers,
        *registries,
        *(d for f in formatters.values() for d in (f.type_printers, f.deferred_printers, f.singleton_printers)),
    ]
    saved_lists = [(items, list(items)) for items in lists]
    saved_dicts = [(d, dict(d)) for d in dicts]
    saved_enabled = [(f, f.enabled) for f in formatters.values()]
    state = {"cache": set()}

    def put_back(target, changed, added):
        try:
            for name, value in changed.items():
                setattr(target, name, value)
            for name in added:
                delattr(target, name)
        except TypeError:
            pass  # a type implemented in C: nothing in it can have been patched

    def added_code(target, saved):
        """Code a patch added: on a class a new function or property, on an instance an
        attribute shadowing one of its class's methods."""
        if isinstance(target, type):
            return [k for k, v in vars(target).items() if k not in saved and (callable(v) or isinstance(v, property))]
        return [k for k in vars(target) if k not in saved and callable(getattr(type(target), k, None))]

    def same(a, b):
        """Identity, but a bound method is made anew at each lookup (IPython stores
        `sys.excepthook`, a bound method, on the shell at every cell)."""
        return a is b or (isinstance(a, types.MethodType) and a == b)

    def repairs():
        """What differs from the snapshot, each as a function that puts it back. Builtins and
        sys.displayhook/excepthook are not in it: IPython's own traps swap those around every
        cell, so restore() simply resets them."""
        fixes = []
        for m, saved in saved_modules:
            changed = {k: v for k, v in saved.items() if not same(vars(m).get(k), v)}
            if changed:
                fixes.append(lambda m=m, changed=changed: vars(m).update(changed))
        for target, saved in saved_code:
            changed = {k: v for k, v in saved.items() if not same(vars(target).get(k), v)}
            added = added_code(target, saved)
            if changed or added:
                fixes.append(lambda target=target, changed=changed, added=added: put_back(target, changed, added))
        for o, name, value in saved_named:
            if not same(getattr(o, name, None), value):
                fixes.append(lambda o=o, name=name, value=value: setattr(o, name, value))
        for items, saved in saved_lists:
            wanted = saved + [x for x in items if not any(x is y for y in saved) and from_library(x)]
            if len(wanted) != len(items) or any(x is not y for x, y in zip(wanted, items, strict=True)):
                fixes.append(lambda items=items, wanted=wanted: items.__setitem__(slice(None), wanted))
        for d, saved in saved_dicts:
            wanted = {**saved, **{k: v for k, v in d.items() if k not in saved and from_library(v)}}
            if d.keys() != wanted.keys() or any(d[k] is not v for k, v in wanted.items()):
                fixes.append(lambda d=d, wanted=wanted: (d.clear(), d.update(wanted)))
        for f, enabled in saved_enabled:
            if f.enabled != enabled:
                fixes.append(lambda f=f, enabled=enabled: setattr(f, "enabled", enabled))
        if sys.gettrace() or sys.getprofile() or threading.gettrace() or threading.getprofile():
            fixes.append(
                lambda: (sys.settrace(None), sys.setprofile(None), threading.settrace(None), threading.setprofile(None))
            )
        return fixes

    def restore():
        # first, and without calling any builtin; names added since (gettext.install's `_`) stay:
        # they cannot hide a builtin a test uses, only the replaced ones could
        builtins.__dict__.update(saved_builtins)
        ip.user_ns["__builtins__"] = builtins
        sys.displayhook, sys.excepthook = saved_hooks
        for fix in repairs():
            fix()
        state["cache"] = set(linecache.cache)
        ran["nonce"] = None
        return True

    def forget():
        """After a cell with hidden tests: its source out of linecache, no last traceback."""
        for name in [k for k in linecache.cache if k not in state["cache"]]:
            linecache.cache.pop(name, None)
        for name in ("last_type", "last_value", "last_traceback", "last_exc"):
            if hasattr(sys, name):
                delattr(sys, name)
        return True

    # this very code, secret included, must not stay where student code could read it back
    for name, entry in list(linecache.cache.items()):
        if len(entry) > 2 and secret in "".join(entry[2] or ()):
            del linecache.cache[name]
