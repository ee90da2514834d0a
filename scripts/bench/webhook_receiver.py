#!/usr/bin/env python3
"""A webhook receiver for scripts/bench-webhooks.sh: HTTP/1.1 keep-alive, answers every POST
with 204 after DELAY_MS (0 by default), and counts requests and the most in flight at once
(overall and per path). Prints its port on stdout once listening; writes its counts as JSON
to the file named by STATS when it gets SIGTERM."""

import asyncio
import json
import os
import signal
import sys

DELAY = float(os.environ.get("DELAY_MS", "0")) / 1000.0
STATS = os.environ.get("STATS", "/dev/stderr")
state = {"requests": 0, "in_flight": 0, "most_in_flight": 0}


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if length:
                await reader.readexactly(length)
            state["in_flight"] += 1
            state["most_in_flight"] = max(state["most_in_flight"], state["in_flight"])
            if DELAY:
                await asyncio.sleep(DELAY)
            state["in_flight"] -= 1
            state["requests"] += 1
            writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    with open(STATS, "w") as out:
        json.dump({k: v for k, v in state.items() if k != "in_flight"}, out)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
