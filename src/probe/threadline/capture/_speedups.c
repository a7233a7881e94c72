/* The probe's two hottest paths in C, as CPython accelerates asyncio with _asyncio: the step hook
 * that replaces asyncio's Handle._run while tracing, and the `with lock:` of a traced threading.Lock.
 * Both do exactly what their pure-Python twins do (step_hook.py, locks/core.py), which stay the
 * fallback when this file cannot be compiled; tests run both.
 *
 * Timestamps come from CLOCK_MONOTONIC, the clock behind time.perf_counter() on Linux, so values
 * from here and from Python code can be compared and subtracted.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <time.h>

static inline long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* perf_counter() as Python computes it from nanoseconds */
static inline double now_s(void) { return (double)now_ns() / 1e9; }

/* getattr(obj, name, None) without making an AttributeError first (plain-function callbacks have
 * no __self__, and they are most callbacks): 1 found, 0 absent, -1 error */
static inline int lookup_attr(PyObject *obj, PyObject *name, PyObject **result) {
#if PY_VERSION_HEX >= 0x030D0000
    return PyObject_GetOptionalAttr(obj, name, result);
#else
    return _PyObject_LookupAttr(obj, name, result);
#endif
}

static PyObject *s_callback, *s_self, *s_context, *s_args, *s_run, *s_fut_waiter, *s_get_coro, *s_cr_await,
    *s_cr_code, *s_contended, *s_contended_release, *s_done, *s_get_name;

/* ---------------------------------------------------------------------------------- StepHook */

typedef struct {
    PyObject_HEAD
    PyObject *tracked;    /* dict id(task) -> key, of the traced tasks alive */
    PyObject *steps;      /* list: key, t0, t1, label or waiter class, code (five values a step) */
    PyObject *awaiting;   /* dict key -> label, set by traced primitives */
    PyObject *report;     /* report(handle, exc): asyncio's handling of a failed callback */
    PyObject *on_blocked; /* on_blocked(task, t0): a step longer than the threshold */
    PyObject *on_done;    /* on_done(task, t1): the task's last step ended */
    PyObject *on_error;   /* on_error(task, exc): a probe bug; stop recording that task */
    PyObject *task_type;  /* asyncio.Task: a waited-on task is recorded by name */
    PyObject *cell_task;  /* the task running the traced cell, or None */
    PyObject *keys;       /* capture.asyncio_hooks.TaskKeys, kept for the session */
    double threshold;
    double cell_t0;       /* start of the cell task's running step, -1 outside it */
    vectorcallfunc vectorcall;
} StepHook;

static int append5(PyObject *list, PyObject *key, double t0, double t1, PyObject *waiter, PyObject *code) {
    PyObject *a = PyFloat_FromDouble(t0), *b = PyFloat_FromDouble(t1);
    int rc = -1;
    if (a && b && PyList_Append(list, key) == 0 && PyList_Append(list, a) == 0 && PyList_Append(list, b) == 0 &&
        PyList_Append(list, waiter) == 0 && PyList_Append(list, code) == 0)
        rc = 0;
    Py_XDECREF(a);
    Py_XDECREF(b);
    return rc;
}

/* After a step that left no waiter: the task's outcome if that was its last step. */
static int check_done(StepHook *self, PyObject *task, double t1) {
    PyObject *done = PyObject_CallMethodNoArgs(task, s_done);
    if (done == NULL) return -1;
    int is_done = PyObject_IsTrue(done);
    Py_DECREF(done);
    if (is_done <= 0) return is_done;
    PyObject *r = PyObject_CallFunction(self->on_done, "Od", task, t1);
    if (r == NULL) return -1;
    Py_DECREF(r);
    return 0;
}

