"""Shared helpers for the benchmarks in this folder (standard library only).

* ``FakeServer``: runs ``python -m gradientai_rs.testing`` in its OWN subprocess, so the fake's CPU time is never
  counted as client CPU (``time.process_time()`` only counts the benchmark process: the main thread, and also
  the Rust/tokio worker threads of ``gradientai_rs``, which is correct — they are client work).
* ``run_interleaved``: runs variants round-robin (A B C, B C A, C A B, ...) so that machine noise hits every
  variant alike; each run records wall (``time.perf_counter``) and client CPU (``time.process_time``).
* ``child_rss_main`` / ``measure_rss_in_child``: peak-RSS measurement of one variant in a fresh child process.
* statistics (median, quartiles), ratios, PASS/FAIL targets, table printing, and JSON output.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import selectors
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
API_KEY = "bench-token"  # the fake runs with --any-token
PER_PAGE = 200

# --------------------------------------------------------------------------------------------- environment


def _version(mod: str) -> Optional[str]:
    try:
        from importlib.metadata import version

        return version(mod)
    except Exception:
        return None


def environment() -> Dict[str, Any]:
    """Versions and machine facts, printed in every header and saved in every JSON."""
    env: Dict[str, Any] = {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(),
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    try:
        import gradientai_rs

        env["gradientai_rs"] = gradientai_rs.__version__
        env["gradientai_rs_debug_build"] = bool(gradientai_rs._core.DEBUG_BUILD)
        env["gradientai_rs_default_max_concurrency"] = gradientai_rs.DEFAULT_MAX_CONCURRENCY
        so = Path(gradientai_rs._core.__file__)
        st = so.stat()
        env["gradientai_rs_core"] = {
            "file": so.name,
            "bytes": st.st_size,
            "mtime": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(st.st_mtime)),
        }
    except Exception as exc:  # pragma: no cover - reported, not fatal
        env["gradientai_rs"] = f"import failed: {exc!r}"
    try:
        import do_gradientai

        env["do_gradientai"] = do_gradientai.__version__
    except Exception as exc:  # pragma: no cover
        env["do_gradientai"] = f"import failed: {exc!r}"
    for mod in ("httpx", "pydantic", "pyarrow", "pandas"):
        env[mod] = _version(mod)
    return env


def print_header(title: str, env: Dict[str, Any], mode: str) -> None:
    print(f"== {title} ({mode} mode)")
    print(
        f"   Python {env['python']} ({env['implementation']}) | gradientai_rs {env.get('gradientai_rs')}"
        f" (debug build: {env.get('gradientai_rs_debug_build')}) | do_gradientai {env.get('do_gradientai')}"
        f" | httpx {env.get('httpx')} | pydantic {env.get('pydantic')}"
    )
    print(
        f"   pyarrow {env.get('pyarrow')} | pandas {env.get('pandas')} | nproc {env['nproc']}"
        f" (usable {env['usable_cpus']}) | loadavg {env['loadavg_at_start']} | {env['platform']}"
    )
    core = env.get("gradientai_rs_core") or {}
    print(f"   extension {core.get('file')} built {core.get('mtime')} ({core.get('bytes')} bytes)")
    sys.stdout.flush()


def base_parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="fewer repetitions (CI smoke run, < 60 s)")
    p.add_argument("--reps", type=int, default=None, help="override the number of measured rounds")
    p.add_argument("--no-save", action="store_true", help="don't write benchmarks/results/<name>.json")
    return p


# --------------------------------------------------------------------------------------------- the fake server


class ChildProcess:
    """A helper process that prints one line (its URL, its port...) on stdout when it is ready, then serves until
    SIGTERM. ``run(cmd)`` starts it and returns that line; ``stop()`` (or the ``with`` block's end) ends it."""

    def __init__(self, startup_timeout: float = 180.0) -> None:
        self.startup_timeout = startup_timeout
        self.proc: Optional[subprocess.Popen] = None
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())

    def run(self, cmd: Sequence[str]) -> str:
        self.proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=self._stderr, stdin=subprocess.DEVNULL)
        assert self.proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + self.startup_timeout
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                self.stop()
                raise RuntimeError(f"{cmd[1:]} printed nothing within {self.startup_timeout}s: {self._err()}")
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                self.stop()
                raise RuntimeError(f"{cmd[1:]} exited before its first line: {self._err()}")
            line += chunk
        sel.close()
        return line.decode().strip().splitlines()[0]

    def _err(self) -> str:
        try:
            self._stderr.seek(0)
            return self._stderr.read().decode(errors="replace")[-2000:]
        except Exception:
            return ""

    def stop(self) -> None:
        p = self.proc
        if p is None:
            return
        self.proc = None
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        if p.stdout is not None:
            p.stdout.close()

    def __enter__(self) -> "ChildProcess":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class FakeServer(ChildProcess):
    """``python -m gradientai_rs.testing`` in a subprocess; ``url`` is valid inside the ``with`` block.

    The fake accepts any bearer token and gets a huge hourly quota so that long benchmark sessions never hit its
    (simulated) 5,000 requests/hour limit.
    """

    def __init__(
        self,
        snapshots: int,
        latency_ms: float = 0.0,
        seed: int = 7,
        extra_args: Sequence[str] = (),
        startup_timeout: float = 180.0,
    ) -> None:
        super().__init__(startup_timeout)
        self.snapshots = snapshots
        self.latency_ms = latency_ms
        self.seed = seed
        self.extra_args = list(extra_args)
        self.url: str = ""

    def start(self) -> "FakeServer":
        self.url = self.run(
            [
                sys.executable,
                "-m",
                "gradientai_rs.testing",
                "--port",
                "0",
                "--snapshots",
                str(self.snapshots),
                "--seed",
                str(self.seed),
                "--latency-ms",
                str(self.latency_ms),
                "--any-token",
                "--hourly-remaining",
                "1000000000",
                *self.extra_args,
            ]
        )
        return self

    def __enter__(self) -> "FakeServer":
        return self.start()


