#!/usr/bin/env python3
"""Idle notification streams at scale (issue 16), driven by scripts/bench-streams.sh.

Opens STREAMS notification streams (10 per buyer, the default per-user bound) on the server at
STREAM_URL, then measures with them open:
  - the server's CPU over CPU_SECONDS of idleness (from /proc/PID/stat) and its RSS;
  - the latency from an approval (PATCH sent to APPROVE_URL, which may be another instance)
    to the `order.approved` event on the buyer's stream, over APPROVALS approvals (one at a
    time, each buyer's order approved once), p50/p99/max.
Then it closes them and measures browse throughput (wrk, the `browse` scenario of
scripts/bench/gasstock.lua) without and with the streams, interleaved: a phase without, then
CYCLES times (open the streams, a phase with them, close them, a phase without), each phase
BROWSE_ROUNDS runs of BROWSE_DURATION, after WARMUP_ROUNDS untimed runs. During a phase with
the streams this client does not read them (their clients are phones, not processes on the
server's cores); afterwards it checks that every stream was sent something. On a machine
whose speed drifts (shared vCPUs, caches warming), alternating the two conditions puts the
drift on both sides. Two changes are printed, each with a bootstrap 90% interval: pooled (the
median of every run with the streams against the median of every run without) and paired
(each phase with the streams against the two phases without around it, the median over the
cycles), which the drift between cycles does not widen.
Prints one line: RESULT key=value ...

Tokens are minted here with the server's secret (HS256, as the server signs them): signing in
10,000 times would measure argon2, not streams.

Usage: streams.py (settings from the environment, see bench-streams.sh)
"""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from statistics import median


def env(name, default=None):
    value = os.environ.get(name, default)
    if value is None:
        raise SystemExit(f"streams.py: {name} is not set")
    return value


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(secret, user_id, role):
    now = int(time.time())
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": str(user_id), "role": role, "exp": now + 7200, "iat": now, "jti": uuid.uuid4().hex}
    body = b64(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64(signature)}"


