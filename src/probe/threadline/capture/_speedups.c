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

/* int((t - base) * 1e6), as Recorder.us computes it */
static inline long long us_since(double t, double base) { return (long long)((t - base) * 1e6); }

/* getattr(obj, name, None) without making an AttributeError first (plain-function callbacks have
 * no __self__, and they are most callbacks): 1 found, 0 absent, -1 error */
static inline int lookup_attr(PyObject *obj, PyObject *name, PyObject **result) {
#if PY_VERSION_HEX >= 0x030D0000
    return PyObject_GetOptionalAttr(obj, name, result);
#else
    return _PyObject_LookupAttr(obj, name, result);
#endif
}

/* tp_dealloc of a GC type whose tp_clear lets go of everything */
#define GC_DEALLOC(prefix, Type)                                                                   \
    static void prefix##_dealloc(Type *self) {                                                     \
        PyObject_GC_UnTrack(self);                                                                 \
        prefix##_clear(self);                                                                      \
        Py_TYPE(self)->tp_free((PyObject *)self);                                                  \
    }

/* The type of a hook that replaces a method while tracing: called through vectorcall, and bound
 * as a method without a bound-method object made (stephook_get); extra slots after the doc. */
#define HOOK_TYPE(prefix, T, doc, ...)                                                             \
    static PyTypeObject T##Type = {                                                             \
        PyVarObject_HEAD_INIT(NULL, 0).tp_name = "threadline.capture._speedups." #T,               \
        .tp_doc = doc,                                                                             \
        .tp_basicsize = sizeof(T),                                                                 \
        .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL |         \
                    Py_TPFLAGS_METHOD_DESCRIPTOR,                                                  \
        .tp_new = prefix##_new,                                                                    \
        .tp_dealloc = (destructor)prefix##_dealloc,                                                \
        .tp_traverse = (traverseproc)prefix##_traverse,                                            \
        .tp_clear = (inquiry)prefix##_clear,                                                       \
        .tp_vectorcall_offset = offsetof(T, vectorcall),                                           \
        .tp_call = PyVectorcall_Call,                                                              \
        .tp_descr_get = stephook_get,                                                              \
        __VA_ARGS__}

static PyObject *s_callback, *s_self, *s_context, *s_args, *s_run, *s_fut_waiter, *s_get_coro, *s_cr_await,
    *s_cr_code, *s_contended, *s_contended_release, *s_done, *s_get_name, *s_cancelled, *s_cancel_message,
    *s_exception, *s_result, *s_empty, *s_ellipsis, *s_task_prefix, *s_cancelling, *s_children, *s_await;

/* Appends each value to its list; -1 on error. */
static int append_all(PyObject *const *lists, PyObject *const *values, int n) {
    for (int i = 0; i < n; i++)
        if (PyList_Append(lists[i], values[i]) < 0) return -1;
    return 0;
}

/* An attribute that is a data descriptor of the object's type (a slot, a getset), for the last two
 * types seen: what PyObject_GetAttr returns for a type with the generic getattr (a data descriptor
 * comes before the instance's dict), without looking the name up through the type's MRO on every
 * callback. A type changed since (its version tag) is looked up again. */
typedef struct {
    PyTypeObject *type[2]; /* strong references: a type's address is not reused while cached */
    unsigned int version[2];
    PyObject *descr[2];
    int next;
} AttrCache;

/* The descriptor cached for the object's type, or NULL (borrowed). */
static inline PyObject *cached_descr(AttrCache *cache, PyTypeObject *tp) {
    for (int i = 0; i < 2; i++)
        if (cache->type[i] == tp && cache->version[i] == tp->tp_version_tag && tp->tp_version_tag != 0)
            return cache->descr[i];
    return NULL;
}

/* Caches descr for tp (found by _PyType_Lookup, which gave tp its version tag). */
static void remember_descr(AttrCache *cache, PyTypeObject *tp, PyObject *descr) {
    int i = cache->next;
    cache->next = 1 - i;
    Py_XSETREF(cache->type[i], (PyTypeObject *)Py_NewRef(tp));
    Py_XSETREF(cache->descr[i], Py_NewRef(descr));
    cache->version[i] = tp->tp_version_tag;
}

static PyObject *cached_attr(AttrCache *cache, PyObject *obj, PyObject *name) {
    PyTypeObject *tp = Py_TYPE(obj);
    PyObject *descr = cached_descr(cache, tp);
    if (descr == NULL) {
        if (tp->tp_getattro != PyObject_GenericGetAttr) return PyObject_GetAttr(obj, name);
        descr = _PyType_Lookup(tp, name); /* borrowed */
        if (descr == NULL || Py_TYPE(descr)->tp_descr_get == NULL || Py_TYPE(descr)->tp_descr_set == NULL ||
            tp->tp_version_tag == 0)
            return PyObject_GetAttr(obj, name);
        remember_descr(cache, tp, descr);
    }
    return Py_TYPE(descr)->tp_descr_get(descr, obj, (PyObject *)tp);
}

/* obj.name() for a method of the object's type written in C without arguments (a task's done(),
 * cancelled(), get_name()), through the same cache: called without the lookup and the bound method
 * on every task. The type's own method: the probe reads the task's state, which an instance
 * attribute of that name does not change. A method written in Python is called as usual. */
static PyObject *cached_call0(AttrCache *cache, PyObject *obj, PyObject *name) {
    PyTypeObject *tp = Py_TYPE(obj);
    PyObject *descr = cached_descr(cache, tp);
    if (descr == NULL) {
        descr = _PyType_Lookup(tp, name); /* borrowed */
        if (descr == NULL || !Py_IS_TYPE(descr, &PyMethodDescr_Type) || tp->tp_version_tag == 0 ||
            (((PyMethodDescrObject *)descr)->d_method->ml_flags & ~METH_COEXIST) != METH_NOARGS)
            return PyObject_CallMethodNoArgs(obj, name);
        remember_descr(cache, tp, descr);
    }
    return ((PyMethodDescrObject *)descr)->d_method->ml_meth(obj, NULL);
}

static void clear_attr_cache(AttrCache *cache) {
    for (int i = 0; i < 2; i++) {
        Py_CLEAR(cache->type[i]);
        Py_CLEAR(cache->descr[i]);
    }
}

static int traverse_attr_cache(AttrCache *cache, visitproc visit, void *arg) {
    for (int i = 0; i < 2; i++) {
        Py_VISIT(cache->type[i]);
        Py_VISIT(cache->descr[i]);
    }
    return 0;
}

/* What a live task is found by (idents.py ident): its address turned right by 4 bits, so that a dict
 * of thousands of tasks spreads them over its table (an int hashes to itself, addresses are
 * multiples of 16). */
static unsigned long long ident_value(const void *p) {
    unsigned long long a = (unsigned long long)(uintptr_t)p;
    return (a >> 4) | (a << 60);
}

/* schema.py's outcome codes (test_speedups.py checks they agree) */
enum { OUT_OK = 0, OUT_ERROR = 1, OUT_CANCELLED = 2 };
#define DETAIL_LIMIT 120

/* ---------------------------------------------------------------------------------- key table */

/* ident(task) -> key of the traced tasks alive, looked up on every callback: open addressing on the
 * ident (linear probing, deletion by backward shift), the key a C integer, so a lookup makes, reads
 * and compares no int object (a dict keyed by ints made one and compared two on every hit, and
 * reading a key object was a cache miss of its own on every step). Keys are -1, -2, …: 0 is none. */
typedef struct {
    unsigned long long ident; /* 0: empty (no object lives at address 0) */
    long long key;
    PyObject *ref; /* the task's TaskRef, kept alive here so its callback runs when the task dies */
    int ended;     /* its end is recorded: its destruction needs no record */
} KeySlot;

typedef struct {
    PyObject_HEAD
    KeySlot *slots;     /* the table: a power of two of them, at most half used */
    size_t mask, used;
    PyObject *awaiting; /* dict key -> label */
    PyObject *gone;     /* list: key, t (two values a destroyed task) */
    PyObject *callback; /* this object's _gone, bound once */
    long long next;
} TaskKeys;

static PyTypeObject TaskKeysType;

static size_t find_slot(TaskKeys *self, unsigned long long ident) {
    size_t i = (size_t)ident & self->mask;
    while (self->slots[i].ident != 0 && self->slots[i].ident != ident) i = (i + 1) & self->mask;
    return i;
}

/* The key of the task with this ident, or 0. */
static long long key_for(TaskKeys *self, unsigned long long ident) {
    if (self->slots == NULL) return 0;
    return self->slots[find_slot(self, ident)].key;
}

/* The task's end is recorded (asyncio_hooks.py PyTaskKeys.ended). */
static void set_ended(TaskKeys *self, unsigned long long ident) {
    if (self->slots == NULL) return;
    KeySlot *slot = &self->slots[find_slot(self, ident)];
    if (slot->ident == ident) slot->ended = 1;
}

/* A key as records hold it: an int, or None for 0 (no traced task). */
static PyObject *key_object(long long key) { return key ? PyLong_FromLongLong(key) : Py_NewRef(Py_None); }

/* Maps the ident to the key and the weak reference (a new reference is kept). */
static int set_key(TaskKeys *self, unsigned long long ident, long long key, PyObject *ref) {
    if (self->slots == NULL || (self->used + 1) * 2 > self->mask + 1) {
        size_t size = self->slots == NULL ? 1024 : (self->mask + 1) * 2;
        KeySlot *old = self->slots;
        size_t old_size = old == NULL ? 0 : self->mask + 1;
        self->slots = PyMem_Calloc(size, sizeof(KeySlot));
        if (self->slots == NULL) {
            self->slots = old;
            PyErr_NoMemory();
            return -1;
        }
        self->mask = size - 1;
        for (size_t i = 0; i < old_size; i++)
            if (old[i].ident != 0) self->slots[find_slot(self, old[i].ident)] = old[i];
        PyMem_Free(old);
    }
    KeySlot *slot = &self->slots[find_slot(self, ident)];
    if (slot->ident == 0) self->used++;
    slot->ident = ident;
    slot->key = key;
    slot->ended = 0;
    Py_XSETREF(slot->ref, Py_NewRef(ref));
    return 0;
}

/* Drops the ident's entry and its weak reference (last, once the table is whole again: that may
 * free the reference, whose callback may be the one running). */
static void delete_key(TaskKeys *self, unsigned long long ident) {
    if (self->slots == NULL) return;
    size_t i = find_slot(self, ident), mask = self->mask;
    if (self->slots[i].ident == 0) return;
    PyObject *dropped = self->slots[i].ref;
    /* move back each later entry of the run that would no longer be found past the hole */
    for (size_t j = (i + 1) & mask; self->slots[j].ident != 0; j = (j + 1) & mask) {
        size_t home = (size_t)self->slots[j].ident & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            self->slots[i] = self->slots[j];
            i = j;
        }
    }
    self->slots[i].ident = 0;
    self->slots[i].key = 0;
    self->slots[i].ref = NULL;
    self->slots[i].ended = 0;
    self->used--;
    Py_XDECREF(dropped);
}

static void clear_keys(TaskKeys *self) {
    KeySlot *slots = self->slots;
    size_t size = slots == NULL ? 0 : self->mask + 1;
    self->slots = NULL;
    self->mask = self->used = 0;
    for (size_t i = 0; i < size; i++) Py_XDECREF(slots[i].ref);
    PyMem_Free(slots);
}

/* ------------------------------------------------------------------------------- StepBuffer */

/* The raw steps of asyncio tasks (record/step_buffer.py, its twin PyStepBuffer): four int64 a step
 * (task key, start us, end us, aux) in one growing block, so a step makes no int objects and no list
 * slots. A step that awaits something has aux >= 0: its waiter and code are extras[2 aux],
 * extras[2 aux + 1]; else aux is -1. */
typedef struct {
    PyObject_HEAD
    long long *rows;
    Py_ssize_t n, room; /* steps held, steps the block has room for */
    PyObject *extras;   /* list, out of the cyclic GC like the other raw buffers */
} StepBuffer;

static PyObject *new_extras(void) {
    PyObject *extras = PyList_New(0);
    if (extras != NULL) PyObject_GC_UnTrack(extras);
    return extras;
}

