#!/usr/bin/env python3
"""Live-stream benchmark helper for bench/live.sh (Python 3.11, standard library only).

Subcommands (bench/live.sh runs them in this order):

  seed     --url URL --tokens FILE [--info FILE]
           as the bootstrap admin: a team unit, a front-line member and a manager in
           it; logs both in and writes their tokens to FILE (keep it out of results/)
  latency  --stream-url A --file-url B --tokens FILE --out DIR
           one SSE stream on A as the manager; files requests on B as the front-line
           member; per filing, the time from just before sending the POST until the
           stream on A delivers the inbox item whose request_id is the 201's id
  rate     --url URL --duration S --connections N --out FILE
           GET /healthz rate with keep-alive connections (only when wrk is missing)
  memory   --url A --pid PID --tokens FILE --out DIR
           opens N idle SSE streams to A as the manager, waits for every `: connected`,
           holds them (past one heartbeat) and reads VmRSS of PID before/with/after

HTTP is HTTP/1.1 over asyncio streams (keep-alive, Content-Length and chunked bodies).
Every subcommand prints a human-readable report and writes JSON for the summary.
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import json
import math
import os
import resource
import sys
import time
import urllib.parse
from dataclasses import dataclass, field

# ---------------------------------------------------------------------------- HTTP


def split_url(url: str) -> tuple[str, int]:
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "http" or not parsed.hostname:
        raise SystemExit(f"only http://host:port URLs are supported, got {url!r}")
    return parsed.hostname, parsed.port or 80


class HttpError(Exception):
    pass


async def read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    line = await reader.readline()
    if not line:
        raise HttpError("connection closed before a status line")
    parts = line.decode("latin-1").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise HttpError(f"bad status line {line!r}")
    status = int(parts[1])
    headers: dict[str, str] = {}
    while True:
        line = await reader.readline()
        if not line:
            raise HttpError("connection closed inside the headers")
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


async def read_chunk(reader: asyncio.StreamReader) -> bytes:
    """One chunk of a chunked body; b"" at the last chunk."""
    line = await reader.readline()
    if not line:
        raise HttpError("connection closed inside a chunked body")
    size = int(line.split(b";", 1)[0].strip(), 16)
    if size == 0:
        # trailers, then the blank line
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                return b""
    data = await reader.readexactly(size)
    await reader.readexactly(2)  # CRLF
    return data


async def read_body(reader: asyncio.StreamReader, status: int, headers: dict[str, str]) -> bytes:
    if status in (204, 304) or 100 <= status < 200:
        return b""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        parts = []
        while chunk := await read_chunk(reader):
            parts.append(chunk)
        return b"".join(parts)
    if "content-length" in headers:
        return await reader.readexactly(int(headers["content-length"]))
    return await reader.read()  # close-delimited


def request_bytes(method: str, path: str, host: str, port: int, headers: dict[str, str] | None = None,
                  body: bytes | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


class Conn:
    """One keep-alive HTTP/1.1 connection (one request at a time)."""

    def __init__(self, url: str):
        self.host, self.port = split_url(url)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _ensure(self) -> None:
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, *, token: str | None = None,
                      json_body=None) -> tuple[int, dict[str, str], bytes]:
        headers = {"Accept": "application/json"}
        body = None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(json_body).encode()
        for attempt in (1, 2):  # one retry if a kept-alive connection was closed by the server
            await self._ensure()
            assert self.reader is not None and self.writer is not None
            try:
                self.writer.write(request_bytes(method, path, self.host, self.port, headers, body))
                await self.writer.drain()
                status, resp_headers = await read_head(self.reader)
                data = await read_body(self.reader, status, resp_headers)
            except (HttpError, ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
                continue
            if resp_headers.get("connection", "").lower() == "close":
                await self.close()
            return status, resp_headers, data
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except Exception:
                pass
        self.reader = self.writer = None


# ---------------------------------------------------------------------------- SSE


@dataclass
class SseEvent:
    kind: str  # "message" (or another event name) or "comment"
    data: str = ""
    id: str | None = None


class SseParser:
    def __init__(self) -> None:
        self.buf = ""

    def feed(self, text: str) -> list[SseEvent]:
        self.buf += text.replace("\r\n", "\n").replace("\r", "\n")
        events = []
        while "\n\n" in self.buf:
            block, self.buf = self.buf.split("\n\n", 1)
            event_name, data_lines, event_id = "message", [], None
            for line in block.split("\n"):
                if line.startswith(":"):
                    events.append(SseEvent("comment", line[1:].strip()))
                    continue
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "event":
                    event_name = value
                elif name == "data":
                    data_lines.append(value)
                elif name == "id":
                    event_id = value
            if data_lines:
                events.append(SseEvent(event_name, "\n".join(data_lines), event_id))
        return events


class SseStream:
    """GET /api/v1/stream; events() yields (arrival perf_counter, SseEvent)."""

    def __init__(self, url: str, token: str):
        self.host, self.port = split_url(url)
        self.token = token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.chunked = False

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(request_bytes("GET", "/api/v1/stream", self.host, self.port, {
            "Authorization": f"Bearer {self.token}",
            "Accept": "text/event-stream",
            "Cache-Control": "no-cache",
        }))
        await self.writer.drain()
        status, headers = await read_head(self.reader)
        if status != 200:
            body = await asyncio.wait_for(read_body(self.reader, status, headers), 5)
            raise HttpError(f"GET /api/v1/stream answered {status}: {body[:300]!r}")
        if "text/event-stream" not in headers.get("content-type", ""):
            raise HttpError(f"GET /api/v1/stream content-type {headers.get('content-type')!r}")
        self.chunked = "chunked" in headers.get("transfer-encoding", "").lower()

    async def events(self):
        assert self.reader is not None
        parser = SseParser()
        decoder = codecs.getincrementaldecoder("utf-8")()
        while True:
            if self.chunked:
                data = await read_chunk(self.reader)
            else:
                data = await self.reader.read(65536)
            now = time.perf_counter()
            if not data:
                return
            for event in parser.feed(decoder.decode(data)):
                yield now, event

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


# ---------------------------------------------------------------------------- helpers


def pct(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def stats_ms(values: list[float]) -> dict:
    s = sorted(values)
    return {
        "n": len(s),
        "min": s[0] if s else None,
        "p50": pct(s, 50),
        "p90": pct(s, 90),
        "p99": pct(s, 99),
        "max": s[-1] if s else None,
        "mean": sum(s) / len(s) if s else None,
    }


def fmt(v) -> str:
    return "n/a" if v is None else f"{v:.2f}"


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM (kB) and Threads of a process."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM", "Threads"):
                out[name] = int(value.split()[0])
    return out


def open_fds(pid: int) -> int | None:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def server_sockets(port: int) -> int:
    """Sockets on the server side of `port` other than the listener (any state: an
    ESTABLISHED stream, or CLOSE_WAIT once its client left and the server has not noticed)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] != "0A":
                        count += 1
        except OSError:
            pass
    return count