def call(base, method, path, body, bearer):
    request = urllib.request.Request(
        f"{base}/api/v1{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Busy(RuntimeError):
    """429: the user's earlier streams, just closed, are not yet freed on the server."""


class Streams:
    def __init__(self, url):
        parsed = urllib.parse.urlsplit(url)
        self.host, self.port = parsed.hostname, parsed.port
        self.waiting = {}  # order id -> future of the arrival time
        self.open = 0
        self.events = 0
        self.received = []  # bytes received, per stream opened (zeroed by pause_reading)

    async def connect(self, bearer):
        reader, writer = await asyncio.open_connection(self.host, self.port)
        writer.write(
            (
                f"GET /api/v1/notifications/stream HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Authorization: Bearer {bearer}\r\nAccept: text/event-stream\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            rest = await reader.read(500)
            writer.close()
            raise (Busy if b" 429 " in status else RuntimeError)(f"stream refused: {status!r} {rest!r}")
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        self.open += 1
        return reader, writer

    async def consume(self, reader, index):
        # Chunked encoding: each event is a chunk; only `data:` lines matter here. Read in
        # blocks, and look at lines only when a block holds one: this client shares the
        # server's cores, and a readline per keepalive line cost it 2-4% of a core during
        # the browse runs on a slow machine (runs of 2026-12-02 evening).
        pending = b""
        while True:
            block = await reader.read(65536)
            if not block:
                self.open -= 1
                return
            self.received[index] += len(block)
            pending += block
            if b"data:" not in pending:
                pending = pending[pending.rfind(b"\n") + 1:]  # keep a line not yet whole
                continue
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line.startswith(b"data:"):
                    self.arrived(json.loads(line[5:]))

    def arrived(self, data):
        self.events += 1
        if data.get("event") == "order.approved":
            arrived = self.waiting.get(data.get("order_id"))
            if arrived is not None and not arrived.done():
                arrived.set_result(time.perf_counter())


def browse_rps():
    """One wrk run of the `browse` scenario against BROWSE_URL: its req/s, as text, the
    server's CPU time per request in microseconds (a figure the load generators sharing the
    machine's cores do not move the way they move req/s), and the stream client's CPU in % of
    a core."""
    server_pid = int(env("SERVER_PID"))
    before, client_before, started = cpu_ticks(server_pid), time.process_time(), time.perf_counter()
    wrk = subprocess.run(
        ["wrk", "-t", "2", "-c", env("BROWSE_CONNECTIONS", "64"), "-d", env("BROWSE_DURATION", "10s"),
         "--timeout", "5s", "--latency", "-s", env("LUA"), env("BROWSE_URL", env("STREAM_URL"))],
        capture_output=True,
        text=True,
        env={**os.environ, "BENCH_SCENARIO": "browse", "BENCH_THREADS": "2"},
    )
    ticks = cpu_ticks(server_pid) - before
    # This process's own CPU over the run (its event loop reading the open streams'
    # keepalives): load the server does not cause, on the cores it shares.
    client_pct = (time.process_time() - client_before) / (time.perf_counter() - started) * 100
    result = next((line.split() for line in wrk.stdout.splitlines() if line.startswith("RESULT")), None)
    if result is None:
        return "?", "?", f"{client_pct:.1f}"
    return result[1], f"{ticks / os.sysconf('SC_CLK_TCK') * 1e6 / max(1, int(result[8])):.1f}", f"{client_pct:.1f}"


async def open_streams(streams, tokens, total, per_user):
    """Opens `total` streams, `per_user` per buyer of `tokens` (in order); returns them as
    (writer, index in streams.received) pairs and their reading tasks. A 429 (the buyer's
    previous streams not yet freed) is retried."""
    buyers = list(tokens)
    gate = asyncio.Semaphore(200)
    tasks = []

    async def open_one(buyer):
        async with gate:
            for _ in range(100):
                try:
                    reader, writer = await streams.connect(tokens[buyer])
                    break
                except Busy:
                    await asyncio.sleep(0.1)
            else:
                raise RuntimeError("streams of a closed phase never freed")
        streams.received.append(0)
        index = len(streams.received) - 1
        tasks.append(asyncio.ensure_future(streams.consume(reader, index)))
        return writer, index

    opened = await asyncio.gather(*(open_one(buyers[i // per_user]) for i in range(total)))
    return opened, tasks


def pause_reading(streams, opened):
    """Stops reading the streams (the server's writes wait in the kernel's buffers) and
    zeroes their byte counts, which resume_reading checks."""
    for writer, index in opened[0]:
        writer.transport.pause_reading()
        streams.received[index] = 0


async def resume_reading(streams, opened):
    """Reads what the streams were sent while paused; fails unless every one of them has
    received something since pause_reading within a heartbeat period (15 s) and a margin
    after the phase: a stream the server sends nothing has stopped working."""
    for writer, _ in opened[0]:
        writer.transport.resume_reading()
    for _ in range(40):
        await asyncio.sleep(0.5)
        silent = sum(1 for _, index in opened[0] if streams.received[index] == 0)
        if not silent:
            return
    raise SystemExit(f"streams.py: {silent} of {len(opened[0])} streams received nothing after a browse phase")


def close_streams(opened):
    writers, tasks = opened
    for writer, _ in writers:
        writer.close()
    for task in tasks:
        task.cancel()


async def main():
    stream_url = env("STREAM_URL")
    approve_url = env("APPROVE_URL", stream_url)
    secret = env("SECRET")
    server_pid = int(env("SERVER_PID"))
    total = int(env("STREAMS", "10000"))
    per_user = int(env("PER_USER", "10"))
    approvals = int(env("APPROVALS", "100"))
    cpu_seconds = float(env("CPU_SECONDS", "30"))
    buyers = [int(line) for line in open(env("BUYER_IDS")) if line.strip()]
    seller_id, admin_id = int(env("SELLER_ID")), int(env("ADMIN_ID"))
    needed = -(-total // per_user)
    if len(buyers) < needed:
        raise SystemExit(f"streams.py: {total} streams at {per_user} per user need {needed} buyers, got {len(buyers)}")
    buyers = buyers[:needed]
    tokens = {buyer: token(secret, buyer, "buyer") for buyer in buyers}
    loop = asyncio.get_running_loop()

    rss_before = rss_mib(server_pid)
    streams = Streams(stream_url)
    opened_at = time.perf_counter()
    opened = await open_streams(streams, tokens, total, per_user)
    open_seconds = time.perf_counter() - opened_at
    await asyncio.sleep(2)  # let the connections settle
    rss_open = rss_mib(server_pid)

    # Idle: the server's CPU over CPU_SECONDS with every stream open (heartbeats included).
    ticks_hz = os.sysconf("SC_CLK_TCK")
    before, started = cpu_ticks(server_pid), time.perf_counter()
    await asyncio.sleep(cpu_seconds)
    cpu = (cpu_ticks(server_pid) - before) / ticks_hz / (time.perf_counter() - started) * 100

    # Approval -> stream latency: each of APPROVALS buyers (with streams open) orders once;
    # the admin approves the orders one at a time.
    seller, admin = token(secret, seller_id, "seller"), token(secret, admin_id, "admin")
    item = call(stream_url, "POST", "/seller/inventory",
                {"brand": "Streamgas", "weight": "12kg", "location": "Kigali", "quantity": 1000000,
                 "unit_price": 15000}, seller)["id"]
    orders = []
    for buyer in buyers[:approvals]:
        orders.append(call(stream_url, "POST", "/orders", {"inventory_id": item, "quantity": 1}, tokens[buyer])["id"])
    await asyncio.sleep(1)
    latencies = []
    for order in orders:
        arrived = loop.create_future()
        streams.waiting[order] = arrived
        sent = time.perf_counter()
        await asyncio.to_thread(call, approve_url, "PATCH", f"/admin/orders/{order}/approve", {"approve": True}, admin)
        latencies.append((await asyncio.wait_for(arrived, 30) - sent) * 1000)
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))]

    open_count, rss_after = streams.open, rss_mib(server_pid)
    close_streams(opened)
    await asyncio.sleep(2)
    browse = await browse_cycles(streams, lambda: open_streams(streams, tokens, total, per_user))
    print(
        f"RESULT streams={open_count} open_s={open_seconds:.1f} cpu_pct={cpu:.2f} "
        f"rss_before_mib={rss_before:.1f} rss_open_mib={rss_open:.1f} rss_after_mib={rss_after:.1f} "
        f"p50_ms={pct(50):.1f} p99_ms={pct(99):.1f} max_ms={latencies[-1]:.1f} approvals={len(latencies)} {browse}",
        flush=True,
    )


async def browse_cycles(streams, open_all):
    """Browse without and with the streams, interleaved (see the module's doc); returns the
    figures as `key=value` text: pooled (the median of every run with the streams against the
    median of every run without) and paired (each phase with the streams against the mean of
    the two phases without around it, then the median of those changes over the cycles)."""
    cycles, rounds = int(env("CYCLES", "4")), int(env("BROWSE_ROUNDS", "3"))
    without, with_streams = [], []  # one list of runs per phase

    async def phase(into):
        into.append([await asyncio.to_thread(browse_rps) for _ in range(rounds)])

    # Untimed runs first: a freshly seeded database browses faster run after run while its
    # pages reach the caches (SQLite, runs of 10 s: 9,535, 11,480, 14,033 req/s; PostgreSQL,
    # runs of 1 s: 4,284 rising to 6,998).
    for _ in range(int(env("WARMUP_ROUNDS", "3"))):
        await asyncio.to_thread(browse_rps)
    await phase(without)
    for _ in range(cycles):
        opened = await open_all()
        await asyncio.sleep(2)  # let the connections settle
        # The streams' clients are phones, not processes on the server's cores: this one
        # stops reading while wrk measures (reading 10,000 streams' keepalives took it 2-4% of
        # a core on a slow machine, runs of 2026-12-02 and 12-03), and checks afterwards that
        # the server kept every stream going.
        pause_reading(streams, opened)
        await phase(with_streams)
        await resume_reading(streams, opened)
        close_streams(opened)
        await asyncio.sleep(2)
        await phase(without)
    figures = []
    for key, column in (("browse_rps", 0), ("browse_cpu_us", 1)):
        phases_a = [[float(run[column]) for run in runs if run[column] != "?"] for runs in without]
        phases_b = [[float(run[column]) for run in runs if run[column] != "?"] for runs in with_streams]
        if not all(phases_a) or not all(phases_b):
            raise SystemExit(f"streams.py: wrk printed no result in a phase: {without} {with_streams}")
        a = [value for runs in phases_a for value in runs]
        b = [value for runs in phases_b for value in runs]
        low, high = interval90(lambda rng: (median(resample(rng, b)) / median(resample(rng, a)) - 1) * 100)
        paired = paired_changes(phases_a, phases_b)
        paired_low, paired_high = interval90(lambda rng: median(resample(rng, paired)))
        figures += [
            f"{key}_no_streams={median(a):.1f}",
            f"{key}={median(b):.1f}",
            f"{key}_change_pct={(median(b) / median(a) - 1) * 100:+.1f}",
            f"{key}_change_ci90={low:+.1f}..{high:+.1f}",
            f"{key}_paired_change_pct={median(paired):+.1f}",
            f"{key}_paired_change_ci90={paired_low:+.1f}..{paired_high:+.1f}",
            f"{key}_paired_changes={','.join(f'{change:+.1f}' for change in paired)}",
            f"{key}_runs_no_streams={'/'.join(','.join(run[column] for run in runs) for runs in without)}",
            f"{key}_runs={'/'.join(','.join(run[column] for run in runs) for runs in with_streams)}",
        ]
    client = [float(run[2]) for runs in with_streams for run in runs]
    figures.append(f"stream_client_cpu_pct={median(client):.1f}")
    return " ".join(figures)


def paired_changes(phases_without, phases_with):
    """The change (in %) of each phase with the streams against the mean of the medians of
    the phases without just before and just after it: the machine's slow drift (its shared
    cores speed up and slow down over minutes) cancels within a pair instead of widening
    the spread of the pooled runs."""
    return [
        (median(runs) / ((median(phases_without[i]) + median(phases_without[i + 1])) / 2) - 1) * 100
        for i, runs in enumerate(phases_with)
    ]


def interval90(statistic, draws=4000):
    """A bootstrap 90% interval of `statistic(rng)`, a figure of runs resampled with `rng`
    (fixed seed: the same runs give the same interval)."""
    rng = random.Random(16)
    values = sorted(statistic(rng) for _ in range(draws))
    return values[int(draws * 0.05)], values[int(draws * 0.95) - 1]


def resample(rng, values):
    return rng.choices(values, k=len(values))


if __name__ == "__main__":
    asyncio.run(main())