# --------------------------------------------------------------------------------------------- measuring


def timed(fn: Callable[[], Any]) -> tuple:
    """(result, wall seconds, client CPU seconds) of one call."""
    w0 = time.perf_counter()
    c0 = time.process_time()
    result = fn()
    c1 = time.process_time()
    w1 = time.perf_counter()
    return result, w1 - w0, c1 - c0


class Variant:
    """A named benchmark variant: ``run()`` is timed; then ``post(result)`` (e.g. touching every snapshot) is
    timed separately; wall/CPU totals are run + post. ``check(result)`` (untimed) may raise on a wrong answer."""

    def __init__(
        self,
        name: str,
        run: Callable[[], Any],
        post: Optional[Callable[[Any], Any]] = None,
        check: Optional[Callable[[Any], Any]] = None,
    ) -> None:
        self.name = name
        self.run = run
        self.post = post
        self.check = check


def _new_record() -> Dict[str, Any]:
    return {"wall": [], "cpu": [], "run_wall": [], "run_cpu": [], "post_wall": [], "post_cpu": [], "error": None}


def run_one(v: Variant, rec: Dict[str, Any], measure: bool) -> None:
    gc.collect()  # outside the timed region: don't bill one variant for another's garbage
    try:
        result, w, c = timed(v.run)
        pw = pc = 0.0
        if v.post is not None:
            _, pw, pc = timed(lambda: v.post(result))
        if v.check is not None:
            v.check(result)
    except Exception as exc:
        rec["error"] = f"{type(exc).__name__}: {exc}"
        rec["traceback"] = traceback.format_exc()
        print(f"   !! variant {v.name!r} failed: {rec['error']}", flush=True)
        return
    finally:
        result = None
    if measure:
        rec["wall"].append(w + pw)
        rec["cpu"].append(c + pc)
        rec["run_wall"].append(w)
        rec["run_cpu"].append(c)
        rec["post_wall"].append(pw)
        rec["post_cpu"].append(pc)