def log(msg: str) -> None:
    print(f"[live.py {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def write_json(path: str, obj) -> None:
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


# ---------------------------------------------------------------------------- seed


async def login(conn: Conn, email: str, password: str) -> str:
    for attempt in range(5):
        status, headers, body = await conn.request("POST", "/api/v1/auth/login",
                                                   json_body={"email": email, "password": password})
        if status == 200:
            return json.loads(body)["access_token"]
        if status == 429 and attempt < 4:
            wait = min(int(headers.get("retry-after", "2") or 2), 60)
            log(f"login {email} rate-limited; retrying in {wait}s")
            await asyncio.sleep(wait)
            continue
        raise SystemExit(f"login {email}: HTTP {status}: {body[:500]!r}")
    raise AssertionError("unreachable")


async def expect(conn: Conn, method: str, path: str, token: str, body, ok=(200, 201)) -> dict:
    status, _, data = await conn.request(method, path, token=token, json_body=body)
    if status not in ok:
        raise SystemExit(f"{method} {path}: HTTP {status}: {data[:500]!r}")
    return json.loads(data) if data else {}


async def cmd_seed(args) -> None:
    conn = Conn(args.url)
    admin = await login(conn, args.admin_email, args.admin_password)
    unit = await expect(conn, "POST", "/api/v1/units", admin, {"name": "Live bench store", "kind": "team"})
    front = await expect(conn, "POST", "/api/v1/members", admin, {
        "name": "Live Front", "email": args.front_email, "role": "frontline",
        "unit_id": unit["id"], "password": args.password})
    manager = await expect(conn, "POST", "/api/v1/members", admin, {
        "name": "Live Manager", "email": args.manager_email, "role": "manager",
        "unit_id": unit["id"], "password": args.password})
    tokens = {
        "frontline": await login(conn, args.front_email, args.password),
        "manager": await login(conn, args.manager_email, args.password),
    }
    await conn.close()
    fd = os.open(args.tokens, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(tokens, f)
    info = {"unit_id": unit["id"], "frontline_id": front["id"], "manager_id": manager["id"]}
    if args.info:
        write_json(args.info, info)
    log(f"seeded unit {unit['id']}, frontline {front['id']}, manager {manager['id']}")


# ---------------------------------------------------------------------------- latency


def filing(i: int) -> dict:
    return {
        "kind": "improvement", "category": "product", "urgency": "normal", "channel": "in_person",
        "title": f"Live bench filing {i}", "description": "Customer asked for size 44",
        "customer_expectation": "Find size 44 in store",
    }


async def cmd_latency(args) -> None:
    with open(args.tokens) as f:
        tokens = json.load(f)
    loop = asyncio.get_running_loop()
    arrivals: dict[str, asyncio.Future] = {}
    seen = {"messages": 0, "heartbeats": 0, "other_types": 0, "unmatched": 0}
    connected = loop.create_future()

    def arrival_future(request_id: str) -> asyncio.Future:
        fut = arrivals.get(request_id)
        if fut is None:
            fut = arrivals[request_id] = loop.create_future()
        return fut

    stream = SseStream(args.stream_url, tokens["manager"])
    await asyncio.wait_for(stream.open(), 10)

    async def read_stream() -> None:
        async for at, event in stream.events():
            if event.kind == "comment":
                if event.data == "connected" and not connected.done():
                    connected.set_result(at)
                elif event.data == "heartbeat":
                    seen["heartbeats"] += 1
                continue
            seen["messages"] += 1
            item = json.loads(event.data)
            if item.get("event_type") != "filed":
                seen["other_types"] += 1
                continue
            fut = arrival_future(item["request_id"])
            if not fut.done():
                fut.set_result(at)
        if not connected.done():
            connected.set_exception(HttpError("stream closed before ': connected'"))
        log("the stream on A ended")

    reader_task = asyncio.create_task(read_stream())
    await asyncio.wait_for(asyncio.shield(connected), 10)
    log(f"stream open on {args.stream_url} as the manager; filing on {args.file_url} "
        f"({args.warmup} warm-up + {args.count}, concurrency {args.concurrency})")

    total = args.warmup + args.count
    next_index = 0
    rows: list[dict] = []
    errors: list[str] = []

    async def worker() -> None:
        nonlocal next_index
        conn = Conn(args.file_url)
        while next_index < total and reader_task.done() is False:
            i = next_index
            next_index += 1
            t0 = time.perf_counter()
            try:
                status, _, body = await conn.request("POST", "/api/v1/requests",
                                                     token=tokens["frontline"], json_body=filing(i))
            except Exception as e:  # noqa: BLE001 - report, keep going
                errors.append(f"filing {i}: {type(e).__name__}: {e}")
                continue
            t1 = time.perf_counter()
            if status != 201:
                errors.append(f"filing {i}: HTTP {status}: {body[:200]!r}")
                continue
            created = json.loads(body)
            fut = arrival_future(created["id"])
            try:
                t2 = await asyncio.wait_for(asyncio.shield(fut), args.event_timeout)
                missed = False
            except asyncio.TimeoutError:
                t2, missed = None, True
            rows.append({
                "i": i, "warmup": i < args.warmup, "request_id": created["id"],
                "reference": created.get("reference"),
                "post_ms": (t1 - t0) * 1000,
                "event_ms": None if missed else (t2 - t0) * 1000,
                "event_after_201_ms": None if missed else (t2 - t1) * 1000,
            })
        await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    elapsed = time.perf_counter() - started
    stream.close()
    reader_task.cancel()
    try:
        await reader_task
    except (asyncio.CancelledError, Exception):
        pass

    rows.sort(key=lambda r: r["i"])
    measured = [r for r in rows if not r["warmup"]]
    got = [r for r in measured if r["event_ms"] is not None]
    missed = len(measured) - len(got)
    result = {
        "stream_url": args.stream_url, "file_url": args.file_url,
        "count": args.count, "warmup": args.warmup, "concurrency": args.concurrency,
        "event_timeout_s": args.event_timeout,
        "measured": len(measured), "delivered": len(got), "missed": missed,
        "filing_errors": len(errors), "errors_sample": errors[:20],
        "event_ms": stats_ms([r["event_ms"] for r in got]),
        "post_ms": stats_ms([r["post_ms"] for r in measured]),
        "event_after_201_ms": stats_ms([r["event_after_201_ms"] for r in got]),
        "under_100ms_share": (sum(1 for r in got if r["event_ms"] < 100) / len(got)) if got else None,
        "elapsed_s": elapsed,
        "filings_per_s": len(rows) / elapsed if elapsed else None,
        "stream": seen,
    }
    os.makedirs(args.out, exist_ok=True)
    write_json(os.path.join(args.out, "latency.json"), result)
    with open(os.path.join(args.out, "latency.csv"), "w") as f:
        f.write("i,warmup,request_id,reference,post_ms,event_ms,event_after_201_ms\n")
        for r in rows:
            f.write(",".join("" if r[k] is None else (f"{r[k]:.3f}" if isinstance(r[k], float) else str(r[k]))
                             for k in ("i", "warmup", "request_id", "reference", "post_ms", "event_ms",
                                       "event_after_201_ms")) + "\n")

    e, p, a = result["event_ms"], result["post_ms"], result["event_after_201_ms"]
    print(f"change -> stream latency, filed on B, received on A ({len(got)}/{len(measured)} delivered, "
          f"{missed} missed, {len(errors)} filing errors, concurrency {args.concurrency}):")
    print(f"  POST -> SSE event   p50 {fmt(e['p50'])} ms  p90 {fmt(e['p90'])} ms  p99 {fmt(e['p99'])} ms  "
          f"max {fmt(e['max'])} ms  mean {fmt(e['mean'])} ms")
    print(f"  POST -> 201         p50 {fmt(p['p50'])} ms  p99 {fmt(p['p99'])} ms  max {fmt(p['max'])} ms")
    print(f"  201  -> SSE event   p50 {fmt(a['p50'])} ms  p99 {fmt(a['p99'])} ms  max {fmt(a['max'])} ms")
    print(f"  {result['filings_per_s']:.1f} filings/s over {elapsed:.1f} s; stream saw {seen}")
    for err in errors[:5]:
        print(f"  error: {err}")


# ---------------------------------------------------------------------------- rate


async def cmd_rate(args) -> None:
    deadline = time.perf_counter() + args.duration
    counts = {"ok": 0, "other": 0, "errors": 0}

    async def worker() -> None:
        conn = Conn(args.url)
        while time.perf_counter() < deadline:
            try:
                status, _, _ = await conn.request("GET", "/healthz")
                counts["ok" if status == 200 else "other"] += 1
            except Exception:  # noqa: BLE001
                counts["errors"] += 1
        await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(args.connections)))
    elapsed = time.perf_counter() - started
    result = {"tool": "python", "duration_s": elapsed, "connections": args.connections,
              "req_per_s": counts["ok"] / elapsed, **counts}
    write_json(args.out, result)
    print(f"GET /healthz (python, {args.connections} connections, {elapsed:.1f} s): "
          f"{result['req_per_s']:.0f} req/s ({counts})")