static int buffer_add(StepBuffer *self, long long key, long long start, long long end, PyObject *waiter,
                      PyObject *code) {
    if (self->n == self->room) {
        Py_ssize_t room = self->room < 1024 ? 1024 : self->room * 2;
        long long *rows = PyMem_Realloc(self->rows, (size_t)room * 4 * sizeof(long long));
        if (rows == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        self->rows = rows;
        self->room = room;
    }
    long long aux = -1;
    if (waiter != Py_None || code != Py_None) {
        aux = PyList_GET_SIZE(self->extras) / 2;
        if (PyList_Append(self->extras, waiter) < 0 || PyList_Append(self->extras, code) < 0) return -1;
    }
    long long *row = self->rows + self->n * 4;
    row[0] = key;
    row[1] = start;
    row[2] = end;
    row[3] = aux;
    self->n++;
    return 0;
}

/* extend((key, start us, end us, waiter, code)): a step recorded from Python */
static PyObject *stepbuffer_extend(StepBuffer *self, PyObject *values) {
    if (!PyTuple_Check(values) || PyTuple_GET_SIZE(values) != 5) {
        PyErr_SetString(PyExc_TypeError, "StepBuffer.extend takes (key, start us, end us, waiter, code)");
        return NULL;
    }
    long long v[3];
    for (int i = 0; i < 3; i++) {
        v[i] = PyLong_AsLongLong(PyTuple_GET_ITEM(values, i));
        if (v[i] == -1 && PyErr_Occurred()) return NULL;
    }
    if (buffer_add(self, v[0], v[1], v[2], PyTuple_GET_ITEM(values, 3), PyTuple_GET_ITEM(values, 4)) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* take() -> (rows as int64 bytes, extras): the steps so far, the buffer left empty */
static PyObject *stepbuffer_take(StepBuffer *self, PyObject *unused) {
    PyObject *rows = PyBytes_FromStringAndSize((const char *)self->rows, self->n * 4 * (Py_ssize_t)sizeof(long long));
    PyObject *extras = rows ? new_extras() : NULL;
    if (extras == NULL) {
        Py_XDECREF(rows);
        return NULL;
    }
    PyObject *taken = PyTuple_Pack(2, rows, self->extras);
    Py_DECREF(rows);
    if (taken == NULL) {
        Py_DECREF(extras);
        return NULL;
    }
    Py_SETREF(self->extras, extras);
    self->n = 0;
    if (self->room > 65536) { /* a burst is over: give its memory back */
        PyMem_Free(self->rows);
        self->rows = NULL;
        self->room = 0;
    }
    return taken;
}

static Py_ssize_t stepbuffer_len(StepBuffer *self) { return self->n; }

static PyObject *stepbuffer_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    if (PyTuple_GET_SIZE(args) > 0 || (kwds != NULL && PyDict_GET_SIZE(kwds) > 0)) {
        PyErr_SetString(PyExc_TypeError, "StepBuffer() takes no arguments");
        return NULL;
    }
    StepBuffer *self = (StepBuffer *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->extras = new_extras();
    if (self->extras == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static void stepbuffer_dealloc(StepBuffer *self) {
    Py_XDECREF(self->extras);
    PyMem_Free(self->rows);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef stepbuffer_methods[] = {
    {"extend", (PyCFunction)stepbuffer_extend, METH_O, "record a step: (key, start us, end us, waiter, code)"},
    {"take", (PyCFunction)stepbuffer_take, METH_NOARGS, "(rows as int64 bytes, extras): the steps so far"},
    {NULL}};

static PySequenceMethods stepbuffer_as_sequence = {.sq_length = (lenfunc)stepbuffer_len};

/* not in the cyclic GC: it holds labels, classes, codes and ints, never itself */
static PyTypeObject StepBufferType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "threadline.capture._speedups.StepBuffer",
    .tp_doc = "the raw steps of asyncio tasks: four int64 a step, and the extras of steps that await",
    .tp_basicsize = sizeof(StepBuffer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = stepbuffer_new,
    .tp_dealloc = (destructor)stepbuffer_dealloc,
    .tp_methods = stepbuffer_methods,
    .tp_as_sequence = &stepbuffer_as_sequence,
};

/* ---------------------------------------------------------------------------------- StepHook */

/* what the step hook reads through an AttrCache of its own */
enum {
    CALLBACK_ATTR, CONTEXT_ATTR, ARGS_ATTR, SELF_ATTR, WAITER_ATTR, /* a Handle's, and a task's _fut_waiter */
    DONE_CALL, CANCELLED_CALL, NAME_CALL, CANCELLING_CALL,          /* a task's methods */
    MESSAGE_ATTR, EXCEPTION_ATTR, RESULT_ATTR,                      /* a task's outcome */
    N_CACHES
};

typedef struct {
    PyObject_HEAD
    TaskKeys *tracked;    /* the traced tasks alive, found by ident */
    StepBuffer *steps;    /* key, start us, end us, then label or waiter class, code or awaited key */
    PyObject *awaiting;   /* dict key -> label, set by traced primitives */
    PyObject *report;     /* report(handle, exc): asyncio's handling of a failed callback */
    PyObject *on_blocked; /* on_blocked(task, t0): a step longer than the threshold */
    PyObject *ends;       /* list: key, end us, outcome, detail, name (five values a task that ended) */
    PyObject *on_error;   /* on_error(task, exc): a probe bug; stop recording that task */
    PyObject *task_type;  /* asyncio.Task: a waited-on task is recorded by name */
    PyObject *gathering;  /* asyncio.tasks._GatheringFuture: its awaiter awaits its children */
    PyObject *misc;       /* list: the recorder's rare records, a gather's edges among them */
    PyObject *cell_task;  /* the task running the traced cell, or None */
    double threshold;
    double base;          /* the trace's start (perf_counter): step times are microseconds since */
    double cell_t0;       /* start of the cell task's running step, -1 outside it */
    char describe_results; /* a result's repr as its detail (tasks.py DETAILS_LIMIT) */
    AttrCache cache[N_CACHES]; /* Handle's slots, a task's methods and fields */
    vectorcallfunc vectorcall;
} StepHook;

static int append5(StepHook *self, long long key, double t0, double t1, PyObject *waiter, PyObject *code) {
    return buffer_add(self->steps, key, us_since(t0, self->base), us_since(t1, self->base), waiter, code);
}

/* text, or its first DETAIL_LIMIT - 1 characters and an ellipsis (outcomes.py _short) */
static PyObject *shorten(PyObject *text) {
    if (text == NULL || PyUnicode_GET_LENGTH(text) <= DETAIL_LIMIT) return text;
    PyObject *head = PyUnicode_Substring(text, 0, DETAIL_LIMIT - 1);
    Py_DECREF(text);
    if (head == NULL) return NULL;
    PyObject *out = PyUnicode_Concat(head, s_ellipsis);
    Py_DECREF(head);
    return out;
}

/* getattr(obj, name, None), through the cache (a task's private fields are data descriptors) */
static PyObject *attr_or_none(AttrCache *cache, PyObject *obj, PyObject *name) {
    PyObject *value = cached_attr(cache, obj, name);
    if (value != NULL || !PyErr_ExceptionMatches(PyExc_AttributeError)) return value;
    PyErr_Clear();
    return Py_NewRef(Py_None);
}

/* f"{prefix}{value}" (format(value, ""), as an f-string does) */
static PyObject *prefixed(const char *prefix, PyObject *value) {
    PyObject *text = PyObject_Format(value, s_empty);
    if (text == NULL) return NULL;
    PyObject *out = PyUnicode_FromFormat("%s%U", prefix, text);
    Py_DECREF(text);
    return out;
}

/* outcomes.py _plain: whether repr(value) runs no code of the learner's (builtin values, and small
 * builtin containers of them). */
static int is_plain(PyObject *value, int depth) {
    PyTypeObject *type = Py_TYPE(value);
    if (value == Py_None || type == &PyLong_Type || type == &PyFloat_Type || type == &PyComplex_Type ||
        type == &PyBool_Type || type == &PyUnicode_Type || type == &PyBytes_Type)
        return 1;
    if (depth >= 3) return 0;
    if (type == &PyList_Type || type == &PyTuple_Type) {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(value);
        if (n > 32) return 0;
        for (Py_ssize_t i = 0; i < n; i++)
            if (!is_plain(PySequence_Fast_GET_ITEM(value, i), depth + 1)) return 0;
        return 1;
    }
    if (type == &PyDict_Type) {
        if (PyDict_GET_SIZE(value) > 32) return 0;
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (PyDict_Next(value, &pos, &k, &v))
            if (!is_plain(k, depth + 1) || !is_plain(v, depth + 1)) return 0;
        return 1;
    }
    if (type == &PySet_Type || type == &PyFrozenSet_Type) {
        if (PySet_GET_SIZE(value) > 32) return 0;
        PyObject *items = PySequence_List(value); /* a builtin set's iteration runs no learner code */
        if (items == NULL) {
            PyErr_Clear();
            return 0;
        }
        int plain = is_plain(items, depth);
        Py_DECREF(items);
        return plain;
    }
    return 0;
}

/* outcomes.py result_text: a task's result for people, without calling a __repr__ of the learner's. */
static PyObject *result_text(PyObject *value) {
    if (is_plain(value, 0)) return PyObject_Repr(value);
    PyObject *qualname = PyType_GetQualName(Py_TYPE(value));
    if (qualname == NULL) return NULL;
    PyObject *text = PyUnicode_FromFormat("<%U object>", qualname);
    Py_DECREF(qualname);
    return text;
}

/* outcomes.py task_outcome: the outcome code, and the detail (new reference, or NULL for None when
 * reading it failed); -1 on an error that is no Exception. Reads the private fields: exception()
 * would mark the error as retrieved and silence asyncio's "exception was never retrieved". */
static int task_outcome(StepHook *self, PyObject *task, PyObject **detail) {
    *detail = NULL;
    PyObject *text = NULL;
    int outcome = OUT_OK;
    PyObject *flag = cached_call0(&self->cache[CANCELLED_CALL], task, s_cancelled);
    int cancelled = flag ? PyObject_IsTrue(flag) : -1;
    Py_XDECREF(flag);
    if (cancelled > 0) {
        outcome = OUT_CANCELLED;
        PyObject *message = attr_or_none(&self->cache[MESSAGE_ATTR], task, s_cancel_message);
        int has = message ? PyObject_IsTrue(message) : -1;
        if (has > 0) text = prefixed("cancelled: ", message);
        else if (has == 0) text = PyUnicode_FromString("cancelled");
        Py_XDECREF(message);
    } else if (cancelled == 0) {
        PyObject *exc = attr_or_none(&self->cache[EXCEPTION_ATTR], task, s_exception);
        if (exc != NULL && exc != Py_None) {
            outcome = OUT_ERROR;
            PyObject *type_name = PyType_GetName(Py_TYPE(exc));
            PyObject *rest = type_name ? prefixed(": ", exc) : NULL;
            if (rest != NULL) text = PyUnicode_Concat(type_name, rest);
            Py_XDECREF(type_name);
            Py_XDECREF(rest);
        } else if (exc != NULL && self->describe_results) {
            PyObject *result = attr_or_none(&self->cache[RESULT_ATTR], task, s_result);
            if (result != NULL) text = result_text(result);
            Py_XDECREF(result);
        }
        Py_XDECREF(exc);
    }
    text = shorten(text);
    if (text == NULL && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_Exception)) return -1;
        PyErr_Clear();
        return OUT_OK;
    }
    *detail = text; /* NULL: a result no longer described */
    return outcome;
}

/* A default task name ("Task-12") is recorded as "": it says nothing (tasks.py is_default_name). */
static int is_default_name(PyObject *name) {
    if (!PyUnicode_Check(name) || PyUnicode_GET_LENGTH(name) < 6) return 0;
    if (PyUnicode_IS_ASCII(name)) { /* the usual case, read as bytes: asyncio names tasks "Task-<n>" */
        const char *text = (const char *)PyUnicode_DATA(name);
        if (memcmp(text, "Task-", 5) != 0) return 0;
        for (Py_ssize_t i = 5, n = PyUnicode_GET_LENGTH(name); i < n; i++)
            if (text[i] < '0' || text[i] > '9') return 0;
        return 1;
    }
    if (PyUnicode_Tailmatch(name, s_task_prefix, 0, 5, -1) != 1) return 0;
    for (Py_ssize_t i = 5, n = PyUnicode_GET_LENGTH(name); i < n; i++) {
        Py_UCS4 c = PyUnicode_READ_CHAR(name, i);
        if (!Py_UNICODE_ISDIGIT(c)) return 0;
    }
    return 1;
}

/* After a step that left no waiter: the task's outcome and name if that was its last step
 * (step_hook.py record_end). 1 when recorded, 0 when the task is not done, -1 on an error. */
static int check_done(StepHook *self, PyObject *task, long long task_key, double t1) {
    PyObject *done = cached_call0(&self->cache[DONE_CALL], task, s_done);
    if (done == NULL) return -1;
    int is_done = PyObject_IsTrue(done);
    Py_DECREF(done);
    if (is_done <= 0) return is_done;
    PyObject *detail;
    int outcome = task_outcome(self, task, &detail);
    if (outcome < 0) return -1;
    PyObject *name = cached_call0(&self->cache[NAME_CALL], task, s_get_name);
    if (name == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_Exception)) {
            Py_XDECREF(detail);
            return -1;
        }
        PyErr_Clear(); /* a task factory's own future type */
        name = Py_NewRef(s_empty);
    } else if (is_default_name(name)) {
        Py_SETREF(name, Py_NewRef(s_empty));
    }
    /* outcomes.py cancel_requested: a cancelled task that was asked to cancel (Task.cancel) */
    int requested = 0;
    if (outcome == OUT_CANCELLED) {
        PyObject *count = cached_call0(&self->cache[CANCELLING_CALL], task, s_cancelling);
        requested = count ? PyObject_IsTrue(count) : 0;
        Py_XDECREF(count);
        if (requested < 0 || count == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_Exception)) {
                Py_XDECREF(detail);
                Py_DECREF(name);
                return -1;
            }
            PyErr_Clear(); /* a foreign task type */
            requested = 0;
        }
    }
    PyObject *key = PyLong_FromLongLong(task_key), *t = PyLong_FromLongLong(us_since(t1, self->base)),
             *code = PyLong_FromLong(outcome);
    int rc = -1;
    if (key && t && code && PyList_Append(self->ends, key) == 0 && PyList_Append(self->ends, t) == 0 &&
        PyList_Append(self->ends, code) == 0 && PyList_Append(self->ends, detail ? detail : Py_None) == 0 &&
        PyList_Append(self->ends, name) == 0 && PyList_Append(self->ends, requested ? Py_True : Py_False) == 0)
        rc = 1;
    Py_XDECREF(key);
    Py_XDECREF(t);
    Py_XDECREF(code);
    Py_XDECREF(detail);
    Py_DECREF(name);
    return rc;
}

/* The task is suspended on a gather: ("await", key, (keys of its traced children still pending, once
 * each), t, False) to misc, when there are any (step_hook.py record_gather). -1 on an error. */
static int record_gather(StepHook *self, PyObject *gathering, long long key, double t) {
    PyObject *children = PyObject_GetAttr(gathering, s_children);
    PyObject *seq = children ? PySequence_Fast(children, "a gather's _children") : NULL;
    Py_XDECREF(children);
    if (seq == NULL) return -1;
    PyObject *targets = PyDict_New(); /* key -> None: in order, once each */
    int rc = targets ? 0 : -1;
    for (Py_ssize_t i = 0; rc == 0 && i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *child = PySequence_Fast_GET_ITEM(seq, i);
        long long child_key = key_for(self->tracked, ident_value(child));
        if (child_key == 0) continue; /* not traced */
        PyObject *done = cached_call0(&self->cache[DONE_CALL], child, s_done);
        int is_done = done ? PyObject_IsTrue(done) : -1;
        Py_XDECREF(done);
        PyObject *k = is_done == 0 ? PyLong_FromLongLong(child_key) : NULL;
        rc = is_done > 0 ? 0 : k != NULL ? PyDict_SetItem(targets, k, Py_None) : -1;
        Py_XDECREF(k);
    }
    Py_DECREF(seq);
    if (rc == 0 && PyDict_GET_SIZE(targets) > 0) {
        PyObject *record = Py_BuildValue("(OLNdO)", s_await, key, PySequence_Tuple(targets), t, Py_False);
        rc = record ? PyList_Append(self->misc, record) : -1;
        Py_XDECREF(record);
    }
    Py_XDECREF(targets);
    return rc;
}

/* What the task waits on after its step; -1 with an exception set on a probe bug. */
static int record_step(StepHook *self, PyObject *task, long long key, double t0, double t1) {
    PyObject *waiter = cached_attr(&self->cache[WAITER_ATTR], task, s_fut_waiter);
    if (waiter == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError)) return -1;
        PyErr_Clear();
        return append5(self, key, t0, t1, Py_None, Py_None);
    }
    int rc = -1;
    if (t1 - t0 >= self->threshold) {
        PyObject *r = PyObject_CallFunction(self->on_blocked, "Od", task, t0);
        if (r == NULL) goto done;
        Py_DECREF(r);
    }
    if (waiter == Py_None) {
        rc = append5(self, key, t0, t1, Py_None, Py_None);
        if (rc == 0) rc = check_done(self, task, key, t1);
        if (rc > 0) { /* its end is recorded */
            set_ended(self->tracked, ident_value(task));
            rc = 0;
        }
        goto done;
    }
    if (PyDict_GET_SIZE(self->awaiting) > 0) { /* a traced asyncio primitive's label */
        PyObject *key_obj = PyLong_FromLongLong(key);
        PyObject *label = key_obj ? Py_XNewRef(PyDict_GetItemWithError(self->awaiting, key_obj)) : NULL;
        Py_XDECREF(key_obj);
        if (label != NULL) {
            rc = append5(self, key, t0, t1, label, Py_None);
            Py_DECREF(label);
            goto done;
        }
        if (PyErr_Occurred()) goto done;
    }
    if (PyObject_TypeCheck(waiter, (PyTypeObject *)self->task_type)) {
        PyObject *name = cached_call0(&self->cache[NAME_CALL], waiter, s_get_name);
        PyObject *text = name ? PyUnicode_FromFormat("task %S", name) : NULL;
        Py_XDECREF(name);
        /* the awaited task's key (an await-graph edge), None when it is not traced */
        PyObject *target = text ? key_object(key_for(self->tracked, ident_value(waiter))) : NULL;
        if (target != NULL) rc = append5(self, key, t0, t1, text, target);
        Py_XDECREF(target);
        Py_XDECREF(text);
        goto done;
    }
    if (PyObject_TypeCheck(waiter, (PyTypeObject *)self->gathering) && record_gather(self, waiter, key, t1) < 0)
        goto done;
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
    rc = append5(self, key, t0, t1, (PyObject *)Py_TYPE(waiter), code ? code : Py_None);
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
    PyObject *cb = cached_attr(&self->cache[CALLBACK_ATTR], handle, s_callback);
    if (cb == NULL) return NULL;
    PyObject *task = NULL;
    long long key = 0;
    int traced = 0;
    /* the object the callback is bound to: a task's wakeup is a builtin method, its step a wrapper */
    if (PyCFunction_Check(cb)) {
        task = Py_XNewRef(PyCFunction_GET_SELF(cb));
    } else if (PyMethod_Check(cb)) {
        task = Py_NewRef(PyMethod_GET_SELF(cb));
    } else if (!PyFunction_Check(cb)) {
        task = cached_attr(&self->cache[SELF_ATTR], cb, s_self);
        if (task == NULL) PyErr_Clear();
    }
    if (task != NULL) {
        key = key_for(self->tracked, ident_value(task));
        traced = key != 0;
    }
    int is_cell = traced && task == self->cell_task;
    double t0 = traced ? now_s() : 0.0;
    if (is_cell) self->cell_t0 = t0;

    /* self._context.run(self._callback, *self._args) */
    PyObject *result = NULL;
    PyObject *context = cached_attr(&self->cache[CONTEXT_ATTR], handle, s_context);
    PyObject *cb_args = context ? cached_attr(&self->cache[ARGS_ATTR], handle, s_args) : NULL;
    PyObject *seq = cb_args == NULL || cb_args == Py_None ? NULL : PySequence_Fast(cb_args, "Handle._args must be a sequence");
    if (cb_args != NULL && (cb_args == Py_None || seq != NULL)) {
        Py_ssize_t n = seq ? PySequence_Fast_GET_SIZE(seq) : 0;
        PyObject **items = seq ? PySequence_Fast_ITEMS(seq) : NULL;
        if (PyContext_CheckExact(context)) { /* what Context.run does, without looking up its method */
            if (PyContext_Enter(context) == 0) {
                result = PyObject_Vectorcall(cb, items, (size_t)n, NULL);
                if (PyContext_Exit(context) < 0) Py_CLEAR(result);
            }
        } else {
            PyObject *small[8];
            PyObject **stack = n + 2 <= 8 ? small : PyMem_Malloc((n + 2) * sizeof(PyObject *));
            if (stack == NULL) {
                PyErr_NoMemory();
            } else {
                stack[0] = context;
                stack[1] = cb;
                for (Py_ssize_t i = 0; i < n; i++) stack[i + 2] = items[i];
                result = PyObject_VectorcallMethod(s_run, stack, (size_t)(n + 2), NULL);
                if (stack != small) PyMem_Free(stack);
            }
        }
    }
    Py_XDECREF(seq);
    Py_XDECREF(context);
    Py_XDECREF(cb_args);
    Py_DECREF(cb);
    if (result != NULL) {
        Py_DECREF(result);
    } else if (PyErr_ExceptionMatches(PyExc_SystemExit) || PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) {
        if (is_cell) self->cell_t0 = -1.0;
        Py_XDECREF(task);
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
    Py_RETURN_NONE;
}