/* What the task waits on after its step; -1 with an exception set on a probe bug. */
static int record_step(StepHook *self, PyObject *task, PyObject *key, double t0, double t1) {
    PyObject *waiter = PyObject_GetAttr(task, s_fut_waiter);
    if (waiter == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError)) return -1;
        PyErr_Clear();
        return append5(self->steps, key, t0, t1, Py_None, Py_None);
    }
    int rc = -1;
    if (t1 - t0 >= self->threshold) {
        PyObject *r = PyObject_CallFunction(self->on_blocked, "Od", task, t0);
        if (r == NULL) goto done;
        Py_DECREF(r);
    }
    if (waiter == Py_None) {
        rc = append5(self->steps, key, t0, t1, Py_None, Py_None);
        if (rc == 0) rc = check_done(self, task, t1);
        goto done;
    }
    PyObject *label = PyDict_GetItemWithError(self->awaiting, key); /* borrowed */
    if (label != NULL) {
        rc = append5(self->steps, key, t0, t1, label, Py_None);
        goto done;
    }
    if (PyErr_Occurred()) goto done;
    if (PyObject_TypeCheck(waiter, (PyTypeObject *)self->task_type)) {
        PyObject *name = PyObject_CallMethodNoArgs(waiter, s_get_name);
        PyObject *text = name ? PyUnicode_FromFormat("task %S", name) : NULL;
        Py_XDECREF(name);
        /* the awaited task's key (an await-graph edge), None when it is not traced */
        PyObject *ident = text ? PyLong_FromVoidPtr(waiter) : NULL;
        PyObject *target = ident ? PyDict_GetItemWithError(self->tracked, ident) : NULL; /* borrowed */
        Py_XDECREF(ident);
        if (text != NULL && !PyErr_Occurred()) rc = append5(self->steps, key, t0, t1, text, target ? target : Py_None);
        Py_XDECREF(text);
        goto done;
    }
    /* the innermost coroutine the task is suspended in */
    PyObject *aw = PyObject_CallMethodNoArgs(task, s_get_coro);
    PyObject *code = NULL;
    if (aw != NULL) {
        PyObject *next = PyObject_GetAttr(aw, s_cr_await);
        Py_DECREF(aw);
        aw = next;
        while (aw != NULL && aw != Py_None) {
            PyObject *inner = NULL;
            if (lookup_attr(aw, s_cr_code, &inner) <= 0) break; /* a future, or an error */
            Py_XSETREF(code, inner);
            next = PyObject_GetAttr(aw, s_cr_await);
            Py_DECREF(aw);
            aw = next;
        }
        Py_XDECREF(aw);
    }
    if (PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError)) {
            Py_XDECREF(code);
            goto done;
        }
        PyErr_Clear(); /* generator-based or exotic awaitables */
    }
    rc = append5(self->steps, key, t0, t1, (PyObject *)Py_TYPE(waiter), code ? code : Py_None);
    Py_XDECREF(code);
done:
    Py_DECREF(waiter);
    return rc;
}

static PyObject *stephook_vectorcall(StepHook *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "Handle._run() takes no arguments");
        return NULL;
    }
    PyObject *handle = args[0];
    PyObject *cb = PyObject_GetAttr(handle, s_callback);
    if (cb == NULL) return NULL;
    PyObject *task = NULL, *key = NULL;
    int traced = 0;
    if (lookup_attr(cb, s_self, &task) < 0) {
        PyErr_Clear();
    } else if (task != NULL) {
        PyObject *ident = PyLong_FromVoidPtr(task);
        if (ident != NULL) {
            key = PyDict_GetItemWithError(self->tracked, ident); /* borrowed */
            Py_DECREF(ident);
        }
        if (key != NULL) {
            Py_INCREF(key); /* the task may be forgotten during its step */
            traced = 1;
        } else {
            PyErr_Clear();
        }
    }
    int is_cell = traced && task == self->cell_task;
    double t0 = traced ? now_s() : 0.0;
    if (is_cell) self->cell_t0 = t0;

    /* self._context.run(self._callback, *self._args) */
    PyObject *result = NULL;
    PyObject *context = PyObject_GetAttr(handle, s_context);
    PyObject *cb_args = context ? PyObject_GetAttr(handle, s_args) : NULL;
    if (cb_args != NULL) {
        if (cb_args == Py_None) {
            PyObject *stack[2] = {context, cb};
            result = PyObject_VectorcallMethod(s_run, stack, 2, NULL);
        } else {
            PyObject *seq = PySequence_Fast(cb_args, "Handle._args must be a sequence");
            if (seq != NULL) {
                Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
                PyObject *small[8];
                PyObject **stack = n + 2 <= 8 ? small : PyMem_Malloc((n + 2) * sizeof(PyObject *));
                if (stack == NULL) {
                    PyErr_NoMemory();
                } else {
                    stack[0] = context;
                    stack[1] = cb;
                    PyObject **items = PySequence_Fast_ITEMS(seq);
                    for (Py_ssize_t i = 0; i < n; i++) stack[i + 2] = items[i];
                    result = PyObject_VectorcallMethod(s_run, stack, (size_t)(n + 2), NULL);
                    if (stack != small) PyMem_Free(stack);
                }
                Py_DECREF(seq);
            }
        }
    }
    Py_XDECREF(context);
    Py_XDECREF(cb_args);
    Py_DECREF(cb);
    if (result != NULL) {
        Py_DECREF(result);
    } else if (PyErr_ExceptionMatches(PyExc_SystemExit) || PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) {
        if (is_cell) self->cell_t0 = -1.0;
        Py_XDECREF(task);
        Py_XDECREF(key);
        return NULL;
    } else { /* the same handling as asyncio's own Handle._run */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        if (tb != NULL) PyException_SetTraceback(value, tb);
        PyObject *r = PyObject_CallFunctionObjArgs(self->report, handle, value, NULL);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        if (r == NULL) {
            if (is_cell) self->cell_t0 = -1.0;
            Py_XDECREF(task);
            Py_XDECREF(key);
            return NULL;
        }
        Py_DECREF(r);
    }
    if (!traced) {
        Py_XDECREF(task);
        Py_RETURN_NONE;
    }
    double t1 = now_s();
    if (is_cell) self->cell_t0 = -1.0;
    if (record_step(self, task, key, t0, t1) < 0) {
        /* a probe bug must not break the learner's loop */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        PyObject *r = PyObject_CallFunctionObjArgs(self->on_error, task, value ? value : Py_None, NULL);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        if (r == NULL) PyErr_Clear();
        Py_XDECREF(r);
    }
    Py_DECREF(task);
    Py_DECREF(key);
    Py_RETURN_NONE;
}

