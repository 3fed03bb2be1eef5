"""Egress proxy overhead: our addon vs plain mitmproxy, same options, same run.

Each proxy, and the origin, runs in its own process on loopback. The load is 20 KB POSTs
(plain HTTP, absolute-form, keep-alive) with no secrets in them, so every request passes
the full scan and is forwarded. Rounds alternate plain / addon to share the machine's noise.

Reported per proxy: requests/s at ``--concurrency`` connections, and median/p90 latency at
concurrency 1. ``throughput_ratio`` is the median over rounds of addon/plain requests/s in
the same round; ``added_median_ms`` = addon median minus plain median. Targets (issue 4):
throughput ratio >= 0.80 and added median < 2 ms. On a shared machine both swing by tens of
percent between rounds, so ``addon_hook_cpu_ms_per_request`` also reports the CPU our hooks
(routing, pinning, the real DLP scan, audit) cost per 20 KB request, measured in-process.

Options: ``--requests=N`` (per throughput round, default 600), ``--latency-requests=N``
(default 300), ``--concurrency=N`` (default 4), ``--rounds=N`` (default 2).
"""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BODY = (b"The quick brown fox jumps over the lazy dog. " * 460)[:20_000]
ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _spawn(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "benchmarks._egress_servers", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=None if os.environ.get("BB_BENCH_DEBUG") else subprocess.DEVNULL,
    )


def _one(conn: http.client.HTTPConnection, url: str) -> float:
    start = time.perf_counter()
    conn.request("POST", url, body=BODY, headers={"Content-Type": "text/plain"})
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"unexpected status {response.status} for {url}")
    return time.perf_counter() - start


def _connection(port: int) -> http.client.HTTPConnection:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.connect()
    assert conn.sock is not None
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def _latency(port: int, url: str, n: int) -> list[float]:
    conn = _connection(port)
    for _ in range(20):
        _one(conn, url)  # warm-up
    samples = [_one(conn, url) for _ in range(n)]
    conn.close()
    return samples


def _throughput(port: int, url: str, n: int, concurrency: int) -> float:
    per = n // concurrency
    errors: list[BaseException] = []

    def worker() -> None:
        conn = _connection(port)
        try:
            for _ in range(per):
                _one(conn, url)
        except BaseException as exc:
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return per * concurrency / elapsed


def _hook_cost_ms(n: int = 500) -> float:
    """Milliseconds of CPU the addons' request hooks (with the real DLP scan) take per request,
    measured in-process on mitmproxy test flows: the part of the overhead that is ours, free
    of network and scheduling noise."""
    import asyncio
    import ipaddress
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from mitmproxy.test import taddons, tflow, tutils

    from mitmproxy.proxy.layers import http as http_layer

    from bb_dlp import DlpConfig
    from bb_egress.addons import egress_addons
    from bb_egress.addons.chain import EgressChain
    from bb_egress.audit import AuditLog
    from bb_egress.destinations import DestinationPolicy, static_resolver
    from bb_egress.outbound import OutboundScanner
    from bb_egress.reload import RoutesStore
    from bb_egress.token_approval import DisabledChannel, TokenApprover

    with tempfile.TemporaryDirectory() as tmp:
        routes = Path(tmp) / "routes.yaml"
        routes.write_text("routes:\n  - host: origin.test\n    outbound_on_match: block\n")
        audit = AuditLog(Path(tmp) / "audit.jsonl")
        addons = EgressChain(
            egress_addons(
                store=RoutesStore(routes),
                scanner=OutboundScanner(
                    DlpConfig.from_environ({}), TokenApprover(DisabledChannel(), 1.0), {}
                ),
                audit=audit,
                bottle="bench",
                destinations=DestinationPolicy(
                    extra_allowed=(ipaddress.ip_network("127.0.0.1/32"),)
                ),
                resolver=static_resolver({"origin.test": "127.0.0.1"}),
            )
        )

        async def measure() -> float:
            with taddons.context(addons) as tctx:
                flows = []
                for _ in range(n + 1):
                    request = tutils.treq(
                        host="origin.test",
                        port=443,
                        scheme=b"https",
                        method=b"POST",
                        path=b"/upload",
                        content=BODY,
                    )
                    flow = tflow.tflow(req=request)
                    flow.request.headers["Host"] = "origin.test"
                    flows.append(flow)
                # The first request pays one-time work (the token catalogue's lazy load),
                # which the running proxy paid at start: it is not timed.
                warm = flows.pop()
                await tctx.master.addons.trigger_event(http_layer.HttpRequestHeadersHook(warm))
                await tctx.master.addons.trigger_event(http_layer.HttpRequestHook(warm))
                start = time.process_time()
                for flow in flows:
                    # The addon chain, as mitmproxy's addon manager calls it.
                    await tctx.master.addons.trigger_event(http_layer.HttpRequestHeadersHook(flow))
                    await tctx.master.addons.trigger_event(http_layer.HttpRequestHook(flow))
                    assert flow.response is None
                return (time.process_time() - start) / n * 1000

        cost = asyncio.run(measure())
        audit.close()
        return cost


