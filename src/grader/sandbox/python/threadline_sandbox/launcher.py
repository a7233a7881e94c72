"""Starts one grading kernel under its limits: `python -c <this file> CONFIG -- KERNEL ARGV…`
(kernelLimits.ts passes the text, so nothing is imported from disk).

It sets the rlimits, joins the kernel's cgroups, then becomes the kernel. With "hide" in CONFIG
the kernel is also isolated (Linux):

- its own PID namespace, where it is PID 1 of a fresh /proc: it sees neither the grader (command
  line, environment) nor anything else on the machine, and whatever it starts dies with it;
- its own mount namespace and root: the kernel sees only what it needs, read-only (the system's
  /usr, /lib, /etc, its Python, the probe, its connection file), plus its working copy of the
  course, a private /tmp and /dev/shm (all three in memory and capped, so a submission cannot
  fill a disk); no sources, gradebook, submissions, other kernels' connection files or home
  folders. /proc/sys and /sys are read-only, so are the cgroups;
- with "network": false, its own network namespace: no interface but a loopback of its own, so
  it reaches nothing (no other host, no service of the machine, no other kernel); it talks to the
  grader over Unix sockets in the folder "sockets", the only writable folder it shares;
- no capabilities and no way to gain any (setuid binaries included), so it cannot undo any of
  that, even as root; "hide" lists what must stay hidden even inside what it sees.

The launcher stays as the kernel's parent: it waits for it and ends the same way, so the grader
sees the kernel's own exit. Not root: a user namespace gives the same, where the system allows it.
"""

import ctypes
import fcntl
import json
import os
import resource
import shutil
import signal
import socket
import struct
import sys

CONFIG = json.loads(sys.argv[1])
ARGV = sys.argv[sys.argv.index("--") + 1 :]

CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x20000000, 0x10000000, 0x40000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 1
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 24, 38
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/sys")
SECRETS = ("/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-", "/etc/ssh", "/etc/sudoers", "/etc/sudoers.d")
DEVICES = ("null", "zero", "full", "random", "urandom")
libc = ctypes.CDLL(None, use_errno=True)


def check(result, what):
    if result != 0:
        raise OSError(ctypes.get_errno(), f"{what}: {os.strerror(ctypes.get_errno())}")


def encode(text):
    return text.encode() if text is not None else None


def mount(source, target, fstype=None, flags=0, data=None):
    check(
        libc.mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data)),
        f"mount {target}",
    )


def limit(which, value):
    if value is None:
        return
    try:
        _, hard = resource.getrlimit(which)
        value = min(value, hard) if hard != resource.RLIM_INFINITY else value
        resource.setrlimit(which, (value, value))
    except (ValueError, OSError):
        pass


def wait_and_mirror(kernel):
    """The launcher: waits for the kernel, then ends the same way (exit code or signal)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupts are for the kernel (same process group)
    while True:
        try:
            _, status = os.waitpid(kernel, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(1)
    if os.WIFSIGNALED(status):
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    os._exit(os.waitstatus_to_exitcode(status))


def mount_points():
    """(mount point, flags to keep when remounting it read-only) of every mount."""
    keep = {
        "nosuid": MS_NOSUID,
        "nodev": MS_NODEV,
        "noexec": MS_NOEXEC,
        "noatime": 1024,
        "nodiratime": 2048,
        "relatime": 1 << 21,
    }
    with open("/proc/self/mountinfo") as f:
        rows = [line.split() for line in f]
    return [(row[4].replace("\\040", " "), sum(keep.get(option, 0) for option in row[5].split(","))) for row in rows]


def loopback_up():
    """A new network namespace has a loopback that is down: up, the kernel can still talk to itself."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16s24x", b"lo")
        (flags,) = struct.unpack_from("H", fcntl.ioctl(s, SIOCGIFFLAGS, request), 16)
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))


