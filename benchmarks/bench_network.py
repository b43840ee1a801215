"""Issue 13: round trips over a real network path — HTTPS + HTTP/2 with added round-trip time.

The fake (``FakeDigitalOcean(http2=True)``: TLS with a throwaway CA, ALPN h2 and http/1.1) runs in a child process;
a second child is a TCP proxy that delays every chunk by RTT/2 in each direction. Chunks are timestamped on
arrival and written RTT/2 later from a queue, so the delay never serialises throughput (a chunk doesn't wait for
the one before it to be "in flight"). Both clients connect to the proxy, so the 0 ms run takes the same path.

Variants (10,000 snapshots, 50 pages of 200; every run builds a FRESH client, so each run pays its TLS handshake):
  (a) sdk page loop — do_gradientai ``list(page=p, per_page=200)`` until a short page (what a user writes today),
                      over an ``httpx.Client(verify=<the fake's CA>)``: HTTP/1.1, one page per round trip
  (b) ours list_all — ``list_all()`` with default arguments (``max_concurrency=None``: auto; h2 negotiated)

Target at each RTT > 0: median (b) at RTT - median (b) at 0 ms <= 1.25 x 3 x RTT (the floor is 3 round trips:
TLS handshake, page 1, then all the other pages at once; TCP's own handshake is local to the proxy here).

    .venv/bin/python benchmarks/bench_network.py [--quick]
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import Any, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

N_SNAPSHOTS = 10_000
PER_PAGE = C.PER_PAGE
RTTS_MS = (0, 50, 150)
FLOOR_ROUND_TRIPS = 3
SLACK = 1.25
SDK = "(a) sdk page loop"
OURS = "(b) ours list_all()"
ORDER = [SDK, OURS]


# ------------------------------------------------------------------------------------------------ child processes


def serve_child(snapshots: int) -> int:
    """The fake over TLS + h2; prints ``URL CA_PATH`` and serves until SIGTERM."""
    from gradientai_rs.testing import FakeDigitalOcean

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with FakeDigitalOcean(snapshots, seed=7, token=None, hourly_remaining=10**9, http2=True) as fake:
        print(f"{fake.url} {fake.ca_path}", flush=True)
        while not stop.wait(0.5):
            pass
    return 0


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    loop = asyncio.get_running_loop()
    queue: "asyncio.Queue[Tuple[float, bytes]]" = asyncio.Queue()

    async def read() -> None:
        while True:
            try:
                data = await reader.read(1 << 16)
            except (ConnectionError, OSError):
                data = b""
            queue.put_nowait((loop.time() + delay, data))
            if not data:
                return

    async def write() -> None:
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                try:
                    writer.write_eof()
                except (OSError, RuntimeError):
                    pass
                return
            try:
                writer.write(data)
                await writer.drain()
            except (ConnectionError, OSError):
                return

    await asyncio.gather(read(), write())


def proxy_child(upstream_port: int, one_way_ms: float) -> int:
    """A TCP proxy on 127.0.0.1 adding ``one_way_ms`` to each direction; prints its port."""
    delay = one_way_ms / 1000.0

    async def handle(cr: asyncio.StreamReader, cw: asyncio.StreamWriter) -> None:
        try:
            ur, uw = await asyncio.open_connection("127.0.0.1", upstream_port)
        except OSError:
            cw.close()
            return
        for w in (cw, uw):
            sock = w.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await asyncio.gather(_pipe(cr, uw, delay), _pipe(ur, cw, delay))
        finally:
            for w in (cw, uw):
                w.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=256)
        print(server.sockets[0].getsockname()[1], flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        async with server:
            await stop.wait()

    asyncio.run(main())
    return 0


class Child(C.ChildProcess):
    """``bench_network.py <args>`` in a subprocess; ``line`` is its first stdout line."""

    def __init__(self, *args: str, timeout: float = 180.0) -> None:
        super().__init__(timeout)
        self.line = self.run([sys.executable, __file__, *args])


# ------------------------------------------------------------------------------------------------ the variants


def make_check(expected: int):
    def check(result: Any) -> None:
        if len(result) != expected:
            raise AssertionError(f"expected {expected} snapshots, got {len(result)}")

    return check


def sdk_run(url: str, ca_path: str) -> List[Any]:
    import do_gradientai
    import httpx

    with httpx.Client(verify=ca_path, timeout=60) as http:
        sdk = do_gradientai.GradientAI(api_key=C.API_KEY, base_url=url, http_client=http)
        return C.page_loop(sdk)


def ours_run(url: str, ca_path: str) -> Any:
    import gradientai_rs

    with gradientai_rs.GradientAI(api_key=C.API_KEY, base_url=url, verify=ca_path) as c:
        return c.gpu_droplets.snapshots.list_all()


def h2_check(url: str, ca_path: str) -> str:
    import gradientai_rs

    with gradientai_rs.GradientAI(api_key=C.API_KEY, base_url=url, verify=ca_path) as c:
        return c.gpu_droplets.snapshots.with_raw_response.list(per_page=1).http_version


# ------------------------------------------------------------------------------------------------ main


def main() -> int:
    p = C.base_parser(__doc__.splitlines()[0])
    p.add_argument("--serve-child", action="store_true", help=argparse_hidden())
    p.add_argument("--proxy-child", action="store_true", help=argparse_hidden())
    p.add_argument("--upstream", type=int, default=0, help=argparse_hidden())
    p.add_argument("--one-way-ms", type=float, default=0.0, help=argparse_hidden())
    p.add_argument("--snapshots", type=int, default=N_SNAPSHOTS, help=argparse_hidden())
    args = p.parse_args()
    if args.serve_child:
        return serve_child(args.snapshots)
    if args.proxy_child:
        return proxy_child(args.upstream, args.one_way_ms)

    env = C.environment()
    mode = "quick" if args.quick else "full"
    C.print_header(f"bench_network: {N_SNAPSHOTS} snapshots over HTTPS/h2 with added RTT", env, mode)
    reps = args.reps or (3 if args.quick else 7)
    check = make_check(N_SNAPSHOTS)
    payload: dict = {
        "env": env,
        "mode": mode,
        "reps": reps,
        "n_snapshots": N_SNAPSHOTS,
        "per_page": PER_PAGE,
        "rtts_ms": list(RTTS_MS),
        "scenarios": {},
    }
    summaries = {}
    with Child("--serve-child", "--snapshots", str(N_SNAPSHOTS)) as fake:
        fake_url, ca_path = fake.line.split(" ", 1)
        fake_port = int(fake_url.rsplit(":", 1)[1])
        for rtt in RTTS_MS:
            with Child("--proxy-child", "--upstream", str(fake_port), "--one-way-ms", str(rtt / 2)) as proxy:
                url = f"https://127.0.0.1:{proxy.line}"
                version = h2_check(url, ca_path)
                print(f"\n-- RTT {rtt} ms (proxy {url}; page 1 over {version})", flush=True)
                vs = [
                    C.Variant(SDK, lambda: sdk_run(url, ca_path), C.touch, check),  # noqa: B023
                    C.Variant(OURS, lambda: ours_run(url, ca_path), C.touch, check),  # noqa: B023
                ]
                recs = C.run_interleaved(vs, rounds=reps, warmup=1, label=f"{rtt} ms")
                S = {name: C.summary(rec) for name, rec in recs.items()}
                summaries[rtt] = S
                C.print_table(C.TIMING_HEADERS, C.timing_rows(S, ORDER))
                payload["scenarios"][f"{rtt}ms"] = {"http_version_page1": version, "summaries": S}

    print("\n-- summary (medians of wall time, fetch + touch)")
    base = C.med(summaries[0].get(OURS), "wall")
    rows = []
    T = C.Targets()
    for rtt in RTTS_MS:
        a = C.med(summaries[rtt].get(SDK), "wall")
        b = C.med(summaries[rtt].get(OURS), "wall")
        added = None if (b is None or base is None) else b - base
        in_rtts = None if (added is None or rtt == 0) else added / (rtt / 1000)
        rows.append(
            [
                f"{rtt} ms",
                C.fmt_s(a),
                C.fmt_s(b),
                C.fmt_s(added) if rtt else "-",
                f"{in_rtts:.2f}" if in_rtts is not None else "-",
                C.fmt_x(C.ratio(a, b)),
            ]
        )
        payload["scenarios"][f"{rtt}ms"].update(
            {
                "sdk_median_s": a,
                "ours_median_s": b,
                "added_s": added,
                "added_round_trips": in_rtts,
                "sdk_over_ours": C.ratio(a, b),
            }
        )
        if rtt:
            T.add(
                f"{rtt} ms: list_all added time <= {SLACK} x {FLOOR_ROUND_TRIPS} round trips",
                in_rtts,
                SLACK * FLOOR_ROUND_TRIPS,
                "<=",
                f"{C.fmt_s(b)} - {C.fmt_s(base)} at 0 ms",
            )
    C.print_table(["RTT", "(a) SDK loop", "(b) list_all()", "(b) added vs 0 ms", "added, in RTTs", "(a) / (b)"], rows)
    T.print()
    payload["targets"] = T.items
    C.save_json("bench_network", payload, args.no_save)
    return 0


def argparse_hidden() -> Optional[str]:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    sys.exit(main())