static PyObject *stephook_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"tracked",  "steps",   "awaiting", "threshold", "report",
                             "on_blocked", "on_done", "on_error", "task_type", NULL};
    PyObject *tracked, *steps, *awaiting, *report, *on_blocked, *on_done, *on_error, *task_type;
    double threshold;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!O!dOOOOO!", kwlist, &PyDict_Type, &tracked, &PyList_Type,
                                     &steps, &PyDict_Type, &awaiting, &threshold, &report, &on_blocked, &on_done,
                                     &on_error, &PyType_Type, &task_type))
        return NULL;
    StepHook *self = (StepHook *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->tracked = Py_NewRef(tracked);
    self->steps = Py_NewRef(steps);
    self->awaiting = Py_NewRef(awaiting);
    self->report = Py_NewRef(report);
    self->on_blocked = Py_NewRef(on_blocked);
    self->on_done = Py_NewRef(on_done);
    self->on_error = Py_NewRef(on_error);
    self->task_type = Py_NewRef(task_type);
    self->cell_task = Py_NewRef(Py_None);
    self->keys = Py_NewRef(Py_None);
    self->threshold = threshold;
    self->cell_t0 = -1.0;
    self->vectorcall = (vectorcallfunc)stephook_vectorcall;
    return (PyObject *)self;
}

static int stephook_traverse(StepHook *self, visitproc visit, void *arg) {
    Py_VISIT(self->tracked);
    Py_VISIT(self->steps);
    Py_VISIT(self->awaiting);
    Py_VISIT(self->report);
    Py_VISIT(self->on_blocked);
    Py_VISIT(self->on_done);
    Py_VISIT(self->on_error);
    Py_VISIT(self->task_type);
    Py_VISIT(self->cell_task);
    Py_VISIT(self->keys);
    return 0;
}

static int stephook_clear(StepHook *self) {
    Py_CLEAR(self->tracked);
    Py_CLEAR(self->steps);
    Py_CLEAR(self->awaiting);
    Py_CLEAR(self->report);
    Py_CLEAR(self->on_blocked);
    Py_CLEAR(self->on_done);
    Py_CLEAR(self->on_error);
    Py_CLEAR(self->task_type);
    Py_CLEAR(self->cell_task);
    Py_CLEAR(self->keys);
    return 0;
}