# ---------------------------------------------------------------------------- memory


@dataclass
class Idle:
    index: int
    connected_at: float | None = None
    heartbeats: int = 0
    messages: int = 0
    ended: str | None = None  # why the stream ended early (None while open)
    stream: SseStream | None = field(default=None, repr=False)


async def cmd_memory(args) -> None:
    nofile = raise_nofile()
    if nofile < args.streams + 100:
        raise SystemExit(f"open-file limit {nofile} is too low for {args.streams} streams; raise ulimit -n")
    with open(args.tokens) as f:
        token = json.load(f)["manager"]
    pid = args.pid
    samples: list[tuple[float, str, dict]] = []
    t_start = time.perf_counter()

    port = split_url(args.url)[1]

    def sample(phase: str) -> dict:
        st = proc_status(pid)
        st["fds"] = open_fds(pid)
        st["socks"] = server_sockets(port)
        samples.append((time.perf_counter() - t_start, phase, st))
        return st

    before = sample("before")
    log(f"server pid {pid}: VmRSS {before['VmRSS'] / 1024:.1f} MiB before opening streams "
        f"(client fd limit {nofile})")

    sem = asyncio.Semaphore(args.open_concurrency)
    idles = [Idle(i) for i in range(args.streams)]
    open_errors: dict[str, int] = {}
    loop = asyncio.get_running_loop()
    connected_futs = [loop.create_future() for _ in idles]

    def fail(idle: Idle, reason: str) -> None:
        idle.ended = reason
        key = reason.split(":")[0][:80]
        fut = connected_futs[idle.index]
        if not fut.done():
            open_errors[key] = open_errors.get(key, 0) + 1
            fut.set_result(False)

    async def run_one(idle: Idle) -> None:
        fut = connected_futs[idle.index]
        stream = idle.stream = SseStream(args.url, token)
        try:
            async with sem:
                await asyncio.wait_for(stream.open(), args.open_timeout)
                events = stream.events().__aiter__()
                deadline = time.perf_counter() + args.open_timeout
                while idle.connected_at is None:
                    at, event = await asyncio.wait_for(events.__anext__(),
                                                       max(0.1, deadline - time.perf_counter()))
                    if event.kind == "comment" and event.data == "connected":
                        idle.connected_at = at
                        fut.set_result(True)
            async for _, event in events:
                if event.kind == "comment":
                    if event.data == "heartbeat":
                        idle.heartbeats += 1
                else:
                    idle.messages += 1
            fail(idle, "closed by server")
        except asyncio.CancelledError:
            raise
        except StopAsyncIteration:
            fail(idle, "closed by server before ': connected'")
        except asyncio.TimeoutError:
            fail(idle, "timeout waiting for ': connected'")
        except (HttpError, OSError, asyncio.IncompleteReadError, ValueError) as e:
            fail(idle, f"{type(e).__name__}: {e}")
        finally:
            if idle.ended is None and not fut.done():
                fut.set_result(False)

    log(f"opening {args.streams} streams to {args.url} ({args.open_concurrency} at a time)")
    t_open = time.perf_counter()
    tasks = [asyncio.create_task(run_one(idle)) for idle in idles]

    async def progress() -> None:
        while True:
            await asyncio.sleep(5)
            done = sum(1 for f in connected_futs if f.done())
            log(f"  {done}/{args.streams} settled, RSS {sample('opening')['VmRSS'] / 1024:.1f} MiB")

    progress_task = asyncio.create_task(progress())
    await asyncio.gather(*connected_futs)
    progress_task.cancel()
    open_seconds = time.perf_counter() - t_open
    connected = sum(1 for f in connected_futs if f.result())
    log(f"{connected}/{args.streams} streams connected in {open_seconds:.1f} s; errors {open_errors or 'none'}")

    await asyncio.sleep(args.settle)
    with_streams = sample("connected")
    log(f"VmRSS {with_streams['VmRSS'] / 1024:.1f} MiB with {connected} streams; holding {args.hold} s "
        "(past one 15 s heartbeat)")
    hold_end = time.perf_counter() + args.hold
    while time.perf_counter() < hold_end:
        await asyncio.sleep(min(0.5, max(0.0, hold_end - time.perf_counter())))
        sample("holding")
    still_open = sum(1 for i in idles if i.connected_at is not None and i.ended is None)
    with_heartbeat = sum(1 for i in idles if i.heartbeats > 0)
    held = [s for _, phase, s in samples if phase in ("connected", "holding")]
    peak_kb = max(s["VmRSS"] for s in held)
    end_of_hold = held[-1]
    early_closes: dict[str, int] = {}
    for i in idles:
        if i.connected_at is not None and i.ended is not None:
            early_closes[i.ended[:80]] = early_closes.get(i.ended[:80], 0) + 1

    log("closing the streams")
    for idle in idles:
        if idle.stream is not None:
            idle.stream.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    t_closed = time.perf_counter()
    await asyncio.sleep(args.settle + 1)
    after_soon = sample("closed")
    # The server notices a gone client when a write fails, i.e. at the next heartbeat
    # (15 s): look again after that, to see the descriptors and memory it gives back.
    log(f"streams closed; server-side sockets on port {port}: {after_soon['socks']}; waiting up to "
        f"{args.after_close:.0f} s for the server to let them go")
    released_after = None
    while time.perf_counter() - t_closed < args.after_close:
        await asyncio.sleep(1)
        st = sample("closed")
        if st["socks"] <= before["socks"]:
            released_after = time.perf_counter() - t_closed
            break
    after = sample("closed-late")

    mib = lambda kb: kb / 1024  # noqa: E731
    result = {
        "url": args.url, "pid": pid, "streams": args.streams, "open_concurrency": args.open_concurrency,
        "connected": connected, "open_errors": open_errors, "open_seconds": open_seconds,
        "hold_s": args.hold, "still_open_after_hold": still_open, "with_heartbeat": with_heartbeat,
        "closed_during_hold": early_closes,
        "rss_before_mib": mib(before["VmRSS"]),
        "rss_connected_mib": mib(with_streams["VmRSS"]),
        "rss_peak_with_streams_mib": mib(peak_kb),
        "rss_end_of_hold_mib": mib(end_of_hold["VmRSS"]),
        "rss_soon_after_close_mib": mib(after_soon["VmRSS"]),
        "server_fds_soon_after_close": after_soon.get("fds"),
        "after_close_s": args.after_close,
        "rss_after_close_mib": mib(after["VmRSS"]),
        "server_fds_after_close": after.get("fds"),
        "server_fds_before": before.get("fds"),
        "server_sockets_before": before["socks"],
        "server_sockets_with_streams": with_streams["socks"],
        "server_sockets_soon_after_close": after_soon["socks"],
        "server_sockets_after_close": after["socks"],
        "sockets_released_after_s": released_after,
        "hwm_mib": mib(after["VmHWM"]),
        "per_stream_kib": (peak_kb - before["VmRSS"]) / connected if connected else None,
        "server_fds_with_streams": with_streams.get("fds"),
        "server_threads": with_streams.get("Threads"),
    }
    os.makedirs(args.out, exist_ok=True)
    write_json(os.path.join(args.out, "memory.json"), result)
    with open(os.path.join(args.out, "memory-samples.csv"), "w") as f:
        f.write("t_s,phase,vmrss_kb,vmhwm_kb,threads,fds,server_sockets\n")
        for t, phase, s in samples:
            f.write(f"{t:.2f},{phase},{s['VmRSS']},{s['VmHWM']},{s['Threads']},{s.get('fds', '')},{s['socks']}\n")

    print(f"idle streams on A: {connected}/{args.streams} connected in {open_seconds:.1f} s "
          f"({args.open_concurrency} opening at a time); open errors: {open_errors or 'none'}")
    print(f"  held {args.hold} s: {still_open} still open, {with_heartbeat} got a heartbeat, "
          f"closed early: {early_closes or 'none'}")
    print(f"  server VmRSS: before {result['rss_before_mib']:.1f} MiB, with streams "
          f"{result['rss_connected_mib']:.1f} MiB (peak while held {result['rss_peak_with_streams_mib']:.1f} MiB, "
          f"{result['per_stream_kib'] or 0:.1f} KiB/stream), VmHWM {result['hwm_mib']:.1f} MiB")
    print(f"  server-side sockets on port {port}: {before['socks']} before, {with_streams['socks']} with streams, "
          f"{after_soon['socks']} {args.settle + 1:.0f} s after closing them, {after['socks']} at the end ("
          + (f"all released {released_after:.0f} s after closing"
             if released_after is not None else f"NOT all released within {args.after_close:.0f} s")
          + f"); server fds {before.get('fds')} / {with_streams.get('fds')} / {after.get('fds')}; "
          f"VmRSS then {result['rss_soon_after_close_mib']:.1f} / {result['rss_after_close_mib']:.1f} MiB")