def _options(args: list[str]) -> dict[str, int]:
    opts = {"requests": 600, "latency-requests": 300, "concurrency": 4, "rounds": 2}
    for arg in args:
        name, _, value = arg.lstrip("-").partition("=")
        if name in opts:
            opts[name] = int(value)
    return opts


def _as_in_the_image() -> bool:
    """Give the proxies a rule cache folder, as the egress image has one (baked at build).

    With a cache folder the token catalogue runs behind its prefilter gate (Kingfisher is
    consulted only where some rule could match); without one it scans every request, which
    is not what ships. The folder is this user's (the gate is compiled once, then loaded).
    True when the gate is in use."""
    from bb_dlp.catalogue import RULE_CACHE_VAR
    from bb_dlp.multimatch import user_cache_dir

    os.environ.setdefault(RULE_CACHE_VAR, str(user_cache_dir() / "kingfisher"))
    from bb_dlp.catalogue import token_gate

    return token_gate("medium") is not None


def run(args: list[str]) -> dict[str, object]:
    opts = _options(args)
    gated = _as_in_the_image()
    origin_port = _free_port()
    procs = [_spawn("origin", str(origin_port))]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            plain_port, addon_port = _free_port(), _free_port()
            procs.append(_spawn("plain", str(plain_port), os.path.join(tmp, "plain")))
            addon = _spawn(
                "addon", str(addon_port), os.path.join(tmp, "addon"), str(origin_port), tmp
            )
            procs.append(addon)
            for port in (origin_port, plain_port, addon_port):
                _wait_port(port)
            scanner = (Path(tmp) / "scanner.txt").read_text()
            targets = {
                "plain": (plain_port, f"http://127.0.0.1:{origin_port}/upload"),
                "addon": (addon_port, f"http://origin.test:{origin_port}/upload"),
            }
            rps: dict[str, list[float]] = {"plain": [], "addon": []}
            lat: dict[str, list[float]] = {"plain": [], "addon": []}
            for round_no in range(opts["rounds"]):
                order = list(targets.items())
                if round_no % 2:
                    order.reverse()  # alternate who goes first, so drift hits both alike
                for name, (port, url) in order:
                    lat[name].extend(_latency(port, url, opts["latency-requests"]))
                    rps[name].append(_throughput(port, url, opts["requests"], opts["concurrency"]))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(10)

    def summary(name: str) -> dict[str, float]:
        ordered = sorted(lat[name])
        return {
            "requests_per_s": round(statistics.median(rps[name]), 1),
            "requests_per_s_rounds": [round(x, 1) for x in rps[name]],
            "median_ms": round(statistics.median(ordered) * 1000, 3),
            "p90_ms": round(ordered[int(len(ordered) * 0.9)] * 1000, 3),
        }

    plain, ours = summary("plain"), summary("addon")
    paired = [a / p for a, p in zip(rps["addon"], rps["plain"], strict=True)]
    ratio = statistics.median(paired)
    added = ours["median_ms"] - plain["median_ms"]
    return {
        "body_bytes": len(BODY),
        "token_gate": gated,
        "options": opts,
        "scanner": scanner,
        "plain_mitmproxy": plain,
        "with_addon": ours,
        "throughput_ratio": round(ratio, 3),
        "throughput_ratio_rounds": [round(x, 3) for x in paired],
        "addon_hook_cpu_ms_per_request": round(_hook_cost_ms(), 3),
        "added_median_ms": round(added, 3),
        "meets_targets": ratio >= 0.8 and added < 2.0,
    }
