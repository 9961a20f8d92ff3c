"""threadtop's CPython demo: CPU-bound pure-Python work in N `threading` threads (py-threads)
or in N `multiprocessing` processes (py-procs), so that the GIL can be watched for real; N
threads hashing big buffers, then doing arithmetic (py-hash-threads); N asyncio waits in one
thread (py-asyncio); py-threads' work under the names of py-nogil's two halves (py-gil, py-nogil).

    python3 -c "$(cat gil_demo.py)" KIND --workers N --seconds S [--index I] [--report-fd FD]

threadtop runs it embedded in its binary (`python3 -c SCRIPT ...`), in a process it started
with stdio on /dev/null, its own process group and PR_SET_PDEATHSIG(SIGKILL) already armed (the
setting survives exec). It speaks the same one-line protocol as threadtop's own demo workers on
the report fd (see src/lab/protocol.rs): `progress INDEX OPS CPU_NS`, `done INDEX OPS CPU_NS
CAUSE`, `child INDEX PID`, `error INDEX MESSAGE`. Each line is written with one os.write of far
less than PIPE_BUF bytes, so lines from several processes sharing the pipe never interleave.
Figures are cumulative per process: the parent of py-procs reports as INDEX, its children as
INDEX+1.. so that the supervisor sums them.

Standard library only. Works with a GIL build and a free-threaded one (3.13t and later).
"""

import os
import signal
import sys
import threading
import time

# Rounds of xorshift in one operation: about a millisecond of pure-Python arithmetic, so the
# per-op bookkeeping is noise and a stop is noticed at once.
OP_ROUNDS = 5000
MASK = (1 << 64) - 1
# How often progress is reported, as threadtop's own workers do.
REPORT_EVERY = 0.25
# How often the otherwise idle main thread looks for a stop signal or a lost parent.
POLL = 0.05
# prctl(2) options and the signal for PR_SET_PDEATHSIG.
PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15
SIGKILL = 9

# py-hash-threads hashes buffers of this size (catalog::HASH_BUFFER_KIB): hashlib releases the
# GIL for inputs of 2,048 bytes or more.
HASH_BUFFER_KIB = 256
# Each py-asyncio wait (catalog::ASYNC_DELAY_MS): one asyncio.sleep, or the server's delay.
ASYNC_DELAY_MS = 100

STOP = threading.Event()
SIGNALLED = False


def libc():
    """libc through ctypes, or None: names and PDEATHSIG are then skipped, not fatal."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True)
    except (ImportError, OSError):
        return None


LIBC = libc()


def set_name(name):
    """Names the calling thread (the process, when called on the main thread); Linux keeps 15
    bytes."""
    if LIBC is None:
        return
    try:
        import ctypes

        LIBC.prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)
    except (AttributeError, OSError):
        pass


def arm_pdeathsig(parent):
    """Dies with SIGKILL when `parent` dies; exits at once if it has died already."""
    if LIBC is not None:
        try:
            import ctypes

            LIBC.prctl(PR_SET_PDEATHSIG, ctypes.c_ulong(SIGKILL), 0, 0, 0)
        except (AttributeError, OSError):
            pass
    # If the parent died before the prctl above, the signal will never come.
    if os.getppid() != parent:
        os._exit(0)


class Reporter:
    def __init__(self, fd):
        self.fd = fd

    def send(self, line):
        """Writes one line; False once threadtop's end of the pipe is gone."""
        if self.fd is None:
            return True
        try:
            os.write(self.fd, (line + "\n").encode())
            return True
        except OSError:
            self.fd = None
            return False


def op_block(x):
    """One operation: arithmetic the interpreter cannot skip, holding the GIL throughout."""
    for _ in range(OP_ROUNDS):
        x ^= (x << 13) & MASK
        x ^= x >> 7
        x ^= (x << 17) & MASK
    return x


def on_stop_signal(_signum, _frame):
    global SIGNALLED
    SIGNALLED = True
    STOP.set()


def end_cause(deadline, parent):
    if SIGNALLED:
        return "signal"
    # PDEATHSIG normally kills us first; this covers the window before it was armed.
    if os.getppid() != parent:
        return "orphan"
    if time.monotonic() >= deadline:
        return "deadline"
    return None


def cpu_ns():
    """CPU time of this process, all its threads."""
    return time.process_time_ns()


def phase_line(index, name, ops, wall_s, cpu):
    return "phase %d %s %d %d %d" % (index, name, ops, int(wall_s * 1e9), cpu)