# ---------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("seed")
    s.add_argument("--url", required=True)
    s.add_argument("--tokens", required=True)
    s.add_argument("--info")
    s.add_argument("--admin-email", default="admin@bench.test")
    s.add_argument("--admin-password", default="bench-password")
    s.add_argument("--front-email", default="front@live.bench.test")
    s.add_argument("--manager-email", default="manager@live.bench.test")
    s.add_argument("--password", default="bench-password")

    s = sub.add_parser("latency")
    s.add_argument("--stream-url", required=True)
    s.add_argument("--file-url", required=True)
    s.add_argument("--tokens", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--count", type=int, default=1000)
    s.add_argument("--warmup", type=int, default=10)
    s.add_argument("--concurrency", type=int, default=1)
    s.add_argument("--event-timeout", type=float, default=10.0)

    s = sub.add_parser("rate")
    s.add_argument("--url", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--duration", type=float, default=10)
    s.add_argument("--connections", type=int, default=32)

    s = sub.add_parser("memory")
    s.add_argument("--url", required=True)
    s.add_argument("--pid", type=int, required=True)
    s.add_argument("--tokens", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--streams", type=int, default=5000)
    s.add_argument("--open-concurrency", type=int, default=100)
    s.add_argument("--open-timeout", type=float, default=30)
    s.add_argument("--hold", type=float, default=20)
    s.add_argument("--settle", type=float, default=2)
    s.add_argument("--after-close", type=float, default=45)

    args = ap.parse_args()
    handler = {"seed": cmd_seed, "latency": cmd_latency, "rate": cmd_rate, "memory": cmd_memory}[args.cmd]
    asyncio.run(handler(args))


if __name__ == "__main__":
    main()