def build_root(new, cwd, connection, sockets, hide):
    """Mounts at `new` the tree the kernel will see (see the module's docstring)."""
    wanted = [*SYSTEM, sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, os.path.dirname(ARGV[0])]
    wanted += [p for p in sys.path if p and os.path.isdir(p)]
    # paths are opened first: the private /tmp mounted below may hide some of them
    sources = {}
    shared = [p for p in (connection, sockets) if p]
    for path in [*wanted, cwd, *shared]:
        real = os.path.realpath(path)
        if os.path.exists(real) and real not in sources:
            sources[real] = os.open(real, os.O_PATH)
    links = {path: os.path.realpath(path) for path in wanted if os.path.exists(path) and os.path.realpath(path) != path}
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    os.mkdir(new)
    mount("tmpfs", new, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755")

    def place(real):
        target = new + real
        if os.path.isdir(f"/proc/self/fd/{sources[real]}"):
            os.makedirs(target, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            open(target, "a").close()
        mount(f"/proc/self/fd/{sources[real]}", target, None, MS_BIND | MS_REC)

    # the private folders first: the kernel's Python may itself live under /tmp
    os.makedirs(new + "/dev")
    mount("tmpfs", new + "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755")
    for name in DEVICES:
        open(f"{new}/dev/{name}", "a").close()
        mount(f"/dev/{name}", f"{new}/dev/{name}", None, MS_BIND)
    for name, target in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
        ("ptmx", "pts/ptmx"),
    ):
        os.symlink(target, f"{new}/dev/{name}")
    os.makedirs(new + "/dev/pts")  # a terminal of its own: IPython's `!cmd` runs in one
    mount("devpts", new + "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620")
    # in memory (charged to the kernel's memory limit) and capped: a submission cannot fill a disk
    room = CONFIG.get("fsize") or 256 << 20
    for private in ("/dev/shm", "/tmp"):
        os.makedirs(new + private, exist_ok=True)
        mount("tmpfs", new + private, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={room}")
    placed = []
    for real in sorted(sources, key=len):
        if real in (cwd, *shared) or any(real.startswith(p + os.sep) for p in placed):
            continue  # seen through a folder placed before
        place(real)
        placed.append(real)
    for path, real in links.items():  # /lib64 -> usr/lib64, a venv's python -> the base one…
        if not os.path.lexists(new + path):
            os.makedirs(os.path.dirname(new + path), exist_ok=True)
            os.symlink(real, new + path)
    os.makedirs(new + "/proc", exist_ok=True)
    mount("proc", new + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mount(new + "/proc/sys", new + "/proc/sys", None, MS_BIND | MS_REC)
    if os.path.exists(new + "/proc/sysrq-trigger"):
        mount("/dev/null", new + "/proc/sysrq-trigger", None, MS_BIND)
    for path in [*SECRETS, *hide]:
        target = new + os.path.realpath(path)
        if os.path.isdir(target):
            mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=555")
        elif os.path.exists(target):
            mount("/dev/null", target, None, MS_BIND)
    # the working copy too: a copy of the grader's, with `room` to write in
    copy = f"/proc/self/fd/{sources[cwd]}"
    used = sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(copy) for f in files)
    if used > 1 << 30:  # the grader copies at most 256 MB of support files: this is not one of its copies
        raise OSError(27, f"the working folder {cwd} holds {used >> 20} MB, too much to copy")
    os.makedirs(new + cwd, exist_ok=True)
    mount("tmpfs", new + cwd, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=755,size={used + room}")
    shutil.copytree(copy, new + cwd, symlinks=True, dirs_exist_ok=True)
    for path in shared:
        place(path)
    # everything read-only, but the working copy, the private /tmp and /dev/shm, and the sockets' folder
    writable = {new + cwd, new + "/tmp", new + "/dev/shm", new + "/dev/pts", *([new + sockets] if sockets else [])}
    for point, flags in mount_points():
        if (point == new or point.startswith(new + "/")) and point not in writable:
            try:
                mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)
            except OSError:
                pass  # a mount whose flags cannot change here (already read-only, or locked)
    for fd in sources.values():
        os.close(fd)


def isolate(hide, network, sockets):
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWNS | CLONE_NEWPID | (0 if uid == 0 else CLONE_NEWUSER) | (0 if network else CLONE_NEWNET)
    check(libc.unshare(flags), "unshare")
    if uid != 0:
        for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
    if not network:
        loopback_up()
    kernel = os.fork()
    if kernel:
        wait_and_mirror(kernel)
    # the kernel, PID 1 of its namespace: any failure from here on ends it with the reason (the
    # grader checked beforehand that this machine allows all of it)
    check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PDEATHSIG)")  # launcher gone: kernel too
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    cwd = os.path.realpath(os.getcwd())
    connection = os.path.realpath(ARGV[ARGV.index("-f") + 1]) if "-f" in ARGV else None
    new = "/tmp/.threadline-root"
    build_root(new, cwd, connection, sockets and os.path.realpath(sockets), hide)
    os.chroot(new)
    os.chdir(cwd)
    os.makedirs("/tmp/home", exist_ok=True)
    os.environ["HOME"] = "/tmp/home"
    with open("/proc/sys/kernel/cap_last_cap") as f:
        last = int(f.read())
    for cap in range(last + 1):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)  # nothing after exec, even as root
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")


if sys.platform == "linux":
    # the grader killed (kill -9): so is this process, kernel or launcher (ipykernel's own watch
    # on its parent would only see the launcher)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != CONFIG["grader"]:
        os._exit(1)
limit(resource.RLIMIT_CORE, 0)
limit(resource.RLIMIT_AS, CONFIG.get("as"))
limit(resource.RLIMIT_CPU, CONFIG.get("cpu"))
limit(resource.RLIMIT_FSIZE, CONFIG.get("fsize"))
if os.getuid() != 0:
    limit(resource.RLIMIT_NPROC, CONFIG.get("nproc"))
for procs in CONFIG.get("cgroups", []):
    try:
        with open(procs, "w") as f:
            f.write(str(os.getpid()))
    except OSError as e:
        print(f"threadline: could not join cgroup {procs}: {e}", file=sys.stderr)
if len(ARGV) > 2 and ARGV[1] == "-m":
    # -P: while the kernel starts, no file of the working folder (a submission's
    # `ipykernel_launcher.py` or `threadline.py`) can stand in for a module it loads; the guard
    # puts the folder back on sys.path before any student code runs, where IPython puts it
    ARGV.insert(1, "-P")
if CONFIG.get("hide") is not None:
    try:
        isolate(CONFIG["hide"], CONFIG.get("network", True), CONFIG.get("sockets"))
    except OSError as e:
        print(f"threadline: could not isolate the kernel ({e})", file=sys.stderr)
        os._exit(70)
os.execvp(ARGV[0], ARGV)