def run_interleaved(
    variants: Sequence[Variant], rounds: int, warmup: int = 1, label: str = "", progress: bool = True
) -> Dict[str, Dict[str, Any]]:
    """Warm-up rounds, then ``rounds`` measured rounds; round r runs the variants rotated by r (A B C, B C A, ...).
    A variant that raises is reported and dropped from the following rounds (its record keeps the error)."""
    recs = {v.name: _new_record() for v in variants}
    n = len(variants)
    # Move everything alive now (imports, clients, fetched inputs) to the permanent generation: the per-run
    # gc.collect() then stays cheap, and neither variant pays for scanning the import-time heap.
    gc.collect()
    gc.freeze()
    t0 = time.perf_counter()
    for r in range(warmup + rounds):
        measure = r >= warmup
        for k in range(n):
            v = variants[(k + r) % n]
            rec = recs[v.name]
            if rec["error"] is None:
                run_one(v, rec, measure)
        if progress and (r + 1 == warmup + rounds or (r + 1) % max(1, (warmup + rounds) // 5) == 0):
            print(f"   {label} round {r + 1}/{warmup + rounds} ({time.perf_counter() - t0:.1f}s)", flush=True)
    return recs


# --------------------------------------------------------------------------------------------- statistics


def median(xs: Sequence[float]) -> Optional[float]:
    return statistics.median(xs) if xs else None


def quartiles(xs: Sequence[float]) -> tuple:
    if len(xs) < 2:
        return (xs[0], xs[0]) if xs else (None, None)
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[2]


def summary(rec: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {"n": len(rec["wall"]), "error": rec.get("error")}
    for key in ("wall", "cpu", "run_wall", "run_cpu", "post_wall", "post_cpu"):
        xs = rec[key]
        q1, q3 = quartiles(xs)
        out[key] = {"median": median(xs), "q1": q1, "q3": q3, "min": min(xs) if xs else None, "samples": xs}
    return out


def med(summ: Dict[str, Any], key: str = "wall") -> Optional[float]:
    if not summ or summ.get(key) is None:
        return None
    return summ[key]["median"]


def ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_s(x: Optional[float]) -> str:
    """Seconds, printed in a readable unit."""
    if x is None:
        return "n/a"
    if x >= 1:
        return f"{x:.3f} s"
    if x >= 1e-3:
        return f"{x * 1e3:.2f} ms"
    return f"{x * 1e6:.1f} us"


def fmt_x(x: Optional[float]) -> str:
    return "n/a" if x is None else f"{x:.2f}x"


def fmt_mib(kib: Optional[float]) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.1f} MiB"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[str(c) for c in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    print("   " + "  ".join(h.ljust(w) for h, w in zip(cells[0], widths)))
    print("   " + line)
    for r in cells[1:]:
        print("   " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    sys.stdout.flush()


def timing_rows(summaries: Dict[str, Dict[str, Any]], order: Sequence[str]) -> List[List[str]]:
    """Rows: variant, n, median wall [q1..q3], median client CPU [q1..q3], or the error."""
    rows = []
    for name in order:
        s = summaries.get(name)
        if s is None:
            continue
        if s["n"] == 0:
            rows.append([name, 0, f"ERROR: {s['error']}", ""])
            continue
        w, c = s["wall"], s["cpu"]
        rows.append(
            [
                name,
                s["n"],
                f"{fmt_s(w['median'])} [{fmt_s(w['q1'])}..{fmt_s(w['q3'])}]",
                f"{fmt_s(c['median'])} [{fmt_s(c['q1'])}..{fmt_s(c['q3'])}]",
            ]
            + ([f"ERROR (later): {s['error']}"] if s["error"] else [])
        )
    return rows


TIMING_HEADERS = ["variant", "n", "wall median [q1..q3]", "client CPU median [q1..q3]"]

SPLIT_HEADERS = ["variant", "fetch wall", "fetch CPU", "touch wall", "touch CPU"]


def split_rows(summaries: Dict[str, Dict[str, Any]], order: Sequence[str]) -> List[List[str]]:
    """Rows: the medians of the timed call alone ("fetch") and of the separately timed post step ("touch")."""
    rows = []
    for name in order:
        s = summaries.get(name)
        if s is None or s["n"] == 0:
            continue
        rows.append([name] + [fmt_s(s[k]["median"]) for k in ("run_wall", "run_cpu", "post_wall", "post_cpu")])
    return rows


# --------------------------------------------------------------------------------------------- targets


class Targets:
    def __init__(self) -> None:
        self.items: List[Dict[str, Any]] = []

    def add(self, name: str, value: Optional[float], threshold: float, op: str, detail: str = "") -> None:
        """``op`` is ">=" or "<=": PASS if ``value op threshold``. ``None`` (not measurable) is N/A (a fail)."""
        if value is None:
            status = "N/A"
        elif op == ">=":
            status = "PASS" if value >= threshold else "FAIL"
        else:
            status = "PASS" if value <= threshold else "FAIL"
        self.items.append(
            {"target": name, "value": value, "threshold": threshold, "op": op, "status": status, "detail": detail}
        )

    def print(self) -> None:
        print("\n-- targets")
        rows = []
        for t in self.items:
            v = "n/a" if t["value"] is None else f"{t['value']:.3g}"
            rows.append([t["status"], t["target"], f"{v} {t['op']} {t['threshold']:g}", t["detail"]])
        print_table(["status", "target", "measured", "detail"], rows)


# --------------------------------------------------------------------------------------------- output


def save_json(name: str, payload: Dict[str, Any], no_save: bool = False) -> Optional[Path]:
    if no_save:
        return None
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"\nsaved {path.relative_to(BENCH_DIR.parent)}")
    return path


# --------------------------------------------------------------------------------------------- peak RSS


def maxrss_kib() -> int:
    """Peak resident set size of this process so far (Linux reports ``ru_maxrss`` in KiB)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def current_rss_kib() -> Optional[int]:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def peak_hwm_kib() -> Optional[int]:
    """``VmHWM`` (peak RSS of this process's address space, resettable through ``/proc/self/clear_refs``)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss() -> bool:
    """Resets ``VmHWM`` to the current RSS (Linux >= 4.0: write 5 to /proc/self/clear_refs). ``ru_maxrss`` is not
    reset by this (the kernel also keeps a per-process maximum), which is why both are reported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def child_rss_main(setup: Callable[[], Any], run: Callable[[Any], Any]) -> None:
    """Body of a peak-RSS child process. ``setup()`` does the imports, builds the client and makes one tiny
    warm-up request (lazy imports, connection pool, runtime threads); then the baseline is taken; then ``run(ctx)``
    fetches everything and its result is KEPT alive while the peak is read. Prints one JSON line.

    Two measures: (1) ``ru_maxrss`` after the run minus ``ru_maxrss`` at the baseline (the primary one);
    (2) ``VmHWM`` after the run minus ``VmRSS`` right after resetting ``VmHWM`` at the baseline (a cross-check
    that is immune to a transient import-time peak)."""
    ctx = setup()
    gc.collect()
    base_peak = maxrss_kib()
    hwm_reset = reset_peak_rss()
    base_cur = current_rss_kib()
    w0 = time.perf_counter()
    result = run(ctx)
    wall = time.perf_counter() - w0
    peak = maxrss_kib()
    hwm = peak_hwm_kib()
    cur = current_rss_kib()
    out = {
        "count": len(result),
        "baseline_maxrss_kib": base_peak,
        "baseline_rss_kib": base_cur,
        "peak_maxrss_kib": peak,
        "peak_hwm_kib": hwm,
        "hwm_reset": hwm_reset,
        "end_rss_kib": cur,
        "peak_minus_baseline_kib": peak - base_peak,
        "hwm_minus_baseline_kib": (hwm - base_cur) if (hwm_reset and hwm is not None and base_cur) else None,
        "end_minus_baseline_kib": (cur - base_cur) if (cur is not None and base_cur is not None) else None,
        "wall_s": wall,
    }
    print("RSS-RESULT " + json.dumps(out), flush=True)


# A tiny interpreter that starts the measured child. Needed because Linux carries the exec-ing process's peak RSS
# into the new program's ru_maxrss (exec_mmap -> setmax_mm_hiwater_rss): a child forked straight from this (big)
# benchmark process would report the benchmark's own peak as its ru_maxrss. The launcher's peak is ~10 MiB, below
# any child's baseline, so it can't leak into the measurement.
_LAUNCHER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"


def measure_rss_in_child(script: str, variant: str, url: str, timeout: float = 900.0) -> Dict[str, Any]:
    """Runs ``script --rss-child VARIANT --url URL`` in a fresh interpreter (through a small launcher process)
    and parses its JSON line."""
    cmd = [sys.executable, "-S", "-c", _LAUNCHER, sys.executable, script, "--rss-child", variant, "--url", url]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"child timed out after {timeout}s"}
    for line in p.stdout.splitlines():
        if line.startswith("RSS-RESULT "):
            return json.loads(line[len("RSS-RESULT ") :])
    return {"error": f"child exit {p.returncode}: {(p.stderr or p.stdout)[-1500:]}"}


# ------------------------------------------------------------------------------------------------ shared workloads


def page_loop(client: Any) -> List[Any]:
    """The loop an SDK user writes today (works unchanged with either client): pages of ``PER_PAGE`` until a short
    page or ``page * PER_PAGE >= meta.total``."""
    out: List[Any] = []
    page = 1
    while True:
        r = client.gpu_droplets.snapshots.list(page=page, per_page=PER_PAGE)
        snaps = r.snapshots or []
        out.extend(snaps)
        total = r.meta.total if r.meta is not None else None
        if len(snaps) < PER_PAGE or (total is not None and page * PER_PAGE >= total):
            return out
        page += 1


def touch(snapshots: Any) -> int:
    """Reads ``id`` and ``created_at`` of every snapshot, so lazy conversion can't flatter either client."""
    n = 0
    for s in snapshots:
        s.id
        s.created_at
        n += 1
    return n