static void stephook_dealloc(StepHook *self) {
    PyObject_GC_UnTrack(self);
    stephook_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* A method descriptor: `handle._run()` calls the hook with the handle, with no bound method made. */
static PyObject *stephook_get(PyObject *self, PyObject *obj, PyObject *type) {
    if (obj == NULL || obj == Py_None) return Py_NewRef(self);
    return PyMethod_New(self, obj);
}

static PyMemberDef stephook_members[] = {
    {"tracked", T_OBJECT, offsetof(StepHook, tracked), READONLY, "id(task) -> key, of the traced tasks alive"},
    {"keys", T_OBJECT, offsetof(StepHook, keys), 0, "the traced tasks' keys and weak references"},
    {"cell_task", T_OBJECT, offsetof(StepHook, cell_task), 0, "the task running the traced cell"},
    {"cell_t0", T_DOUBLE, offsetof(StepHook, cell_t0), 0, "start of the cell task's running step, -1 outside it"},
    {NULL}};

static PyTypeObject StepHookType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "threadline.capture._speedups.StepHook",
    .tp_doc = "asyncio's Handle._run, recording the steps of traced tasks",
    .tp_basicsize = sizeof(StepHook),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_METHOD_DESCRIPTOR,
    .tp_new = stephook_new,
    .tp_dealloc = (destructor)stephook_dealloc,
    .tp_traverse = (traverseproc)stephook_traverse,
    .tp_clear = (inquiry)stephook_clear,
    .tp_vectorcall_offset = offsetof(StepHook, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_descr_get = stephook_get,
    .tp_members = stephook_members,
};

/* ---------------------------------------------------------------------------------- LockCore */

typedef struct {
    PyObject_HEAD
    PyObject *lock, *acq, *rel, *r, *log, *kind, *site, *globals, *owner;
    long long t;
    Py_ssize_t idx, n, w, depth;
    PyObject *weakreflist;
} LockCore;

/* A LockCore made directly, or one whose members were deleted, has nothing to lock: an error,
 * never a crash. */
static int lockcore_usable(LockCore *self) {
    if (self->acq != NULL && self->rel != NULL) return 1;
    PyErr_SetString(PyExc_RuntimeError, "threadline: this traced lock wraps no lock");
    return 0;
}

/* `with lock:` uncontended: acquire without blocking, note the time; else the Python slow path. */
static PyObject *lockcore_enter(LockCore *self, PyObject *unused) {
    if (!lockcore_usable(self)) return NULL;
    PyObject *stack[1] = {Py_False};
    PyObject *ok = PyObject_Vectorcall(self->acq, stack, 1, NULL);
    if (ok == NULL) return NULL;
    if (ok == Py_True) {
        Py_DECREF(ok);
        self->t = now_ns();
        Py_RETURN_TRUE;
    }
    Py_DECREF(ok);
    PyObject *timeout = PyLong_FromLong(-1);
    if (timeout == NULL) return NULL;
    PyObject *args[2] = {(PyObject *)self, timeout};
    PyObject *res = PyObject_VectorcallMethod(s_contended, args, 2, NULL);
    Py_DECREF(timeout);
    return res;
}

/* Appends (thread ident, acquired ns, released ns) to the lock's own log while still holding it,
 * then releases; an acquisition that waited goes through the Python slow path. */
static PyObject *lockcore_exit(LockCore *self, PyObject *const *args, Py_ssize_t nargs) {
    if (!lockcore_usable(self)) return NULL;
    long long e = now_ns();
    if (self->r != NULL && self->r != Py_None) {
        PyObject *end = PyLong_FromLongLong(e);
        if (end == NULL) return NULL;
        PyObject *stack[2] = {(PyObject *)self, end};
        PyObject *res = PyObject_VectorcallMethod(s_contended_release, stack, 2, NULL);
        Py_DECREF(end);
        return res;
    }
    PyObject *who = PyLong_FromUnsignedLong(PyThread_get_thread_ident());
    PyObject *t = PyLong_FromLongLong(self->t);
    PyObject *end = PyLong_FromLongLong(e);
    int rc = (who && t && end && self->log && PyList_Append(self->log, who) == 0 && PyList_Append(self->log, t) == 0 &&
              PyList_Append(self->log, end) == 0)
                 ? 0
                 : -1;
    Py_XDECREF(who);
    Py_XDECREF(t);
    Py_XDECREF(end);
    /* release even when recording failed: never leave the learner's lock held */
    PyObject *released = PyObject_Vectorcall(self->rel, NULL, 0, NULL);
    if (released == NULL) return NULL;
    Py_DECREF(released);
    if (rc < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "threadline: the lock has no log");
        return NULL;
    }
    Py_RETURN_NONE;
}