static PyObject *stephook_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"keys",     "steps",     "awaiting",  "threshold", "report", "on_blocked", "ends",
                             "on_error", "task_type", "gathering", "base",      "misc",   NULL};
    PyObject *tracked, *steps, *awaiting, *report, *on_blocked, *ends, *on_error, *task_type, *gathering, *misc;
    double threshold, base;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!O!dOOO!OO!O!dO!", kwlist, &TaskKeysType, &tracked,
                                     &StepBufferType, &steps, &PyDict_Type, &awaiting, &threshold, &report, &on_blocked,
                                     &PyList_Type, &ends, &on_error, &PyType_Type, &task_type, &PyType_Type,
                                     &gathering, &base, &PyList_Type, &misc))
        return NULL;
    StepHook *self = (StepHook *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->tracked = (TaskKeys *)Py_NewRef(tracked);
    self->steps = (StepBuffer *)Py_NewRef(steps);
    self->awaiting = Py_NewRef(awaiting);
    self->report = Py_NewRef(report);
    self->on_blocked = Py_NewRef(on_blocked);
    self->ends = Py_NewRef(ends);
    self->on_error = Py_NewRef(on_error);
    self->task_type = Py_NewRef(task_type);
    self->gathering = Py_NewRef(gathering);
    self->misc = Py_NewRef(misc);
    self->cell_task = Py_NewRef(Py_None);
    self->threshold = threshold;
    self->base = base;
    self->cell_t0 = -1.0;
    self->describe_results = 1;
    self->vectorcall = (vectorcallfunc)stephook_vectorcall;
    return (PyObject *)self;
}

static int stephook_traverse(StepHook *self, visitproc visit, void *arg) {
    Py_VISIT(self->tracked);
    Py_VISIT(self->steps);
    Py_VISIT(self->awaiting);
    Py_VISIT(self->report);
    Py_VISIT(self->on_blocked);
    Py_VISIT(self->ends);
    Py_VISIT(self->on_error);
    Py_VISIT(self->task_type);
    Py_VISIT(self->gathering);
    Py_VISIT(self->misc);
    Py_VISIT(self->cell_task);
    for (int i = 0; i < N_CACHES; i++) {
        int rc = traverse_attr_cache(&self->cache[i], visit, arg);
        if (rc) return rc;
    }
    return 0;
}

static int stephook_clear(StepHook *self) {
    Py_CLEAR(self->tracked);
    Py_CLEAR(self->steps);
    Py_CLEAR(self->awaiting);
    Py_CLEAR(self->report);
    Py_CLEAR(self->on_blocked);
    Py_CLEAR(self->ends);
    Py_CLEAR(self->on_error);
    Py_CLEAR(self->task_type);
    Py_CLEAR(self->gathering);
    Py_CLEAR(self->misc);
    Py_CLEAR(self->cell_task);
    for (int i = 0; i < N_CACHES; i++) clear_attr_cache(&self->cache[i]);
    return 0;
}

GC_DEALLOC(stephook, StepHook)

/* A method descriptor: `handle._run()` calls the hook with the handle, with no bound method made. */
static PyObject *stephook_get(PyObject *self, PyObject *obj, PyObject *type) {
    if (obj == NULL || obj == Py_None) return Py_NewRef(self);
    return PyMethod_New(self, obj);
}

static PyMemberDef stephook_members[] = {
    {"keys", T_OBJECT, offsetof(StepHook, tracked), READONLY, "the traced tasks' keys and weak references"},
    {"cell_task", T_OBJECT, offsetof(StepHook, cell_task), 0, "the task running the traced cell"},
    {"cell_t0", T_DOUBLE, offsetof(StepHook, cell_t0), 0, "start of the cell task's running step, -1 outside it"},
    {"describe_results", T_BOOL, offsetof(StepHook, describe_results), 0, "a result's repr as its detail"},
    {NULL}};

HOOK_TYPE(stephook, StepHook, "asyncio's Handle._run, recording the steps of traced tasks", .tp_members = stephook_members);

/* ---------------------------------------------------------------------------------- TaskKeys */

/* A traced task's weak reference (asyncio_hooks.py TaskRef): its key, and the id it is found by. */
typedef struct {
    PyWeakReference ref;
    long long key;
    unsigned long long ident;
} TaskRef;

static PyMemberDef taskref_members[] = {{"key", T_LONGLONG, offsetof(TaskRef, key), READONLY, "the task's key"},
                                        {"ident", T_ULONGLONG, offsetof(TaskRef, ident), READONLY, "ident(task)"},
                                        {NULL}};

static PyTypeObject TaskRefType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "threadline.capture._speedups.TaskRef",
    .tp_doc = "a traced task's weak reference: its key, and the id it is found by while it lives",
    .tp_basicsize = sizeof(TaskRef),
    .tp_flags = Py_TPFLAGS_DEFAULT, /* the GC support of weakref.ref, inherited */
    .tp_members = taskref_members,
};


/* A new key for the task, found from its id from now on: its weak reference, and in *key_out (when
 * not NULL) a new reference to the key object the id maps to, so records can share it (a dict
 * finds an identical key without comparing). */
static PyObject *track_task(TaskKeys *self, PyObject *task, PyObject **key_out) {
    PyObject *args = PyTuple_Pack(2, task, self->callback);
    if (args == NULL) return NULL;
    /* weakref.ref.__new__ for our subtype (its __init__ only checks the arguments again) */
    TaskRef *ref = (TaskRef *)TaskRefType.tp_new(&TaskRefType, args, NULL);
    Py_DECREF(args);
    if (ref == NULL) return NULL;
    ref->key = self->next--;
    ref->ident = ident_value(task);
    PyObject *key = key_out != NULL ? PyLong_FromLongLong(ref->key) : NULL;
    if ((key_out != NULL && key == NULL) || set_key(self, ref->ident, ref->key, (PyObject *)ref) < 0) {
        Py_XDECREF(key);
        Py_DECREF(ref);
        return NULL;
    }
    if (key_out != NULL) *key_out = key;
    return (PyObject *)ref;
}

/* asyncio_hooks.py PyTaskKeys.track */
static PyObject *taskkeys_track(TaskKeys *self, PyObject *task) { return track_task(self, task, NULL); }

/* Runs while the task is being destroyed, before its memory (and id) can be reused. */
static PyObject *taskkeys_gone(TaskKeys *self, PyObject *arg) {
    if (!PyObject_TypeCheck(arg, &TaskRefType)) {
        PyErr_SetString(PyExc_TypeError, "threadline: _gone takes a TaskRef");
        return NULL;
    }
    TaskRef *ref = (TaskRef *)arg;
    KeySlot *slot = self->slots == NULL ? NULL : &self->slots[find_slot(self, ref->ident)];
    int ours = slot != NULL && slot->key == ref->key, rc = 1;
    if (!ours || !slot->ended) { /* a task destroyed before its end was seen (pending, or unseen) */
        PyObject *key = PyLong_FromLongLong(ref->key), *t = PyFloat_FromDouble(now_s());
        rc = key && t && PyList_Append(self->gone, key) == 0 && PyList_Append(self->gone, t) == 0;
        Py_XDECREF(key);
        Py_XDECREF(t);
    }
    /* last: the table's reference may be the last one to this weak reference */
    if (ours) delete_key(self, ref->ident);
    if (!rc) return NULL;
    Py_RETURN_NONE;
}

/* Stop following a task (a probe error, or the cell's task at the end). */
static PyObject *taskkeys_ended(TaskKeys *self, PyObject *task) {
    set_ended(self, ident_value(task));
    Py_RETURN_NONE;
}

static PyObject *taskkeys_forget(TaskKeys *self, PyObject *task) {
    delete_key(self, ident_value(task)); /* and its weak reference: no callback then */
    Py_RETURN_NONE;
}

/* asyncio_hooks.py PyTaskKeys.refs: the weak references of the traced tasks alive */
static PyObject *taskkeys_refs(TaskKeys *self, PyObject *unused) {
    PyObject *refs = PyList_New(0);
    size_t size = self->slots == NULL ? 0 : self->mask + 1;
    for (size_t i = 0; i < size && refs != NULL; i++)
        if (self->slots[i].ref != NULL && PyList_Append(refs, self->slots[i].ref) < 0) Py_CLEAR(refs);
    return refs;
}

/* asyncio_hooks.py PyTaskKeys.refs_of: the weak reference of each (key, ident) whose task still
 * lives, else None (raw task records name a task by its ident: holding its weak reference until a
 * conversion kept one more GC-tracked object alive per task, and brought GC passes nearer) */
static PyObject *taskkeys_refs_of(TaskKeys *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyList_Check(args[0]) || !PyList_Check(args[1]) ||
        PyList_GET_SIZE(args[0]) != PyList_GET_SIZE(args[1])) {
        PyErr_SetString(PyExc_TypeError, "refs_of(keys: list, idents: list) of one length");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(args[0]);
    PyObject *refs = PyList_New(n);
    for (Py_ssize_t i = 0; i < n && refs != NULL; i++) {
        long long key = PyLong_AsLongLong(PyList_GET_ITEM(args[0], i));
        unsigned long long ident = PyLong_AsUnsignedLongLong(PyList_GET_ITEM(args[1], i));
        if (PyErr_Occurred()) {
            Py_CLEAR(refs);
            break;
        }
        KeySlot *slot = self->slots == NULL || ident == 0 ? NULL : &self->slots[find_slot(self, ident)];
        PyObject *ref = slot != NULL && slot->key == key && slot->ref != NULL ? slot->ref : Py_None;
        PyList_SET_ITEM(refs, i, Py_NewRef(ref));
    }
    return refs;
}

static PyObject *taskkeys_clear_all(TaskKeys *self, PyObject *unused) {
    clear_keys(self);
    PyDict_Clear(self->awaiting);
    Py_RETURN_NONE;
}

/* asyncio_hooks.py key_of: the key of a traced task alive, else None */
static PyObject *taskkeys_key_of(TaskKeys *self, PyObject *obj) {
    return key_object(key_for(self, ident_value(obj)));
}

static Py_ssize_t taskkeys_len(TaskKeys *self) { return (Py_ssize_t)self->used; }

static PySequenceMethods taskkeys_as_sequence = {.sq_length = (lenfunc)taskkeys_len};

static PyMethodDef taskkeys_gone_def = {"_gone", (PyCFunction)taskkeys_gone, METH_O, "the task was destroyed"};

static PyObject *taskkeys_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"gone", "awaiting", NULL};
    PyObject *gone, *awaiting;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!", kwlist, &PyList_Type, &gone, &PyDict_Type, &awaiting))
        return NULL;
    TaskKeys *self = (TaskKeys *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->gone = Py_NewRef(gone);
    self->awaiting = Py_NewRef(awaiting);
    self->next = -1;
    self->callback = PyCFunction_New(&taskkeys_gone_def, (PyObject *)self);
    if (self->callback == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    PyDict_Clear(awaiting);
    return (PyObject *)self;
}

static int taskkeys_traverse(TaskKeys *self, visitproc visit, void *arg) {
    size_t size = self->slots == NULL ? 0 : self->mask + 1;
    for (size_t i = 0; i < size; i++) Py_VISIT(self->slots[i].ref);
    Py_VISIT(self->awaiting);
    Py_VISIT(self->gone);
    Py_VISIT(self->callback);
    return 0;
}

static int taskkeys_clear(TaskKeys *self) {
    clear_keys(self);
    Py_CLEAR(self->awaiting);
    Py_CLEAR(self->gone);
    Py_CLEAR(self->callback);
    return 0;
}

GC_DEALLOC(taskkeys, TaskKeys)

static PyMethodDef taskkeys_methods[] = {
    {"track", (PyCFunction)taskkeys_track, METH_O, "a new key for the task; its weak reference"},
    {"forget", (PyCFunction)taskkeys_forget, METH_O, "stop following the task"},
    {"key_of", (PyCFunction)taskkeys_key_of, METH_O, "the key of a traced task alive, else None"},
    {"clear", (PyCFunction)taskkeys_clear_all, METH_NOARGS, "at the end of the trace: nothing kept"},
    {"refs", (PyCFunction)taskkeys_refs, METH_NOARGS, "the weak references of the traced tasks alive"},
    {"refs_of", (PyCFunction)(void (*)(void))taskkeys_refs_of, METH_FASTCALL,
     "the weak reference of each (key, ident) whose task lives, else None"},
    {"ended", (PyCFunction)taskkeys_ended, METH_O, "the task's end is recorded: no record of its destruction"},
    {NULL}};

static PyTypeObject TaskKeysType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "threadline.capture._speedups.TaskKeys",
    .tp_doc = "keys for traced tasks, and the weak references that notice when each is destroyed",
    .tp_basicsize = sizeof(TaskKeys),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = taskkeys_new,
    .tp_dealloc = (destructor)taskkeys_dealloc,
    .tp_traverse = (traverseproc)taskkeys_traverse,
    .tp_clear = (inquiry)taskkeys_clear,
    .tp_methods = taskkeys_methods,
    .tp_as_sequence = &taskkeys_as_sequence,
};

/* ------------------------------------------------------------------------------- TaskCreator */

/* BaseEventLoop.create_task while tracing (asyncio_hooks.py create_task, its Python twin, which
 * this calls for what it does not do itself: a task factory, keywords of a newer Python, an eager
 * start). Makes the task as asyncio does, then records who created it and where, unless the code
 * creating it is the kernel's machinery or the loop's own housekeeping. */