def run_threads(out, workers, deadline, parent, index, kind="py-threads", seconds=0.0):
    """py-threads; py-gil and py-nogil report their run as one phase; py-hash-threads hashes
    for the first half of its time, then does py-threads' arithmetic, one phase each."""
    counts = [0] * workers
    mode = ["hash" if kind == "py-hash-threads" else "pure"]

    def work(i):
        set_name("py-%d" % i)
        x = i + 1
        if mode[0] == "hash":
            import hashlib

            buf = bytes(range(256)) * (HASH_BUFFER_KIB * 4)
            while not STOP.is_set() and mode[0] == "hash":
                hashlib.sha256(buf).digest()
                counts[i] += 1
        while not STOP.is_set():
            x = op_block(x)
            counts[i] += 1

    threads = [threading.Thread(target=work, args=(i,), name="py-%d" % i, daemon=True) for i in range(workers)]
    began = time.monotonic()
    phase_start = (began, cpu_ns(), 0)
    switch_at = began + seconds / 2 if kind == "py-hash-threads" else None
    for t in threads:
        t.start()
    next_report = time.monotonic()
    while True:
        cause = end_cause(deadline, parent)
        if cause:
            break
        now = time.monotonic()
        if switch_at is not None and now >= switch_at:
            ops, cpu = sum(counts), cpu_ns()
            out.send(phase_line(index, "hash", ops - phase_start[2], now - phase_start[0], cpu - phase_start[1]))
            phase_start = (now, cpu, ops)
            mode[0] = "pure"
            switch_at = None
        if now >= next_report:
            if not out.send("progress %d %d %d" % (index, sum(counts), cpu_ns())):
                cause = "orphan"
                break
            next_report = now + REPORT_EVERY
        time.sleep(max(0.0, min(POLL, next_report - now, deadline - now)))
    STOP.set()
    for t in threads:
        t.join()
    name = {"py-hash-threads": mode[0], "py-gil": "gil", "py-nogil": "nogil"}.get(kind)
    ops, cpu, now = sum(counts), cpu_ns(), time.monotonic()
    if name:
        out.send(phase_line(index, name, ops - phase_start[2], now - phase_start[0], cpu - phase_start[1]))
    out.send("done %d %d %d %s" % (index, ops, cpu, cause))
    return 0


def run_asyncio(out, waits, deadline, parent, index):
    """py-asyncio: on this one thread, N asyncio sleeps at once, N requests at once to a server
    in the same event loop that answers after ASYNC_DELAY_MS, then the same one by one."""
    import asyncio
    import socket

    delay = ASYNC_DELAY_MS / 1000.0
    done = [0]

    async def walk():
        loop = asyncio.get_running_loop()
        # A socket made here, given to the server, and numeric addresses: no resolver, whose
        # lookups asyncio would run in a thread pool.
        lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(waits + 16)
        lsock.setblocking(False)
        port = lsock.getsockname()[1]

        async def handle(reader, writer):
            try:
                await reader.read(1)
                await asyncio.sleep(delay)
                writer.write(b"k")
                await writer.drain()
            finally:
                writer.close()

        server = await asyncio.start_server(handle, sock=lsock, backlog=waits + 16)

        async def request():
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                await loop.sock_connect(s, ("127.0.0.1", port))
                await loop.sock_sendall(s, b"q")
                if await loop.sock_recv(s, 1) != b"k":
                    raise RuntimeError("the loopback server did not answer")
            finally:
                s.close()

        async def one(what):
            if what == "sleep":
                await asyncio.sleep(delay)
            else:
                await request()
            done[0] += 1

        try:
            for name, what, together in (
                ("sleeps_concurrent", "sleep", True),
                ("requests_concurrent", "request", True),
                ("sleeps_sequential", "sleep", False),
                ("requests_sequential", "request", False),
            ):
                t0, c0, o0 = time.monotonic(), cpu_ns(), done[0]
                if together:
                    await asyncio.gather(*(one(what) for _ in range(waits)))
                else:
                    for _ in range(waits):
                        await one(what)
                out.send(phase_line(index, name, done[0] - o0, time.monotonic() - t0, cpu_ns() - c0))
        finally:
            server.close()

    async def main():
        work = asyncio.ensure_future(walk())
        cause = None
        next_report = 0.0
        while not work.done():
            cause = end_cause(deadline, parent)
            if cause:
                work.cancel()
                break
            now = time.monotonic()
            if now >= next_report:
                if not out.send("progress %d %d %d" % (index, done[0], cpu_ns())):
                    cause = "orphan"
                    work.cancel()
                    break
                next_report = now + REPORT_EVERY
            await asyncio.wait([work], timeout=POLL)
        try:
            await work
        except asyncio.CancelledError:
            pass
        return cause or "deadline"

    cause = asyncio.run(main())
    out.send("done %d %d %d %s" % (index, done[0], cpu_ns(), cause))
    return 0