static int lockcore_traverse(LockCore *self, visitproc visit, void *arg) {
    Py_VISIT(self->lock);
    Py_VISIT(self->acq);
    Py_VISIT(self->rel);
    Py_VISIT(self->r);
    Py_VISIT(self->log);
    Py_VISIT(self->kind);
    Py_VISIT(self->site);
    Py_VISIT(self->globals);
    Py_VISIT(self->owner);
    return 0;
}

static int lockcore_clear(LockCore *self) {
    Py_CLEAR(self->lock);
    Py_CLEAR(self->acq);
    Py_CLEAR(self->rel);
    Py_CLEAR(self->r);
    Py_CLEAR(self->log);
    Py_CLEAR(self->kind);
    Py_CLEAR(self->site);
    Py_CLEAR(self->globals);
    Py_CLEAR(self->owner);
    return 0;
}

/* (a Python subclass's instances come here through subtype_dealloc, which releases their type) */
static void lockcore_dealloc(LockCore *self) {
    PyObject_GC_UnTrack(self);
    if (self->weakreflist != NULL) PyObject_ClearWeakRefs((PyObject *)self);
    lockcore_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef lockcore_methods[] = {
    {"__enter__", (PyCFunction)lockcore_enter, METH_NOARGS, "acquire, recording when"},
    {"__exit__", (PyCFunction)(void (*)(void))lockcore_exit, METH_FASTCALL, "record the hold, release"},
    {NULL}};

static PyMemberDef lockcore_members[] = {
    {"_lock", T_OBJECT, offsetof(LockCore, lock), 0, NULL},
    {"_acq", T_OBJECT, offsetof(LockCore, acq), 0, NULL},
    {"_rel", T_OBJECT, offsetof(LockCore, rel), 0, NULL},
    {"_r", T_OBJECT, offsetof(LockCore, r), 0, NULL},
    {"_log", T_OBJECT, offsetof(LockCore, log), 0, NULL},
    {"_kind", T_OBJECT, offsetof(LockCore, kind), 0, NULL},
    {"_site", T_OBJECT, offsetof(LockCore, site), 0, NULL},
    {"_globals", T_OBJECT, offsetof(LockCore, globals), 0, NULL},
    {"_owner", T_OBJECT, offsetof(LockCore, owner), 0, NULL},
    {"_t", T_LONGLONG, offsetof(LockCore, t), 0, NULL},
    {"_idx", T_PYSSIZET, offsetof(LockCore, idx), 0, NULL},
    {"_n", T_PYSSIZET, offsetof(LockCore, n), 0, NULL},
    {"_w", T_PYSSIZET, offsetof(LockCore, w), 0, NULL},
    {"_depth", T_PYSSIZET, offsetof(LockCore, depth), 0, NULL},
    {NULL}};

static PyTypeObject LockCoreType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "threadline.capture._speedups.LockCore",
    .tp_doc = "state and uncontended `with` of a traced threading.Lock",
    .tp_basicsize = sizeof(LockCore),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)lockcore_dealloc,
    .tp_traverse = (traverseproc)lockcore_traverse,
    .tp_clear = (inquiry)lockcore_clear,
    .tp_weaklistoffset = offsetof(LockCore, weakreflist),
    .tp_methods = lockcore_methods,
    .tp_members = lockcore_members,
};

/* ---------------------------------------------------------------------------------- module */

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT, .m_name = "_speedups", .m_doc = "C hot paths of the threadline probe", .m_size = -1};

PyMODINIT_FUNC PyInit__speedups(void) {
    struct {
        PyObject **slot;
        const char *text;
    } names[] = {{&s_callback, "_callback"},     {&s_self, "__self__"},         {&s_context, "_context"},
                 {&s_args, "_args"},             {&s_run, "run"},               {&s_fut_waiter, "_fut_waiter"},
                 {&s_get_coro, "get_coro"},      {&s_cr_await, "cr_await"},     {&s_cr_code, "cr_code"},
                 {&s_contended, "_contended"},   {&s_contended_release, "_contended_release"},
                 {&s_done, "done"},              {&s_get_name, "get_name"}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        *names[i].slot = PyUnicode_InternFromString(names[i].text);
        if (*names[i].slot == NULL) return NULL;
    }
    if (PyType_Ready(&StepHookType) < 0 || PyType_Ready(&LockCoreType) < 0) return NULL;
    PyObject *m = PyModule_Create(&speedups_module);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "StepHook", (PyObject *)&StepHookType) < 0 ||
        PyModule_AddObjectRef(m, "LockCore", (PyObject *)&LockCoreType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