#define KIND_CACHE 64
#define LINE_CACHE 256
static inline size_t code_slot(const void *code, int lasti, size_t size) {
    return (size_t)((((uintptr_t)code >> 4) ^ (uintptr_t)lasti * 0x9E3779B1u) & (size - 1));
}

/* What a hook needs to know of the code it is called from, once per code: a kind from a Python
 * classify(code), and the line of each instruction. Direct-mapped by address in front of the
 * dicts: a hit makes and hashes no key (the codes are kept alive by ``codes``, so an address stays
 * their own). */
typedef struct {
    PyObject *classify;  /* classify(code) -> kind, for a code seen the first time */
    PyObject *code_kind; /* dict id(code) -> kind */
    PyObject *codes;     /* list: keeps the codes in code_kind alive, so an id stays their own */
    PyObject *lines;     /* dict (id(code), instruction) -> line, of codes in codes */
    struct { PyCodeObject *code; int kind; } kind_cache[KIND_CACHE];
    struct { PyCodeObject *code; int lasti; PyObject *line; } line_cache[LINE_CACHE];
} CodeCache;

static int codecache_init(CodeCache *cache, PyObject *classify) {
    cache->classify = Py_NewRef(classify);
    cache->code_kind = PyDict_New();
    cache->codes = PyList_New(0);
    cache->lines = PyDict_New();
    return cache->code_kind && cache->codes && cache->lines ? 0 : -1;
}

static int codecache_traverse(CodeCache *cache, visitproc visit, void *arg) {
    Py_VISIT(cache->classify);
    Py_VISIT(cache->code_kind);
    Py_VISIT(cache->codes);
    Py_VISIT(cache->lines);
    return 0;
}

static void codecache_clear(CodeCache *cache) {
    Py_CLEAR(cache->classify);
    Py_CLEAR(cache->code_kind);
    Py_CLEAR(cache->codes);
    Py_CLEAR(cache->lines);
    for (int i = 0; i < KIND_CACHE; i++) cache->kind_cache[i].code = NULL;
    for (int i = 0; i < LINE_CACHE; i++) {
        cache->line_cache[i].code = NULL;
        Py_CLEAR(cache->line_cache[i].line);
    }
}

/* The code's kind (classify's answer, asked once per code); -1 on error. */
static int code_kind(CodeCache *cache, PyCodeObject *code) {
    size_t slot = code_slot(code, 0, KIND_CACHE);
    if (cache->kind_cache[slot].code == code) return cache->kind_cache[slot].kind;
    PyObject *ident = PyLong_FromVoidPtr(code);
    if (ident == NULL) return -1;
    int kind = -1;
    PyObject *known = PyDict_GetItemWithError(cache->code_kind, ident); /* borrowed */
    if (known != NULL) {
        kind = (int)PyLong_AsLong(known);
    } else if (!PyErr_Occurred()) {
        PyObject *k = PyObject_CallOneArg(cache->classify, (PyObject *)code);
        kind = k ? (int)PyLong_AsLong(k) : -1;
        if (k == NULL || PyDict_SetItem(cache->code_kind, ident, k) < 0 ||
            PyList_Append(cache->codes, (PyObject *)code) < 0)
            kind = -1;
        Py_XDECREF(k);
    }
    Py_DECREF(ident);
    if (kind < 0 || PyErr_Occurred()) return -1;
    cache->kind_cache[slot].code = code; /* in codes now */
    cache->kind_cache[slot].kind = kind;
    return kind;
}

/* The frame's line (a new reference), by (code, instruction): working it out walks the code's line
 * table, which cost more than all the rest of recording a task. The code must be in the cache's
 * codes (code_kind classified it). */
static PyObject *line_of(CodeCache *cache, PyFrameObject *frame, PyObject *code) {
    int lasti = PyFrame_GetLasti(frame);
    size_t slot = code_slot(code, lasti, LINE_CACHE);
    if (cache->line_cache[slot].code == (PyCodeObject *)code && cache->line_cache[slot].lasti == lasti)
        return Py_NewRef(cache->line_cache[slot].line);
    PyObject *at = Py_BuildValue("(ni)", (Py_ssize_t)code, lasti);
    if (at == NULL) return NULL;
    PyObject *line = Py_XNewRef(PyDict_GetItemWithError(cache->lines, at));
    if (line == NULL && !PyErr_Occurred()) {
        line = PyLong_FromLong(PyFrame_GetLineNumber(frame));
        if (line != NULL && PyDict_SetItem(cache->lines, at, line) < 0) Py_CLEAR(line);
    }
    Py_DECREF(at);
    if (line != NULL) {
        cache->line_cache[slot].code = (PyCodeObject *)code;
        cache->line_cache[slot].lasti = lasti;
        Py_XSETREF(cache->line_cache[slot].line, Py_NewRef(line));
    }
    return line;
}

/* The running task's key, else (an untraced task) who_of(task), else the thread's ident: who a
 * record names as its maker (asyncio_hooks.current_who). */
static PyObject *current_who(TaskKeys *keys, PyObject *current_tasks, PyObject *loop, PyObject *who_of) {
    PyObject *current = loop != Py_None ? PyDict_GetItemWithError(current_tasks, loop) : NULL; /* borrowed */
    if (current != NULL) {
        long long key = key_for(keys, ident_value(current));
        return key ? PyLong_FromLongLong(key) : PyObject_CallOneArg(who_of, current);
    }
    return PyErr_Occurred() ? NULL : PyLong_FromUnsignedLong(PyThread_get_thread_ident());
}

typedef struct {
    PyObject_HEAD
    PyObject *slow;          /* the Python create_task */
    PyObject *task_type;     /* asyncio.Task */
    TaskKeys *keys;          /* keys and weak references of the traced tasks */
    PyObject *raw_tasks;     /* list: TASK_FIELDS values a task (record/tasks.py) */
    CodeCache codes;         /* classify: 0 asyncio or the probe, 1 kernel machinery, 2 other */
    PyObject *housekeeping;  /* set of id(code) of the loop's own coroutines (shutdown_asyncgens …) */
    PyObject *current_tasks; /* asyncio.tasks._current_tasks: loop -> its running task */
    PyObject *convert;       /* Recorder.convert, once limit values wait */
    Py_ssize_t limit;
    double base;
    vectorcallfunc vectorcall;
} TaskCreator;

static PyObject *s_task, *s_task_factory, *s_closed, *s_source_traceback, *s_name, *s_qualname, *s_loop, *s_kw_name,
    *s_kw_context;

/* The kind of the first frame up from the caller that is not asyncio's or the probe's, and that
 * frame (a new reference, or NULL at the top); -1 on error. */
static int creating_frame(TaskCreator *self, PyFrameObject **found) {
    PyFrameObject *frame = PyEval_GetFrame(); /* borrowed: the caller of create_task */
    Py_XINCREF(frame);
    int kind = 0;
    while (frame != NULL) {
        PyCodeObject *code = PyFrame_GetCode(frame);
        kind = code_kind(&self->codes, code);
        Py_DECREF(code);
        if (kind < 0) {
            Py_DECREF(frame);
            return -1;
        }
        if (kind) break;
        Py_SETREF(frame, PyFrame_GetBack(frame));
    }
    *found = frame;
    return kind;
}

/* Records a task made here: the raw task record, as the Python twin appends it. */
static int record_creation(TaskCreator *self, PyObject *loop, PyObject *coro, PyObject *task) {
    PyObject *code = NULL;
    if (lookup_attr(coro, s_cr_code, &code) < 0) return -1;
    if (code != NULL) {
        PyObject *ident = PyLong_FromVoidPtr(code);
        Py_DECREF(code);
        int own = ident ? PySet_Contains(self->housekeeping, ident) : -1;
        Py_XDECREF(ident);
        if (own != 0) return own < 0 ? -1 : 0;
    }
    PyFrameObject *frame = NULL;
    int kind = creating_frame(self, &frame);
    if (kind < 0) return -1;
    if (kind == 1) {
        Py_XDECREF(frame);
        return 0;
    }
    PyObject *frame_code = frame ? (PyObject *)PyFrame_GetCode(frame) : Py_NewRef(Py_None);
    PyObject *line = frame ? line_of(&self->codes, frame, frame_code) : PyLong_FromLong(0);
    Py_XDECREF(frame);
    if (line == NULL) {
        Py_DECREF(frame_code);
        return -1;
    }
    /* the creator: the running task's key, else the thread */
    PyObject *creator = NULL;
    PyObject *current = PyDict_GetItemWithError(self->current_tasks, loop); /* borrowed */
    if (current != NULL) {
        long long key = key_for(self->keys, ident_value(current));
        if (key != 0) creator = PyLong_FromLongLong(key);
    }
    if (creator == NULL && !PyErr_Occurred()) creator = PyLong_FromUnsignedLong(PyThread_get_thread_ident());
    PyObject *key = NULL;
    PyObject *ref = creator ? track_task(self->keys, task, &key) : NULL;
    PyObject *start = ref ? PyLong_FromLongLong(us_since(now_s(), self->base)) : NULL;
    PyObject *found_by = start ? PyLong_FromUnsignedLongLong(((TaskRef *)ref)->ident) : NULL;
    PyObject *name = NULL, *qualname = NULL;
    int rc = -1;
    if (found_by != NULL && lookup_attr(coro, s_name, &name) >= 0 && lookup_attr(coro, s_qualname, &qualname) >= 0) {
        PyObject *values[8] = {key,
                               start,
                               creator,
                               frame_code,
                               line,
                               found_by,
                               name ? name : s_empty,
                               qualname ? qualname : s_empty};
        rc = 0;
        for (int i = 0; i < 8 && rc == 0; i++) rc = PyList_Append(self->raw_tasks, values[i]);
    }
    Py_XDECREF(key);
    Py_XDECREF(name);
    Py_XDECREF(qualname);
    Py_DECREF(line);
    Py_XDECREF(start);
    Py_XDECREF(found_by);
    Py_XDECREF(ref);
    Py_XDECREF(creator);
    Py_DECREF(frame_code);
    if (rc == 0 && PyList_GET_SIZE(self->raw_tasks) >= self->limit) {
        PyObject *r = PyObject_CallNoArgs(self->convert);
        if (r == NULL) return -1;
        Py_DECREF(r);
    }
    return rc;
}

static PyObject *taskcreator_vectorcall(TaskCreator *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    int fast = nargs == 2;
    for (Py_ssize_t i = 0; fast && kwnames && i < PyTuple_GET_SIZE(kwnames); i++) {
        PyObject *kw = PyTuple_GET_ITEM(kwnames, i);
        fast = PyUnicode_Compare(kw, s_kw_name) == 0 || PyUnicode_Compare(kw, s_kw_context) == 0;
    }
    PyObject *factory = NULL;
    if (fast && lookup_attr(args[0], s_task_factory, &factory) < 0) return NULL;
    if (factory != Py_None) fast = 0;
    Py_XDECREF(factory);
    if (!fast) return PyObject_Vectorcall(self->slow, args, nargsf, kwnames);
    PyObject *loop = args[0], *coro = args[1];
    PyObject *closed = PyObject_GetAttr(loop, s_closed);
    int is_closed = closed ? PyObject_IsTrue(closed) : -1;
    Py_XDECREF(closed);
    if (is_closed != 0) {
        if (is_closed > 0) PyErr_SetString(PyExc_RuntimeError, "Event loop is closed");
        return NULL;
    }
    /* Task(coro, loop=loop, name=…, context=…) */
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    PyObject *stack[4] = {coro, loop, nkw > 0 ? args[2] : NULL, nkw > 1 ? args[3] : NULL};
    PyObject *names = PyTuple_New(1 + nkw);
    if (names == NULL) return NULL;
    PyTuple_SET_ITEM(names, 0, Py_NewRef(s_loop));
    for (Py_ssize_t i = 0; i < nkw; i++) PyTuple_SET_ITEM(names, i + 1, Py_NewRef(PyTuple_GET_ITEM(kwnames, i)));
    PyObject *task = PyObject_Vectorcall(self->task_type, stack, 1, names);
    Py_DECREF(names);
    if (task == NULL) return NULL;
    PyObject *tb = PyObject_GetAttr(task, s_source_traceback);
    int drop = tb ? PyObject_IsTrue(tb) : -1;
    if (drop > 0) drop = PySequence_DelItem(tb, -1);
    Py_XDECREF(tb);
    if (drop < 0) {
        Py_DECREF(task);
        return NULL;
    }
    /* never break create_task: a recording error only leaves this task out */
    if (record_creation(self, loop, coro, task) < 0) PyErr_Clear();
    return task;
}