def proc_main(out, i, deadline, parent, index):
    """One multiprocessing worker: a process of its own with one thread that spins."""
    set_name("tt-py-proc-%d" % i)
    arm_pdeathsig(parent)
    x = i + 1
    ops = 0
    next_report = time.monotonic()
    cause = None
    while cause is None:
        now = time.monotonic()
        if now >= next_report:
            cause = end_cause(deadline, parent)
            if cause:
                break
            if not out.send("progress %d %d %d" % (index, ops, cpu_ns())):
                cause = "orphan"
                break
            next_report = now + REPORT_EVERY
        if SIGNALLED:
            cause = "signal"
            break
        if now >= deadline:
            cause = "deadline"
            break
        x = op_block(x)
        ops += 1
    out.send("done %d %d %d %s" % (index, ops, cpu_ns(), cause))


def run_procs(out, workers, deadline, parent, index):
    import multiprocessing

    # fork: the children inherit the report fd and need no importable __main__ (we run as -c).
    ctx = multiprocessing.get_context("fork")
    me = os.getpid()
    procs = []
    failure = None
    for i in range(workers):
        p = ctx.Process(target=proc_main, args=(out, i, deadline, me, index + 1 + i), name="py-%d" % i, daemon=True)
        try:
            p.start()
        except OSError as e:
            failure = "cannot start process py-%d: %s" % (i, e)
            break
        procs.append(p)
        out.send("child %d %d" % (index, p.pid))
    cause = None
    next_report = time.monotonic()
    while failure is None:
        cause = end_cause(deadline, parent)
        if cause:
            break
        now = time.monotonic()
        if now >= next_report:
            if not out.send("progress %d 0 %d" % (index, cpu_ns())):
                cause = "orphan"
                break
            next_report = now + REPORT_EVERY
        if any(p.exitcode not in (None, 0) for p in procs):
            failure = "a worker process ended unasked"
            break
        time.sleep(max(0.0, min(POLL, next_report - now, deadline - now)))
    if cause != "deadline":
        # A stop or a failure: the children may not have seen it (a user's kill of this PID).
        for p in procs:
            if p.exitcode is None:
                p.terminate()
    for p in procs:
        p.join()
    if failure:
        out.send("error %d %s" % (index, failure))
        return 1
    out.send("done %d 0 %d %s" % (index, cpu_ns(), cause))
    return 0


def parse(argv):
    if not argv:
        raise ValueError("missing the demo kind")
    kind, rest = argv[0], argv[1:]
    opts = {"--workers": None, "--seconds": None, "--index": "0", "--report-fd": None}
    while rest:
        if len(rest) < 2 or rest[0] not in opts:
            raise ValueError("bad option %s" % rest[0])
        opts[rest[0]] = rest[1]
        rest = rest[2:]
    if kind not in ("py-threads", "py-procs", "py-asyncio", "py-hash-threads", "py-gil", "py-nogil"):
        raise ValueError("unknown kind %s" % kind)
    if opts["--workers"] is None or opts["--seconds"] is None:
        raise ValueError("--workers and --seconds are needed")
    workers = int(opts["--workers"])
    seconds = float(opts["--seconds"])
    if workers < 1 or not (0 < seconds <= 600):
        raise ValueError("--workers %d --seconds %s out of range" % (workers, seconds))
    fd = None if opts["--report-fd"] is None else int(opts["--report-fd"])
    return kind, workers, seconds, int(opts["--index"]), fd


def main(argv):
    kind, workers, seconds, index, fd = parse(argv)
    # First thing, so that the process is not seen as python3 for long (15 bytes at most).
    set_name({"py-hash-threads": "tt-py-hash"}.get(kind, "tt-" + kind))
    parent = os.getppid()
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_stop_signal)
    out = Reporter(fd)
    deadline = time.monotonic() + seconds
    try:
        if kind == "py-procs":
            return run_procs(out, workers, deadline, parent, index)
        if kind == "py-asyncio":
            return run_asyncio(out, workers, deadline, parent, index)
        return run_threads(out, workers, deadline, parent, index, kind, seconds)
    except Exception as e:  # noqa: BLE001 - anything unexpected is reported, not printed
        out.send("error %d %s: %s" % (index, type(e).__name__, str(e).replace("\n", " ")))
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