static PyObject *taskcreator_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"slow",          "task_type",     "keys",    "raw_tasks", "classify", "housekeeping",
                             "current_tasks", "convert",       "limit",   "base",      NULL};
    PyObject *slow, *task_type, *keys, *raw_tasks, *classify, *housekeeping, *current_tasks, *convert;
    Py_ssize_t limit;
    double base;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO!O!O!OO!O!Ond", kwlist, &slow, &PyType_Type, &task_type,
                                     &TaskKeysType, &keys, &PyList_Type, &raw_tasks, &classify, &PySet_Type,
                                     &housekeeping, &PyDict_Type, &current_tasks, &convert, &limit, &base))
        return NULL;
    TaskCreator *self = (TaskCreator *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->slow = Py_NewRef(slow);
    self->task_type = Py_NewRef(task_type);
    self->keys = (TaskKeys *)Py_NewRef(keys);
    self->raw_tasks = Py_NewRef(raw_tasks);
    self->housekeeping = Py_NewRef(housekeeping);
    self->current_tasks = Py_NewRef(current_tasks);
    self->convert = Py_NewRef(convert);
    self->limit = limit;
    self->base = base;
    self->vectorcall = (vectorcallfunc)taskcreator_vectorcall;
    if (codecache_init(&self->codes, classify) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int taskcreator_traverse(TaskCreator *self, visitproc visit, void *arg) {
    Py_VISIT(self->slow);
    Py_VISIT(self->task_type);
    Py_VISIT(self->keys);
    Py_VISIT(self->raw_tasks);
    Py_VISIT(self->housekeeping);
    Py_VISIT(self->current_tasks);
    Py_VISIT(self->convert);
    return codecache_traverse(&self->codes, visit, arg);
}

static int taskcreator_clear(TaskCreator *self) {
    Py_CLEAR(self->slow);
    Py_CLEAR(self->task_type);
    Py_CLEAR(self->keys);
    Py_CLEAR(self->raw_tasks);
    Py_CLEAR(self->housekeeping);
    Py_CLEAR(self->current_tasks);
    Py_CLEAR(self->convert);
    codecache_clear(&self->codes);
    return 0;
}

GC_DEALLOC(taskcreator, TaskCreator)

HOOK_TYPE(taskcreator, TaskCreator, "BaseEventLoop.create_task, recording who created each task and where");

/* ---------------------------------------------------------------------------------- threads */

/* Thread.start and Thread._bootstrap_inner while tracing (thread_hooks.py, their Python twins):
 * a program that makes an event loop per test starts its default executor's workers with each. */

static PyObject *s_name_attr, *s_target, *s_module, *s_invoke_excepthook, *s_own_prefix,
    *s_helpers, *s_threads;

typedef struct {
    PyObject_HEAD
    PyObject *original;      /* Thread.start */
    PyObject *pending;       /* dict id(thread) -> (creator, code, line, group), taken by the runner */
    CodeCache codes;         /* classify: bit 2 the learner's code, bit 1 the kernel's machinery */
    TaskKeys *keys;          /* the traced tasks' keys: a creator is one of them */
    PyObject *current_tasks; /* asyncio.tasks._current_tasks: loop -> its running task */
    PyObject *running_loop;  /* asyncio.events._get_running_loop */
    PyObject *who_of;        /* asyncio_hooks.who_of, for a creator that is an untraced task */
    PyObject *helper_modules; /* frozenset: a thread whose target is from one of them is a helper */
    vectorcallfunc vectorcall;
} ThreadStarter;

/* "helpers" for a thread the standard library starts for its own bookkeeping, else "threads" */
static PyObject *thread_group(ThreadStarter *self, PyObject *thread) {
    PyObject *type_module = PyObject_GetAttr((PyObject *)Py_TYPE(thread), s_module);
    if (type_module == NULL) return NULL;
    PyObject *target = NULL, *module = NULL;
    int found = lookup_attr(thread, s_target, &target);
    if (found > 0 && target != Py_None) {
        found = lookup_attr(target, s_module, &module);
    } else if (found >= 0) {
        module = Py_NewRef(type_module);
    }
    Py_XDECREF(target);
    int helper = found < 0 ? -1 : module ? PySet_Contains(self->helper_modules, module) : 0;
    if (helper == 0) helper = PySet_Contains(self->helper_modules, type_module);
    Py_XDECREF(module);
    Py_DECREF(type_module);
    if (helper < 0) return NULL;
    return Py_NewRef(helper ? s_helpers : s_threads);
}

/* Notes who starts the thread and where, for the runner: pending[key] = (creator, code, line,
 * group). Nothing for the probe's own threads or the kernel's. The thread's own attributes are only
 * read: its __dict__ asked for, or a name added to it, would move its attributes into a dict of
 * their own, and make every read of them in threading.py a slower one for the thread's life. */
static int note_start(ThreadStarter *self, PyObject *thread, PyObject *key) {
    PyObject *name = NULL;
    if (lookup_attr(thread, s_name_attr, &name) < 0) return -1;
    int own = name != NULL && PyUnicode_Check(name) &&
              PyUnicode_Tailmatch(name, s_own_prefix, 0, PY_SSIZE_T_MAX, -1) == 1;
    Py_XDECREF(name);
    if (own) return 0;
    /* the first frame of the learner's code up from the caller, else the caller's */
    PyFrameObject *first = PyEval_GetFrame(); /* borrowed */
    PyFrameObject *frame = (PyFrameObject *)Py_XNewRef(first);
    int kind = 0, first_kind = 0;
    while (frame != NULL) {
        PyCodeObject *code = PyFrame_GetCode(frame);
        kind = code_kind(&self->codes, code);
        Py_DECREF(code);
        if (kind < 0) {
            Py_DECREF(frame);
            return -1;
        }
        if (frame == first) first_kind = kind;
        if (kind & 2) break;
        Py_SETREF(frame, PyFrame_GetBack(frame));
    }
    if (frame == NULL) {
        frame = (PyFrameObject *)Py_XNewRef(first);
        kind = first_kind;
    }
    if (kind & 1) { /* the kernel's machinery */
        Py_XDECREF(frame);
        return 0;
    }
    PyObject *code = frame ? (PyObject *)PyFrame_GetCode(frame) : Py_NewRef(Py_None);
    PyObject *line = frame ? line_of(&self->codes, frame, code) : PyLong_FromLong(0);
    Py_XDECREF(frame);
    PyObject *loop = line ? PyObject_CallNoArgs(self->running_loop) : NULL;
    PyObject *creator = loop ? current_who(self->keys, self->current_tasks, loop, self->who_of) : NULL;
    PyObject *group = creator ? thread_group(self, thread) : NULL;
    int rc = -1;
    if (group != NULL) {
        PyObject *info = PyTuple_Pack(4, creator, code, line, group);
        rc = info ? PyDict_SetItem(self->pending, key, info) : -1;
        Py_XDECREF(info);
    }
    Py_XDECREF(group);
    Py_XDECREF(creator);
    Py_XDECREF(loop);
    Py_XDECREF(line);
    Py_DECREF(code);
    return rc;
}

static PyObject *threadstarter_vectorcall(ThreadStarter *self, PyObject *const *args, size_t nargsf,
                                          PyObject *kwnames) {
    /* never break Thread.start: a recording error only leaves this thread out */
    PyObject *key = PyVectorcall_NARGS(nargsf) == 1 && kwnames == NULL ? PyLong_FromVoidPtr(args[0]) : NULL;
    if (key == NULL || note_start(self, args[0], key) < 0) PyErr_Clear();
    PyObject *result = PyObject_Vectorcall(self->original, args, nargsf, kwnames);
    if (key != NULL) { /* the runner took it, unless the thread did not start */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        if (PyDict_Contains(self->pending, key) == 1) PyDict_DelItem(self->pending, key);
        PyErr_Clear();
        PyErr_Restore(type, value, tb);
        Py_DECREF(key);
    }
    return result;
}

static PyObject *threadstarter_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"original", "pending",  "classify",       "keys",
                             "current_tasks", "running_loop", "who_of", "helper_modules", NULL};
    PyObject *original, *pending, *classify, *keys, *current_tasks, *running_loop, *who_of, *helper_modules;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO!OO!O!OOO!", kwlist, &original, &PyDict_Type, &pending, &classify,
                                     &TaskKeysType, &keys, &PyDict_Type, &current_tasks, &running_loop, &who_of,
                                     &PyFrozenSet_Type, &helper_modules))
        return NULL;
    ThreadStarter *self = (ThreadStarter *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->original = Py_NewRef(original);
    self->pending = Py_NewRef(pending);
    self->keys = (TaskKeys *)Py_NewRef(keys);
    self->current_tasks = Py_NewRef(current_tasks);
    self->running_loop = Py_NewRef(running_loop);
    self->who_of = Py_NewRef(who_of);
    self->helper_modules = Py_NewRef(helper_modules);
    self->vectorcall = (vectorcallfunc)threadstarter_vectorcall;
    if (codecache_init(&self->codes, classify) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int threadstarter_traverse(ThreadStarter *self, visitproc visit, void *arg) {
    Py_VISIT(self->original);
    Py_VISIT(self->pending);
    Py_VISIT(self->keys);
    Py_VISIT(self->current_tasks);
    Py_VISIT(self->running_loop);
    Py_VISIT(self->who_of);
    Py_VISIT(self->helper_modules);
    return codecache_traverse(&self->codes, visit, arg);
}

static int threadstarter_clear(ThreadStarter *self) {
    Py_CLEAR(self->original);
    Py_CLEAR(self->pending);
    Py_CLEAR(self->keys);
    Py_CLEAR(self->current_tasks);
    Py_CLEAR(self->running_loop);
    Py_CLEAR(self->who_of);
    Py_CLEAR(self->helper_modules);
    codecache_clear(&self->codes);
    return 0;
}

GC_DEALLOC(threadstarter, ThreadStarter)

HOOK_TYPE(threadstarter, ThreadStarter, "Thread.start, noting who starts the thread and where");

/* A traced thread's _invoke_excepthook while it runs (thread_hooks._ErrorNote): notes the error
 * being handled, then calls the thread's own hook. */
typedef struct {
    PyObject_HEAD
    PyObject *hook;
    PyObject *error; /* "Type: message" (200 characters at most), or None */
} ErrorNote;

static PyObject *errornote_call(ErrorNote *self, PyObject *args, PyObject *kwds) {
    PyObject *exc = PyErr_GetHandledException();
    if (exc != NULL && exc != Py_None) {
        const char *type_name = _PyType_Name(Py_TYPE(exc));
        PyObject *text = PyUnicode_FromFormat("%s: %S", type_name, exc);
        if (text == NULL) { /* a str() that fails must not keep the thread's own hook from running */
            PyErr_Clear();
            text = PyUnicode_FromString(type_name);
        }
        if (text != NULL && PyUnicode_GET_LENGTH(text) > 200) Py_SETREF(text, PyUnicode_Substring(text, 0, 200));
        if (text == NULL) PyErr_Clear();
        else Py_XSETREF(self->error, text);
    }
    Py_XDECREF(exc);
    return PyObject_Call(self->hook, args, kwds);
}

/* not a GC type: it holds the thread's own hook (a closure over the standard library's excepthooks)
 * and a text, and nothing that leads back to it */
static void errornote_dealloc(ErrorNote *self) {
    Py_XDECREF(self->hook);
    Py_XDECREF(self->error);
    PyObject_Free(self);
}

static PyTypeObject ErrorNoteType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "threadline.capture._speedups.ErrorNote",
    .tp_doc = "a traced thread's _invoke_excepthook, noting the error it ends with",
    .tp_basicsize = sizeof(ErrorNote),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_call = (ternaryfunc)errornote_call,
    .tp_dealloc = (destructor)errornote_dealloc,
};

typedef struct {
    PyObject_HEAD
    PyObject *original; /* Thread._bootstrap_inner */
    PyObject *pending;  /* the starter's: id(thread) -> (creator, code, line, group), taken here */
    PyObject *starts;   /* Recorder.raw_thread_starts: THREAD_START_FIELDS values a thread (record/lives.py) */
    PyObject *ends;     /* Recorder.raw_thread_ends: THREAD_END_FIELDS values a thread */
    double base;        /* the recorder's t0: times are recorded as µs since it */
    vectorcallfunc vectorcall;
} ThreadRunner;

static double thread_cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Records the thread's start (ident, native id, name, t µs, creator, code, line, group), runs it, and
 * records its end (ident, native id, t µs, CPU µs, error), flat: no tuple a thread for the GC to count. */
static PyObject *threadrunner_vectorcall(ThreadRunner *self, PyObject *const *args, size_t nargsf,
                                         PyObject *kwnames) {
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL) return PyObject_Vectorcall(self->original, args, nargsf, kwnames);
    PyObject *thread = args[0];
    /* taken out: nothing of the thread's is kept */
    PyObject *key = PyLong_FromVoidPtr(thread);
    if (key == NULL) return NULL;
    PyObject *info = Py_XNewRef(PyDict_GetItemWithError(self->pending, key));
    if (info != NULL && PyDict_DelItem(self->pending, key) < 0) Py_CLEAR(info);
    Py_DECREF(key);
    if (info == NULL || !PyTuple_Check(info) || PyTuple_GET_SIZE(info) != 4) {
        Py_XDECREF(info);
        if (PyErr_Occurred()) return NULL;
        return PyObject_Vectorcall(self->original, args, nargsf, NULL);
    }
    PyObject *ident = PyLong_FromUnsignedLong(PyThread_get_thread_ident());
    PyObject *native_id = PyLong_FromUnsignedLong(PyThread_get_thread_native_id());
    PyObject *name = NULL;
    int found = lookup_attr(thread, s_name_attr, &name);
    PyObject *t = PyLong_FromLongLong(us_since(now_s(), self->base));
    int recording = ident && native_id && t && found >= 0;
    if (recording) {
        PyObject *values[8] = {ident, native_id, name ? name : Py_None, t, PyTuple_GET_ITEM(info, 0),
                               PyTuple_GET_ITEM(info, 1), PyTuple_GET_ITEM(info, 2), PyTuple_GET_ITEM(info, 3)};
        PyObject *lists[8] = {self->starts, self->starts, self->starts, self->starts,
                              self->starts, self->starts, self->starts, self->starts};
        recording = append_all(lists, values, 8) == 0; /* no Python code runs between: a whole row */
    }
    Py_XDECREF(name);
    Py_XDECREF(t);
    Py_DECREF(info);
    /* the thread's own hook, swapped for a note of the error it ends with (set as an attribute, which
     * leaves the thread's attributes where they are, see note_start) */
    ErrorNote *note = NULL;
    PyObject *hook = NULL;
    if (recording && lookup_attr(thread, s_invoke_excepthook, &hook) > 0) {
        note = PyObject_New(ErrorNote, &ErrorNoteType);
        if (note != NULL) {
            note->hook = Py_NewRef(hook);
            note->error = Py_NewRef(Py_None);
            if (PyObject_SetAttr(thread, s_invoke_excepthook, (PyObject *)note) < 0) Py_CLEAR(note);
        }
    }
    if (!recording || PyErr_Occurred()) PyErr_Clear(); /* a recording error only leaves the thread out */
    PyObject *result = PyObject_Vectorcall(self->original, args, nargsf, NULL);
    if (recording) {
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyObject *now_hook = NULL;
        if (note != NULL && lookup_attr(thread, s_invoke_excepthook, &now_hook) > 0 && now_hook == (PyObject *)note)
            PyObject_SetAttr(thread, s_invoke_excepthook, hook);
        Py_XDECREF(now_hook);
        PyObject *end_t = PyLong_FromLongLong(us_since(now_s(), self->base));
        PyObject *cpu = PyLong_FromLongLong((long long)(thread_cpu_s() * 1e6));
        PyObject *values[5] = {ident, native_id, end_t, cpu, note ? note->error : Py_None};
        PyObject *lists[5] = {self->ends, self->ends, self->ends, self->ends, self->ends};
        if (end_t == NULL || cpu == NULL || append_all(lists, values, 5) < 0) PyErr_Clear();
        Py_XDECREF(end_t);
        Py_XDECREF(cpu);
        if (PyErr_Occurred()) PyErr_Clear();
        PyErr_Restore(type, value, tb);
    }
    Py_XDECREF(note);
    Py_XDECREF(hook);
    Py_XDECREF(ident);
    Py_XDECREF(native_id);
    return result;
}

static PyObject *threadrunner_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"original", "pending", "starts", "ends", "base", NULL};
    PyObject *original, *pending, *starts, *ends;
    double base;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO!O!O!d", kwlist, &original, &PyDict_Type, &pending, &PyList_Type,
                                     &starts, &PyList_Type, &ends, &base))
        return NULL;
    ThreadRunner *self = (ThreadRunner *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->original = Py_NewRef(original);
    self->pending = Py_NewRef(pending);
    self->starts = Py_NewRef(starts);
    self->ends = Py_NewRef(ends);
    self->base = base;
    self->vectorcall = (vectorcallfunc)threadrunner_vectorcall;
    return (PyObject *)self;
}

static int threadrunner_traverse(ThreadRunner *self, visitproc visit, void *arg) {
    Py_VISIT(self->original);
    Py_VISIT(self->pending);
    Py_VISIT(self->starts);
    Py_VISIT(self->ends);
    return 0;
}

static int threadrunner_clear(ThreadRunner *self) {
    Py_CLEAR(self->original);
    Py_CLEAR(self->pending);
    Py_CLEAR(self->starts);
    Py_CLEAR(self->ends);
    return 0;
}

GC_DEALLOC(threadrunner, ThreadRunner)

HOOK_TYPE(threadrunner, ThreadRunner, "Thread._bootstrap_inner, recording a traced thread's start and end");

/* ------------------------------------------------------------------------------------- Gates */

/* The patched methods of threading's Python-class primitives (Semaphore, Event, queue.Queue) while
 * tracing. Executors, threads and futures make such objects for themselves by the thousand. An
 * InitGate (their __init__) sends a creation by the standard library's (or a package's) code
 * straight to the original __init__, and leaves the object as it is: nothing to undo when tracing
 * stops, and no reference kept to find it by (a weak reference each is a collected object each,
 * which brings the collector's passes nearer). Any other creation goes to the traced __init__,
 * which marks the object (_tl_idx, locks/tracking.py). A Gate sends a call on an object marked not
 * the learner's (-1) to the original method, on one of the learner's to the traced one; an object
 * not marked (made by the standard library, or before the trace) goes by the calling code, as a
 * CallerGate does: the learner's code gets the traced method, which decides (adopts it, or marks
 * it -1), any other the original. */

static PyObject *s_tl_idx, *s_tl_on, *s_dunder_init;

/* Whether the code calling is the learner's (frames.code_kind bit 2); when unsure, yes: the traced
 * path decides. */
static int called_by_learner(CodeCache *codes) {
    PyFrameObject *frame = PyEval_GetFrame(); /* borrowed: the code calling */
    if (frame == NULL) return 1;
    PyCodeObject *code = PyFrame_GetCode(frame);
    int kind = code_kind(codes, code);
    Py_DECREF(code);
    if (kind < 0) {
        PyErr_Clear();
        return 1;
    }
    return (kind & 2) != 0;
}

/* 1 when the object was marked not the learner's, 0 when marked otherwise (or without a __dict__),
 * -1 when not marked. Generic attribute access reads an object's inline values without making its
 * __dict__ a dict. */
static int marked_untraced(PyObject *obj) {
    PyObject *idx = _PyObject_GenericGetAttrWithDict(obj, s_tl_idx, NULL, 1);
    int marked = idx == NULL ? -1 : PyLong_CheckExact(idx) && PyLong_AsLong(idx) == -1;
    Py_XDECREF(idx);
    if (marked == -1 && PyErr_Occurred()) marked = 0; /* no __dict__ (__slots__ only): the traced path */
    if (marked == 1) { /* _tl_on: an object of the learner's, not registered yet */
        PyObject *on = _PyObject_GenericGetAttrWithDict(obj, s_tl_on, NULL, 1);
        marked = on == NULL || PyObject_IsTrue(on) == 0;
        Py_XDECREF(on);
    }
    PyErr_Clear();
    return marked;
}

typedef struct {
    PyObject_HEAD
    PyObject *original; /* the class's own method */
    PyObject *traced;   /* threading_classes' patched method */
    CodeCache codes;    /* classify: bit 2 the learner's code (frames.code_kind) */
    vectorcallfunc vectorcall;
} Gate;

static PyObject *gate_vectorcall(Gate *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    int marked = PyVectorcall_NARGS(nargsf) >= 1 ? marked_untraced(args[0]) : 0;
    int plain = marked == 1 || (marked == -1 && !called_by_learner(&self->codes));
    return PyObject_Vectorcall(plain ? self->original : self->traced, args, nargsf, kwnames);
}

static PyObject *gate_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"original", "traced", "classify", NULL};
    PyObject *original, *traced, *classify;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO", kwlist, &original, &traced, &classify)) return NULL;
    Gate *self = (Gate *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->original = Py_NewRef(original);
    self->traced = Py_NewRef(traced);
    self->vectorcall = (vectorcallfunc)gate_vectorcall;
    if (codecache_init(&self->codes, classify) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int gate_traverse(Gate *self, visitproc visit, void *arg) {
    Py_VISIT(self->original);
    Py_VISIT(self->traced);
    return codecache_traverse(&self->codes, visit, arg);
}

static int gate_clear(Gate *self) {
    Py_CLEAR(self->original);
    Py_CLEAR(self->traced);
    codecache_clear(&self->codes);
    return 0;
}

GC_DEALLOC(gate, Gate)

HOOK_TYPE(gate, Gate, "a patched method: the original for an object that is not the learner's, else the traced one");

typedef struct {
    PyObject_HEAD
    PyObject *original; /* the class's own __init__ */
    PyObject *traced;   /* threading_classes' patched __init__ */
    CodeCache codes;    /* classify: bit 2 the learner's code (frames.code_kind) */
    vectorcallfunc vectorcall;
} InitGate;

/* Whether `code` is the __init__ of one of the object's classes (tracking._init_of_its_class) */
static int init_of_its_class(PyObject *obj, PyCodeObject *code) {
    PyObject *mro = Py_TYPE(obj)->tp_mro;
    for (Py_ssize_t i = 0; mro != NULL && i < PyTuple_GET_SIZE(mro); i++) {
        PyObject *dict = ((PyTypeObject *)PyTuple_GET_ITEM(mro, i))->tp_dict; /* NULL for static types on 3.12+ */
        PyObject *init = dict != NULL ? PyDict_GetItemWithError(dict, s_dunder_init) : NULL;
        if (init != NULL && PyFunction_Check(init) && PyFunction_GET_CODE(init) == (PyObject *)code) return 1;
    }
    PyErr_Clear();
    return 0;
}

/* 1 when the object is being made by the standard library's (or a package's) own code: the caller is
 * not the learner's and is not an __init__ of the object's classes, which tracking.py walks past */
static int made_by_library(InitGate *self, PyObject *obj) {
    PyFrameObject *frame = PyEval_GetFrame(); /* borrowed: the code calling the class */
    if (frame == NULL) return 0;
    PyCodeObject *code = PyFrame_GetCode(frame);
    int kind = code_kind(&self->codes, code);
    int library = kind >= 0 && !(kind & 2) && !init_of_its_class(obj, code);
    Py_DECREF(code);
    PyErr_Clear();
    return library;
}

static PyObject *initgate_vectorcall(InitGate *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    int library = PyVectorcall_NARGS(nargsf) >= 1 && made_by_library(self, args[0]);
    return PyObject_Vectorcall(library ? self->original : self->traced, args, nargsf, kwnames);
}

static PyObject *initgate_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"original", "traced", "classify", NULL};
    PyObject *original, *traced, *classify;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO", kwlist, &original, &traced, &classify)) return NULL;
    InitGate *self = (InitGate *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->original = Py_NewRef(original);
    self->traced = Py_NewRef(traced);
    self->vectorcall = (vectorcallfunc)initgate_vectorcall;
    if (codecache_init(&self->codes, classify) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int initgate_traverse(InitGate *self, visitproc visit, void *arg) {
    Py_VISIT(self->original);
    Py_VISIT(self->traced);
    return codecache_traverse(&self->codes, visit, arg);
}

static int initgate_clear(InitGate *self) {
    Py_CLEAR(self->original);
    Py_CLEAR(self->traced);
    codecache_clear(&self->codes);
    return 0;
}

GC_DEALLOC(initgate, InitGate)

HOOK_TYPE(initgate, InitGate, "a patched __init__: the original for an object the standard library makes, else the traced one");

/* threading.Lock and RLock, and TracedCondition.__new__, while tracing: the code calling decides. What
 * the standard library (or a package) makes for itself goes straight to the plain factory, with no
 * Python frame of the probe's; the learner's code gets the traced one (locks/thread_locks.py), which
 * decides as before. Not a method descriptor, as _thread.allocate_lock is not: a class attribute
 * holding it is called without self. Its __dict__ holds threading's names, under which it pickles. */
typedef struct {
    PyObject_HEAD
    PyObject *library; /* the plain factory */
    PyObject *learner; /* the traced one */
    PyObject *own;     /* or NULL: a __new__'s own class, which the library gets as ... */
    PyObject *plain;   /* ... this class, made from the other arguments (no Python frame a Condition) */
    PyObject *dict;    /* __module__, __name__, __qualname__ */
    CodeCache codes;   /* classify: bit 2 the learner's code (frames.code_kind) */
    vectorcallfunc vectorcall;
} CallerGate;

static PyObject *callergate_vectorcall(CallerGate *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    if (called_by_learner(&self->codes)) return PyObject_Vectorcall(self->learner, args, nargsf, kwnames);
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (self->own != NULL && nargs >= 1 && args[0] == self->own) /* plain(*args[1:]) */
        return PyObject_Vectorcall(self->plain, args + 1, (size_t)(nargs - 1), kwnames);
    return PyObject_Vectorcall(self->library, args, nargsf, kwnames);
}

static PyObject *callergate_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"library", "learner", "classify", "own", "plain", NULL};
    PyObject *library, *learner, *classify, *own = NULL, *plain = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO|OO", kwlist, &library, &learner, &classify, &own, &plain))
        return NULL;
    if ((own == NULL) != (plain == NULL)) {
        PyErr_SetString(PyExc_TypeError, "CallerGate: own and plain go together");
        return NULL;
    }
    CallerGate *self = (CallerGate *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->library = Py_NewRef(library);
    self->learner = Py_NewRef(learner);
    self->own = Py_XNewRef(own);
    self->plain = Py_XNewRef(plain);
    self->vectorcall = (vectorcallfunc)callergate_vectorcall;
    if (codecache_init(&self->codes, classify) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static PyObject *callergate_reduce(PyObject *self, PyObject *unused) {
    return PyObject_GetAttrString(self, "__qualname__"); /* pickled by name, as a function is */
}

static int callergate_traverse(CallerGate *self, visitproc visit, void *arg) {
    Py_VISIT(self->library);
    Py_VISIT(self->learner);
    Py_VISIT(self->own);
    Py_VISIT(self->plain);
    Py_VISIT(self->dict);
    return codecache_traverse(&self->codes, visit, arg);
}

static int callergate_clear(CallerGate *self) {
    Py_CLEAR(self->library);
    Py_CLEAR(self->learner);
    Py_CLEAR(self->own);
    Py_CLEAR(self->plain);
    Py_CLEAR(self->dict);
    codecache_clear(&self->codes);
    return 0;
}

GC_DEALLOC(callergate, CallerGate)

static PyMethodDef callergate_methods[] = {{"__reduce__", callergate_reduce, METH_NOARGS, "its name"}, {NULL}};
static PyGetSetDef callergate_getset[] = {{"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict}, {NULL}};

static PyTypeObject CallerGateType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "threadline.capture._speedups.CallerGate",
    .tp_doc = "a factory: the plain one for the standard library's own objects, else the traced one",
    .tp_basicsize = sizeof(CallerGate),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = callergate_new,
    .tp_dealloc = (destructor)callergate_dealloc,
    .tp_traverse = (traverseproc)callergate_traverse,
    .tp_clear = (inquiry)callergate_clear,
    .tp_vectorcall_offset = offsetof(CallerGate, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_dictoffset = offsetof(CallerGate, dict),
    .tp_methods = callergate_methods,
    .tp_getset = callergate_getset,
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

/* ------------------------------------------------------------------------------------ pack_q */

/* A list of ints as native int64s, for array('q').frombytes (record/columns.py extend_q): appending
 * a list to an array item by item parses each item like an argument, five times slower. */
static PyObject *pack_q(PyObject *module, PyObject *values) {
    if (!PyList_Check(values)) {
        PyErr_SetString(PyExc_TypeError, "pack_q takes a list of ints");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(values);
    PyObject *out = PyBytes_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(long long));
    if (out == NULL) return NULL;
    long long *dst = (long long *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(values, i);
        if (!PyLong_Check(item)) {
            PyErr_Format(PyExc_TypeError, "pack_q: item %zd is %.100s, not an int", i, Py_TYPE(item)->tp_name);
            Py_DECREF(out);
            return NULL;
        }
        dst[i] = PyLong_AsLongLong(item);
        if (dst[i] == -1 && PyErr_Occurred()) {
            Py_DECREF(out);
            return NULL;
        }
    }
    return out;
}

/* ------------------------------------------------------------------------------ step_columns */

/* The run spans of a batch of raw steps (StepBuffer.take's rows), as record/step_columns.py
 * py_step_columns makes them (its twin, with the contract): (lanes, starts, ends) as int64 bytes
 * for the steps of known tasks (key k's lane at key_lanes[-k - 1], -1 for none); the indices
 * of the rows to look at one by one (their lane has a suspension pending, or gets one in the
 * batch), those of rows at least threshold_us long; each lane's last end in lane_last_end (an
 * array('q') by lane, as long as the lanes). */
static PyObject *step_columns(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5 || !PyBytes_Check(args[0]) || !PyDict_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError, "step_columns(rows: bytes, key_lanes: array('q'), lane_last_end: "
                                         "array('q'), pending: dict, threshold_us: int)");
        return NULL;
    }
    PyObject *pending = args[3];
    long long threshold = PyLong_AsLongLong(args[4]);
    if (threshold == -1 && PyErr_Occurred()) return NULL;
    Py_buffer key_lanes, last_end;
    if (PyObject_GetBuffer(args[1], &key_lanes, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) return NULL;
    if (key_lanes.itemsize != 8 || key_lanes.format == NULL || strcmp(key_lanes.format, "q") != 0) {
        PyBuffer_Release(&key_lanes);
        PyErr_SetString(PyExc_TypeError, "step_columns: key_lanes must be an array('q')");
        return NULL;
    }
    if (PyObject_GetBuffer(args[2], &last_end, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0) {
        PyBuffer_Release(&key_lanes);
        return NULL;
    }
    if (last_end.itemsize != 8 || last_end.format == NULL || strcmp(last_end.format, "q") != 0) {
        PyBuffer_Release(&key_lanes);
        PyBuffer_Release(&last_end);
        PyErr_SetString(PyExc_TypeError, "step_columns: lane_last_end must be an array('q')");
        return NULL;
    }
    long long *last_end_of = last_end.buf;
    const long long *lane_of_key = key_lanes.buf;
    Py_ssize_t known = key_lanes.len / 8;
    const long long *rows = (const long long *)PyBytes_AS_STRING(args[0]);
    Py_ssize_t total = PyBytes_GET_SIZE(args[0]) / 32, n = 0;
    PyObject *lanes = PyBytes_FromStringAndSize(NULL, total * 8), *starts = PyBytes_FromStringAndSize(NULL, total * 8),
             *ends = PyBytes_FromStringAndSize(NULL, total * 8), *look = PyList_New(0), *longs = PyList_New(0);
    Py_ssize_t *index = PyMem_Malloc((total + 1) * sizeof(Py_ssize_t)); /* kept step -> row */
    unsigned char *flags = NULL; /* by lane: 1 waiting (a suspension pending or begun) */
    PyObject *result = NULL;
    if (!lanes || !starts || !ends || !look || !longs || !index) goto done;
    long long *lane_col = (long long *)PyBytes_AS_STRING(lanes), *start_col = (long long *)PyBytes_AS_STRING(starts),
              *end_col = (long long *)PyBytes_AS_STRING(ends);
    long long top = -1;
    for (Py_ssize_t i = 0; i < total; i++) {
        const long long *row = rows + i * 4;
        long long at = -row[0] - 1, lane = at >= 0 && at < known ? lane_of_key[at] : -1;
        if (lane < 0) continue; /* a task no longer known (should not happen): its steps are dropped */
        if (lane > top) top = lane;
        if (row[2] - row[1] >= threshold) {
            PyObject *i_obj = PyLong_FromSsize_t(i);
            if (i_obj == NULL || PyList_Append(longs, i_obj) < 0) {
                Py_XDECREF(i_obj);
                goto done;
            }
            Py_DECREF(i_obj);
        }
        lane_col[n] = lane;
        start_col[n] = row[1];
        end_col[n] = row[2];
        index[n++] = i;
    }
    flags = PyMem_Calloc((size_t)top + 2, 1);
    if (flags == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    int any_waiting = 0;
    for (Py_ssize_t k = 0; k < n; k++)
        if (rows[index[k] * 4 + 3] >= 0) flags[lane_col[k]] = any_waiting = 1;
    PyObject *lane_obj, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(pending, &pos, &lane_obj, &value)) {
        long long lane = PyLong_AsLongLong(lane_obj);
        if (lane == -1 && PyErr_Occurred()) goto done;
        if (lane >= 0 && lane <= top) flags[lane] = any_waiting = 1;
    }
    for (Py_ssize_t k = 0; any_waiting && k < n; k++) {
        if (!(flags[lane_col[k]] & 1)) continue;
        PyObject *i_obj = PyLong_FromSsize_t(index[k]);
        if (i_obj == NULL || PyList_Append(look, i_obj) < 0) {
            Py_XDECREF(i_obj);
            goto done;
        }
        Py_DECREF(i_obj);
    }
    if (top >= last_end.len / 8) {
        PyErr_SetString(PyExc_ValueError, "step_columns: lane_last_end is shorter than the lanes");
        goto done;
    }
    for (Py_ssize_t k = 0; k < n; k++) last_end_of[lane_col[k]] = end_col[k]; /* the last one stays */
    if (n < total && (_PyBytes_Resize(&lanes, n * 8) < 0 || _PyBytes_Resize(&starts, n * 8) < 0 ||
                      _PyBytes_Resize(&ends, n * 8) < 0))
        goto done;
    result = PyTuple_Pack(5, lanes, starts, ends, look, longs);
done:
    PyBuffer_Release(&key_lanes);
    PyBuffer_Release(&last_end);
    PyMem_Free(index);
    PyMem_Free(flags);
    Py_XDECREF(lanes);
    Py_XDECREF(starts);
    Py_XDECREF(ends);
    Py_XDECREF(look);
    Py_XDECREF(longs);
    return result;
}

/* ----------------------------------------------------------------------- lanes of task keys */

/* An array('q') or a writable bytearray's items (itemsize 8 or 1), or -1 with an exception. */
static int item_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, const char *what) {
    int flags = PyBUF_FORMAT | PyBUF_C_CONTIGUOUS | (itemsize == 1 ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) return -1;
    const char *format = view->format ? view->format : "B";
    if (view->itemsize != itemsize || strcmp(format, itemsize == 8 ? "q" : "B") != 0) {
        PyBuffer_Release(view);
        PyErr_Format(PyExc_TypeError, "%s must be %s", what, itemsize == 8 ? "an array('q')" : "a bytearray");
        return -1;
    }
    return 0;
}

static int compare_q(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* record/columns.py py_indexes_in (its twin): the indexes of the int64 column's values that are
 * keys of the container (its int keys, looked up by value: a few lanes among a batch's thousands). */
static PyObject *indexes_in(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !(PyAnySet_Check(args[1]) || PyDict_Check(args[1]))) {
        PyErr_SetString(PyExc_TypeError, "indexes_in(values: array('q'), keys: dict or set)");
        return NULL;
    }
    Py_buffer view;
    if (item_buffer(args[0], &view, 8, "indexes_in: values") < 0) return NULL;
    Py_ssize_t n = view.len / 8, w = 0;
    const long long *values = view.buf;
    long long *keys = PyMem_Malloc((PyObject_Length(args[1]) + 1) * sizeof(long long));
    PyObject *iter = keys ? PyObject_GetIter(args[1]) : NULL, *key, *found = NULL;
    while (iter != NULL && (key = PyIter_Next(iter)) != NULL) {
        int overflow = 0;
        long long k = PyLong_CheckExact(key) ? PyLong_AsLongLongAndOverflow(key, &overflow) : 0;
        if (PyLong_CheckExact(key) && !overflow) keys[w++] = k; /* other keys match no value */
        Py_DECREF(key);
    }
    if (iter != NULL && !PyErr_Occurred()) {
        qsort(keys, (size_t)w, sizeof(long long), compare_q);
        found = PyList_New(0);
        for (Py_ssize_t i = 0; found != NULL && w && i < n; i++) {
            if (!bsearch(&values[i], keys, (size_t)w, sizeof(long long), compare_q)) continue;
            PyObject *index = PyLong_FromSsize_t(i);
            if (index == NULL || PyList_Append(found, index) < 0) Py_CLEAR(found);
            Py_XDECREF(index);
        }
    } else if (keys == NULL) {
        PyErr_NoMemory();
    }
    Py_XDECREF(iter);
    PyMem_Free(keys);
    PyBuffer_Release(&view);
    return found;
}

/* The label of what a step's task waits on: a label text's string index (``strings``), or the
 * cached label of its code (by id) or, without a code, of its future's class; ``describe(waiter,
 * code)`` for what neither knows yet. A new reference. */
static PyObject *waiter_label(PyObject *waiter, PyObject *code, PyObject *label_cache, PyObject *strings,
                              PyObject *describe) {
    PyObject *label = NULL;
    if (PyUnicode_CheckExact(waiter)) {
        label = Py_XNewRef(PyDict_GetItemWithError(strings, waiter));
    } else {
        PyObject *key = code != Py_None ? PyLong_FromVoidPtr(code) : Py_NewRef(waiter);
        PyObject *cached = key ? PyDict_GetItemWithError(label_cache, key) : NULL; /* borrowed */
        if (cached != NULL && PyTuple_Check(cached) && PyTuple_GET_SIZE(cached) == 2)
            label = Py_NewRef(PyTuple_GET_ITEM(cached, 1));
        Py_XDECREF(key);
    }
    if (label == NULL && !PyErr_Occurred()) label = PyObject_CallFunctionObjArgs(describe, waiter, code, NULL);
    return label;
}

/* A lane's suspension while a batch is looked at: kept here, by lane in an open-addressing table
 * (the lanes of a batch are few beside the trace's), and only what is still pending at the end goes
 * back into the ``pending`` dict: most suspensions begin and end within one batch. */
typedef struct {
    long long lane, end, label; /* label: a string index */
    char state;                 /* 0 a free slot, 1 the lane's (nothing pending), 2 a suspension pending */
} LaneSuspension;

static LaneSuspension *lane_suspension(LaneSuspension *table, size_t mask, long long lane) {
    size_t i = (size_t)lane & mask; /* lanes are small consecutive ints */
    while (table[i].state && table[i].lane != lane) i = (i + 1) & mask;
    return &table[i];
}

/* A lane's slot, made on its first step of the batch with the suspension it had pending from an
 * earlier one (taken out of ``pending``); NULL on error. */
static LaneSuspension *lane_slot(LaneSuspension *table, size_t mask, long long lane, PyObject *pending) {
    LaneSuspension *slot = lane_suspension(table, mask, lane);
    if (slot->state) return slot;
    slot->lane = lane;
    slot->state = 1;
    PyObject *key = PyLong_FromLongLong(lane);
    PyObject *earlier = key ? PyDict_GetItemWithError(pending, key) : NULL; /* borrowed */
    int rc = key == NULL || PyErr_Occurred() ? -1 : 0;
    if (earlier != NULL) {
        if (!PyTuple_Check(earlier) || PyTuple_GET_SIZE(earlier) != 2) {
            PyErr_SetString(PyExc_TypeError, "suspensions: pending holds (end, label) tuples");
            rc = -1;
        } else {
            slot->end = PyLong_AsLongLong(PyTuple_GET_ITEM(earlier, 0));
            slot->label = PyLong_AsLongLong(PyTuple_GET_ITEM(earlier, 1));
            slot->state = 2;
            rc = PyErr_Occurred() ? -1 : PyDict_DelItem(pending, key);
        }
    }
    Py_XDECREF(key);
    return rc < 0 ? NULL : slot;
}

/* What each suspension pending at the end of a batch goes back into ``pending`` as: (end, label). */
static int keep_pending(LaneSuspension *table, size_t size, PyObject *pending) {
    for (size_t i = 0; i < size; i++) {
        if (table[i].state != 2) continue;
        PyObject *lane = PyLong_FromLongLong(table[i].lane), *end = PyLong_FromLongLong(table[i].end),
                 *label = PyLong_FromLongLong(table[i].label);
        PyObject *value = lane && end && label ? PyTuple_Pack(2, end, label) : NULL;
        int rc = value ? PyDict_SetItem(pending, lane, value) : -1;
        Py_XDECREF(value);
        Py_XDECREF(label);
        Py_XDECREF(end);
        Py_XDECREF(lane);
        if (rc < 0) return -1;
    }
    return 0;
}

/* The suspensions a batch of steps ends and begins (record/steps.py ``py_suspensions``, its twin):
 * for each step of ``look``, the suspension its lane had pending ends at its start; a step that
 * awaits something leaves its lane suspended from its end. The ended ones as int64 columns. */
static PyObject *suspensions(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 8 || !PyBytes_Check(args[0]) || !PyList_Check(args[1]) || !PyDict_Check(args[3]) ||
        !PyList_Check(args[4]) || !PyDict_Check(args[5]) || !PyDict_Check(args[6])) {
        PyErr_SetString(PyExc_TypeError, "suspensions(rows: bytes, look: list, key_lanes: array('q'), pending: dict, "
                                         "extras: list, label_cache: dict, strings: dict, describe)");
        return NULL;
    }
    PyObject *look = args[1], *pending = args[3], *extras = args[4], *label_cache = args[5], *strings = args[6],
             *describe = args[7];
    Py_buffer key_lanes;
    if (item_buffer(args[2], &key_lanes, 8, "suspensions: key_lanes") < 0) return NULL;
    const long long *lane_of_key = key_lanes.buf;
    Py_ssize_t known = key_lanes.len / 8, n_look = PyList_GET_SIZE(look), n = 0;
    const long long *rows = (const long long *)PyBytes_AS_STRING(args[0]);
    Py_ssize_t total = PyBytes_GET_SIZE(args[0]) / 32;
    size_t size = 8;
    while (size < 2 * (size_t)n_look + 2) size *= 2;
    LaneSuspension *table = PyMem_Calloc(size, sizeof(LaneSuspension));
    /* the ended suspensions' lane, start, end and label: at most one a step looked at */
    PyObject *cols[4] = {0};
    for (int c = 0; c < 4; c++) cols[c] = PyBytes_FromStringAndSize(NULL, n_look * 8);
    PyObject *awaited = PyList_New(0), *result = NULL;
    /* the labels of the last waiters seen (a batch's steps await a few kinds of thing) */
    struct {
        PyObject *waiter, *code;
        long long label;
    } seen[8] = {{0}};
    if (!table || !cols[0] || !cols[1] || !cols[2] || !cols[3] || !awaited) {
        if (!table) PyErr_NoMemory();
        goto done;
    }
    long long *out[4];
    for (int c = 0; c < 4; c++) out[c] = (long long *)PyBytes_AS_STRING(cols[c]);
    for (Py_ssize_t k = 0; k < n_look; k++) {
        Py_ssize_t i = PyLong_AsSsize_t(PyList_GET_ITEM(look, k));
        if (i == -1 && PyErr_Occurred()) goto done;
        const long long *row = rows + i * 4;
        long long at = i >= 0 && i < total ? -row[0] - 1 : -1;
        long long aux = i >= 0 && i < total ? row[3] : -1;
        if (at < 0 || at >= known || lane_of_key[at] < 0 || 2 * aux + 1 >= PyList_GET_SIZE(extras)) {
            PyErr_SetString(PyExc_ValueError, "suspensions: a step to look at has no lane or no extras");
            goto done;
        }
        LaneSuspension *slot = lane_slot(table, size - 1, lane_of_key[at], pending);
        if (slot == NULL) goto done;
        if (slot->state == 2) {
            out[0][n] = slot->lane;
            out[1][n] = slot->end;
            out[2][n] = row[1];
            out[3][n++] = slot->label;
            slot->state = 1;
        }
        if (aux < 0) continue;
        PyObject *waiter = PyList_GET_ITEM(extras, 2 * aux), *code = PyList_GET_ITEM(extras, 2 * aux + 1);
        size_t s = (((size_t)waiter >> 4) ^ ((size_t)code >> 4)) & 7;
        if (seen[s].waiter != waiter || seen[s].code != code) {
            PyObject *label = waiter_label(waiter, code, label_cache, strings, describe);
            long long value = label ? PyLong_AsLongLong(label) : -1;
            Py_XDECREF(label);
            if (label == NULL || (value == -1 && PyErr_Occurred())) goto done;
            seen[s].waiter = waiter; /* extras holds them for the call */
            seen[s].code = code;
            seen[s].label = value;
        }
        slot->end = row[2];
        slot->label = seen[s].label;
        slot->state = 2;
        if (PyLong_CheckExact(code)) { /* suspended on a traced task: its key */
            PyObject *lane = PyLong_FromLongLong(slot->lane), *end = PyLong_FromLongLong(row[2]);
            PyObject *values[3] = {lane, code, end};
            PyObject *lists[3] = {awaited, awaited, awaited};
            int rc = lane && end ? append_all(lists, values, 3) : -1;
            Py_XDECREF(lane);
            Py_XDECREF(end);
            if (rc < 0) goto done;
        }
    }
    if (keep_pending(table, size, pending) < 0) goto done;
    for (int c = 0; c < 4; c++)
        if (_PyBytes_Resize(&cols[c], n * 8) < 0) goto done;
    result = PyTuple_Pack(5, cols[0], cols[1], cols[2], cols[3], awaited);
done:
    if (result == NULL && table != NULL) { /* nothing taken out of pending is lost */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        if (keep_pending(table, size, pending) < 0) PyErr_Clear();
        PyErr_Restore(type, value, tb);
    }
    PyMem_Free(table);
    PyBuffer_Release(&key_lanes);
    for (int c = 0; c < 4; c++) Py_XDECREF(cols[c]);
    Py_XDECREF(awaited);
    return result;
}

/* The index of a traced task's key k (-1, -2, ...) in arrays by key, -k - 1; -1 for anything else
 * (a thread's ident, None, a key not yet bound). */
static Py_ssize_t key_index(PyObject *key, Py_ssize_t known) {
    if (!PyLong_CheckExact(key)) return -1;
    int overflow;
    long long k = PyLong_AsLongLongAndOverflow(key, &overflow);
    return overflow == 0 && k < 0 && -k <= known ? (Py_ssize_t)(-k - 1) : -1;
}

/* record/tasks.py py_lanes_of_keys and py_close_lanes (their twins, with the contracts): the lane
 * of each key; closing, only of the keys whose lanes are open, each closed now. */
static PyObject *lanes_of(PyObject *const *args, Py_ssize_t nargs, int closing) {
    const char *usage = closing ? "close_lanes(keys, key_lanes: array('q'), key_open: bytearray)"
                                : "lanes_of_keys(keys, key_lanes: array('q'))";
    if (nargs != (closing ? 3 : 2)) {
        PyErr_SetString(PyExc_TypeError, usage);
        return NULL;
    }
    PyObject *keys = PySequence_Fast(args[0], usage);
    if (keys == NULL) return NULL;
    Py_buffer lanes_view, open_view = {0};
    if (item_buffer(args[1], &lanes_view, 8, "key_lanes") < 0) {
        Py_DECREF(keys);
        return NULL;
    }
    if (closing && item_buffer(args[2], &open_view, 1, "key_open") < 0) {
        PyBuffer_Release(&lanes_view);
        Py_DECREF(keys);
        return NULL;
    }
    const long long *key_lanes = lanes_view.buf;
    unsigned char *is_open = open_view.buf;
    Py_ssize_t known = lanes_view.len / 8, n = PySequence_Fast_GET_SIZE(keys);
    if (closing && open_view.len < known) known = open_view.len;
    PyObject *lanes = PyList_New(n);
    for (Py_ssize_t i = 0; lanes != NULL && i < n; i++) {
        Py_ssize_t at = key_index(PySequence_Fast_GET_ITEM(keys, i), known);
        long long lane = at < 0 || (closing && !is_open[at]) ? -1 : key_lanes[at];
        if (closing && at >= 0) is_open[at] = 0;
        PyObject *value = PyLong_FromLongLong(lane);
        if (value == NULL) Py_CLEAR(lanes);
        else PyList_SET_ITEM(lanes, i, value);
    }
    if (closing) PyBuffer_Release(&open_view);
    PyBuffer_Release(&lanes_view);
    Py_DECREF(keys);
    return lanes;
}

/* record/tasks.py py_bind_lanes (its twin, with the contract): key i of keys gets the lane
 * first_lane + i, open or not; every key must have its place in both arrays already. */
static PyObject *bind_lanes(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    const char *usage = "bind_lanes(keys, first_lane: int, key_lanes: array('q'), key_open: bytearray, open_: bool)";
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, usage);
        return NULL;
    }
    long long first = PyLong_AsLongLong(args[1]);
    int open_ = PyObject_IsTrue(args[4]);
    if ((first == -1 && PyErr_Occurred()) || open_ < 0) return NULL;
    PyObject *keys = PySequence_Fast(args[0], usage);
    if (keys == NULL) return NULL;
    Py_buffer lanes_view, open_view;
    if (item_buffer(args[2], &lanes_view, 8, "key_lanes") < 0) {
        Py_DECREF(keys);
        return NULL;
    }
    if (item_buffer(args[3], &open_view, 1, "key_open") < 0) {
        PyBuffer_Release(&lanes_view);
        Py_DECREF(keys);
        return NULL;
    }
    long long *key_lanes = lanes_view.buf;
    unsigned char *is_open = open_view.buf;
    Py_ssize_t known = lanes_view.len / 8 < open_view.len ? lanes_view.len / 8 : open_view.len;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(keys), i = 0;
    for (; i < n; i++) {
        Py_ssize_t at = key_index(PySequence_Fast_GET_ITEM(keys, i), known);
        if (at < 0) break;
        key_lanes[at] = first + i;
        is_open[at] = (unsigned char)open_;
    }
    PyBuffer_Release(&open_view);
    PyBuffer_Release(&lanes_view);
    Py_DECREF(keys);
    if (i < n) {
        PyErr_Format(PyExc_ValueError, "bind_lanes: item %zd is no task key with a place in the arrays", i);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *lanes_of_keys(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    return lanes_of(args, nargs, 0);
}

static PyObject *close_lanes(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    return lanes_of(args, nargs, 1);
}

/* record/lives.py py_who_lanes (its twin, with the contract): the lane of each record's 'who' at its
 * time, where one is known. A thread's ident has a history, (start, lane) tuples in the order of the
 * starts, as its ident is reused: the last lane started by then, else its first. */
static long long lane_in_history(PyObject *history, long long t) {
    Py_ssize_t lo = 0, hi = PyList_GET_SIZE(history);
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        PyObject *entry = PyList_GET_ITEM(history, mid);
        long long start = PyTuple_Check(entry) && PyTuple_GET_SIZE(entry) == 2
                              ? PyLong_AsLongLong(PyTuple_GET_ITEM(entry, 0)) : -1;
        if (start == -1 && PyErr_Occurred()) return -2;
        if (t < start) hi = mid;
        else lo = mid + 1;
    }
    PyObject *entry = PyList_GET_ITEM(history, lo > 0 ? lo - 1 : 0);
    return PyTuple_Check(entry) && PyTuple_GET_SIZE(entry) == 2 ? PyLong_AsLongLong(PyTuple_GET_ITEM(entry, 1)) : -1;
}

static PyObject *who_lanes(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    const char *usage = "who_lanes(whos: list, times: list[int], histories: dict, key_lanes: array('q'))";
    if (nargs != 4 || !PyList_Check(args[0]) || !PyList_Check(args[1]) || !PyDict_Check(args[2]) ||
        PyList_GET_SIZE(args[0]) != PyList_GET_SIZE(args[1])) {
        PyErr_SetString(PyExc_TypeError, usage);
        return NULL;
    }
    PyObject *whos = args[0], *times = args[1], *histories = args[2];
    Py_buffer lanes_view;
    if (item_buffer(args[3], &lanes_view, 8, "key_lanes") < 0) return NULL;
    const long long *key_lanes = lanes_view.buf;
    Py_ssize_t known = lanes_view.len / 8, n = PyList_GET_SIZE(whos);
    PyObject *lanes = PyList_New(n);
    for (Py_ssize_t i = 0; lanes != NULL && i < n; i++) {
        PyObject *who = PyList_GET_ITEM(whos, i);
        long long lane = -1;
        if (PyLong_CheckExact(who)) {
            Py_ssize_t at = key_index(who, known);
            PyObject *history = at < 0 ? PyDict_GetItemWithError(histories, who) : NULL; /* borrowed */
            if (at >= 0) lane = key_lanes[at];
            else if (history != NULL && PyList_Check(history) && PyList_GET_SIZE(history) > 0) {
                long long t = PyLong_AsLongLong(PyList_GET_ITEM(times, i));
                lane = t == -1 && PyErr_Occurred() ? -2 : lane_in_history(history, t);
            }
        }
        PyObject *value = lane < -1 || PyErr_Occurred() ? NULL : PyLong_FromLongLong(lane);
        if (value == NULL) Py_CLEAR(lanes);
        else PyList_SET_ITEM(lanes, i, value);
    }
    PyBuffer_Release(&lanes_view);
    return lanes;
}

/* -------------------------------------------------------------------------------- task_names */

/* The names of the tasks behind weak references, as record/tasks.py py_task_names reads them (its
 * twin): "" for a task gone (its reference dead, or None), or with a default name ("Task-12") when
 * its coroutine has a name, "task" for one whose get_name fails. */
static PyObject *task_names(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyList_Check(args[0]) || !PyList_Check(args[1]) ||
        PyList_GET_SIZE(args[0]) != PyList_GET_SIZE(args[1])) {
        PyErr_SetString(PyExc_TypeError, "task_names(refs: list, coro_names: list) of one length");
        return NULL;
    }
    PyObject *refs = args[0], *coro_names = args[1];
    Py_ssize_t n = PyList_GET_SIZE(refs);
    PyObject *names = PyList_New(n);
    if (names == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *ref = PyList_GET_ITEM(refs, i), *task = NULL;
        if (ref != Py_None && !PyWeakref_Check(ref)) {
            PyErr_SetString(PyExc_TypeError, "task_names takes a list of weak references (or None)");
            Py_DECREF(names);
            return NULL;
        }
        if (ref != Py_None) { /* None: a task gone */
#if PY_VERSION_HEX >= 0x030D0000
            if (PyWeakref_GetRef(ref, &task) < 0) {
                Py_DECREF(names);
                return NULL;
            }
#else
            task = Py_NewRef(PyWeakref_GET_OBJECT(ref));
            if (task == Py_None) Py_CLEAR(task);
#endif
        }
        PyObject *name = task ? PyObject_CallMethodNoArgs(task, s_get_name) : Py_NewRef(s_empty);
        Py_XDECREF(task);
        if (name == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_Exception)) {
                Py_DECREF(names);
                return NULL;
            }
            PyErr_Clear(); /* a foreign task type */
            name = Py_NewRef(s_task);
        } else if (!PyUnicode_Check(name)) {
            Py_SETREF(name, PyObject_Str(name));
            if (name == NULL) {
                Py_DECREF(names);
                return NULL;
            }
        }
        PyObject *coro_name = PyList_GET_ITEM(coro_names, i);
        int named_coro = PyObject_IsTrue(coro_name);
        if (named_coro < 0) {
            Py_DECREF(name);
            Py_DECREF(names);
            return NULL;
        }
        if (named_coro && is_default_name(name)) Py_SETREF(name, Py_NewRef(s_empty));
        PyList_SET_ITEM(names, i, name);
    }
    return names;
}

/* ----------------------------------------------------------------------------------- untrack */

/* Takes a raw buffer (a list) out of the cyclic GC: each of its passes would walk every value in
 * it, and a buffer holds up to hundreds of thousands. Safe because a buffer is never part of a
 * cycle: what it holds (ints, strings, classes, codes, weak references) holds nothing back, and
 * the buffer goes when its recorder does. */
static PyObject *untrack(PyObject *module, PyObject *list) {
    if (!PyList_CheckExact(list)) {
        PyErr_SetString(PyExc_TypeError, "untrack takes a list");
        return NULL;
    }
    if (PyObject_GC_IsTracked(list)) PyObject_GC_UnTrack(list);
    return Py_NewRef(list);
}

/* record/raw_buffers.py py_take_rows (its twin, with the contract): the whole rows of a raw
 * buffer, taken out of it in a list of their own. The buffer keeps its capacity, so it does not
 * grow again from nothing after every batch (slicing and deleting shrank it, and regrowing a list
 * of forty thousand values copied it over and over); the taken list is out of the cyclic GC. */
static PyObject *take_rows(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyList_CheckExact(args[0]) || !PyLong_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "take_rows(buffer: list, fields: int)");
        return NULL;
    }
    PyListObject *buffer = (PyListObject *)args[0];
    Py_ssize_t fields = PyLong_AsSsize_t(args[1]);
    if (fields <= 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "take_rows: fields must be positive");
        return NULL;
    }
    Py_ssize_t size = Py_SIZE(buffer), n = size / fields * fields;
    PyObject *taken = PyList_New(0);
    if (taken == NULL || n == 0) return taken;
#ifdef Py_GIL_DISABLED /* the list's items are not ours to move without the GIL */
    Py_SETREF(taken, PyList_GetSlice((PyObject *)buffer, 0, n));
    if (taken != NULL && PyList_SetSlice((PyObject *)buffer, 0, n, NULL) < 0) Py_CLEAR(taken);
    return taken;
#else
    PyObject **rest = PyMem_New(PyObject *, buffer->allocated);
    if (rest == NULL) {
        Py_DECREF(taken);
        return PyErr_NoMemory();
    }
    memcpy(rest, buffer->ob_item + n, (size_t)(size - n) * sizeof(PyObject *)); /* a row half appended */
    PyListObject *out = (PyListObject *)taken;
    out->ob_item = buffer->ob_item;
    out->allocated = buffer->allocated;
    Py_SET_SIZE(out, n);
    buffer->ob_item = rest;
    Py_SET_SIZE(buffer, size - n);
    PyObject_GC_UnTrack(taken);
    return taken;
#endif
}

/* record/tasks.py py_run_starts (its twin, with the contract): the rows where a run begins, row i
 * being the i-th item of every column (lists of one length); a row continues a run when each of its
 * items is the very object of the row before, as in a batch of tasks made at one line. */
static PyObject *run_starts(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    Py_ssize_t n = nargs > 0 && PyList_CheckExact(args[0]) ? PyList_GET_SIZE(args[0]) : -1;
    for (Py_ssize_t c = 0; c < nargs && n >= 0; c++)
        if (!PyList_CheckExact(args[c]) || PyList_GET_SIZE(args[c]) != n) n = -1;
    if (n < 0) {
        PyErr_SetString(PyExc_TypeError, "run_starts(*columns): lists of one length");
        return NULL;
    }
    PyObject *starts = PyList_New(0);
    for (Py_ssize_t i = 0; i < n && starts != NULL; i++) {
        int same = i > 0;
        for (Py_ssize_t c = 0; c < nargs && same; c++)
            same = PyList_GET_ITEM(args[c], i) == PyList_GET_ITEM(args[c], i - 1);
        if (same) continue;
        PyObject *at = PyLong_FromSsize_t(i);
        if (at == NULL || PyList_Append(starts, at) < 0) Py_CLEAR(starts);
        Py_XDECREF(at);
    }
    return starts;
}

static PyMethodDef speedups_functions[] = {
    {"pack_q", (PyCFunction)pack_q, METH_O, "a list of ints as native int64 bytes"},
    {"untrack", (PyCFunction)untrack, METH_O, "a raw buffer (list) taken out of the cyclic GC"},
    {"take_rows", (PyCFunction)(void (*)(void))take_rows, METH_FASTCALL, "the whole rows of a raw buffer, taken out"},
    {"task_names", (PyCFunction)(void (*)(void))task_names, METH_FASTCALL, "the names of the tasks behind weak references"},
    {"step_columns", (PyCFunction)(void (*)(void))step_columns, METH_FASTCALL, "the run spans of a batch of raw steps"},
    {"suspensions", (PyCFunction)(void (*)(void))suspensions, METH_FASTCALL, "the suspensions a batch of steps ends and begins"},
    {"lanes_of_keys", (PyCFunction)(void (*)(void))lanes_of_keys, METH_FASTCALL, "the lanes of traced tasks' keys"},
    {"bind_lanes", (PyCFunction)(void (*)(void))bind_lanes, METH_FASTCALL, "lanes for task keys, one after another"},
    {"close_lanes", (PyCFunction)(void (*)(void))close_lanes, METH_FASTCALL, "the open lanes of task keys, closed now"},
    {"who_lanes", (PyCFunction)(void (*)(void))who_lanes, METH_FASTCALL, "the lanes of records' makers, where known"},
    {"run_starts", (PyCFunction)(void (*)(void))run_starts, METH_FASTCALL, "where runs of identical rows begin"},
    {"indexes_in", (PyCFunction)(void (*)(void))indexes_in, METH_FASTCALL, "where a column's values are keys of a container"},
    {NULL}};

/* ---------------------------------------------------------------------------------- module */

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT, .m_name = "_speedups", .m_doc = "C hot paths of the threadline probe", .m_size = -1,
    .m_methods = speedups_functions};

PyMODINIT_FUNC PyInit__speedups(void) {
    struct {
        PyObject **slot;
        const char *text;
    } names[] = {{&s_callback, "_callback"},     {&s_self, "__self__"},         {&s_context, "_context"},
                 {&s_args, "_args"},             {&s_run, "run"},               {&s_fut_waiter, "_fut_waiter"},
                 {&s_get_coro, "get_coro"},      {&s_cr_await, "cr_await"},     {&s_cr_code, "cr_code"},
                 {&s_contended, "_contended"},   {&s_contended_release, "_contended_release"},
                 {&s_done, "done"},              {&s_get_name, "get_name"},     {&s_cancelled, "cancelled"},
                 {&s_cancel_message, "_cancel_message"}, {&s_exception, "_exception"}, {&s_result, "_result"}, {&s_cancelling, "cancelling"}, {&s_children, "_children"}, {&s_await, "await"},
                 {&s_empty, ""},                 {&s_task_factory, "_task_factory"}, {&s_closed, "_closed"},
                 {&s_source_traceback, "_source_traceback"}, {&s_name, "__name__"}, {&s_qualname, "__qualname__"},
                 {&s_loop, "loop"}, {&s_kw_name, "name"}, {&s_kw_context, "context"}, {&s_task, "task"}, {&s_name_attr, "_name"}, {&s_target, "_target"}, {&s_module, "__module__"},
                 {&s_invoke_excepthook, "_invoke_excepthook"},
                 {&s_own_prefix, "threadline-"}, 
                 {&s_helpers, "helpers"}, {&s_threads, "threads"}, {&s_tl_idx, "_tl_idx"}, {&s_tl_on, "_tl_on"}, {&s_dunder_init, "__init__"},                 {&s_ellipsis, "\u2026"},      {&s_task_prefix, "Task-"}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        *names[i].slot = PyUnicode_InternFromString(names[i].text);
        if (*names[i].slot == NULL) return NULL;
    }
    TaskRefType.tp_base = &_PyWeakref_RefType;
    if (PyType_Ready(&StepBufferType) < 0 || PyType_Ready(&StepHookType) < 0 || PyType_Ready(&LockCoreType) < 0 || PyType_Ready(&TaskRefType) < 0 ||
        PyType_Ready(&TaskKeysType) < 0 || PyType_Ready(&TaskCreatorType) < 0 || PyType_Ready(&ThreadStarterType) < 0 ||
        PyType_Ready(&ErrorNoteType) < 0 || PyType_Ready(&ThreadRunnerType) < 0 ||
        PyType_Ready(&GateType) < 0 || PyType_Ready(&InitGateType) < 0 ||
        PyType_Ready(&CallerGateType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&speedups_module);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "StepBuffer", (PyObject *)&StepBufferType) < 0 ||
        PyModule_AddObjectRef(m, "StepHook", (PyObject *)&StepHookType) < 0 ||
        PyModule_AddObjectRef(m, "LockCore", (PyObject *)&LockCoreType) < 0 ||
        PyModule_AddObjectRef(m, "TaskKeys", (PyObject *)&TaskKeysType) < 0 ||
        PyModule_AddObjectRef(m, "TaskRef", (PyObject *)&TaskRefType) < 0 ||
        PyModule_AddObjectRef(m, "TaskCreator", (PyObject *)&TaskCreatorType) < 0 ||
        PyModule_AddObjectRef(m, "ThreadStarter", (PyObject *)&ThreadStarterType) < 0 ||
        PyModule_AddObjectRef(m, "ThreadRunner", (PyObject *)&ThreadRunnerType) < 0 ||
        PyModule_AddObjectRef(m, "Gate", (PyObject *)&GateType) < 0 ||
        PyModule_AddObjectRef(m, "InitGate", (PyObject *)&InitGateType) < 0 ||
        PyModule_AddObjectRef(m, "CallerGate", (PyObject *)&CallerGateType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
