"""echo.py: the twin of `07-streams echo` (demos/echo.cpp).

A streams echo server (asyncio.start_server; each connection gets a handler task that reads a line
with readline(), writes it back and drains, until the client's end of file) and 20 clients
(asyncio.open_connection), all in one thread on real loopback sockets. Each client sends 50 lines
of 1 to 2048 random letters, seeded by its number (SplitMix64, so the very same lines as the C++
clients send), and checks every echo. The transcript is a summary computed after the run, so it is
the same on every run.

On the virtual clock (looplab.py) nobody sleeps, so no time passes: when nothing is ready the
selector finds a socket being watched and waits on it for real, as the C++ loop does.

C++ -> asyncio: start_server(handler) -> asyncio.start_server(handler, "127.0.0.1", 0);
open_connection(address) -> asyncio.open_connection("127.0.0.1", port); StreamReader::readline ->
StreamReader.readline; StreamWriter::write/drain/write_eof/close/wait_closed -> the same names;
server.close() + wait_closed() -> the same, but see below; ServerStats -> counted here.
"""

import asyncio
import types

from looplab import SplitMix64, VirtualClock, demo, line, parse_args, run


async def echo_lines(reader, writer, count):
    """The server's side of one connection: a line in, the same line out, until end of file."""
    while True:
        data = await reader.readline()
        if not data:
            break  # end of file: the client has sent everything
        count.lines += 1
        count.bytes += len(data)
        writer.write(data)
        await writer.drain()  # waits only if the client is slow to read
    writer.close()
    await writer.wait_closed()


async def echo_client(port, messages, max_size, seed, result):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    rng = SplitMix64(seed)
    all_equal = True
    for _ in range(messages):
        size = 1 + rng.below(max_size)
        data = bytes(ord("a") + rng.below(26) for _ in range(size)) + b"\n"
        writer.write(data)
        await writer.drain()
        echoed = await reader.readline()
        all_equal = all_equal and echoed == data
        result.round_trips += 1
        result.bytes += len(data)
    writer.write_eof()  # "I have sent everything"
    after = await reader.read()  # the server's answer: end of file
    result.ok = all_equal and after == b""
    writer.close()
    await writer.wait_closed()


async def echo_main(clients, messages, max_size, results, count, stats):
    handlers = []

    async def handler(reader, writer):
        # asyncio keeps no statistics of a server; we count what the C++ Server counts.
        stats.accepted += 1
        handlers.append(asyncio.current_task())
        try:
            await echo_lines(reader, writer, count)
        except Exception:
            stats.failed += 1
            raise

    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tasks = [asyncio.create_task(echo_client(port, messages, max_size, i + 1, results[i]), name=f"client {i + 1}")
             for i in range(clients)]
    await asyncio.gather(*tasks)
    server.close()
    await server.wait_closed()
    # The C++ wait_closed() returns when every handler has returned. asyncio's returns at once in
    # 3.11 and waits for the connections to drop from 3.12.1, never for the handler tasks: we do.
    await asyncio.gather(*handlers)


def main():
    opts = parse_args(numbers=[("--clients", 20, "how many echo clients"),
                               ("--messages", 50, "round trips per client"),
                               ("--size", 2048, "the longest line in bytes")])
    clock = VirtualClock()
    with demo("echo", "a streams echo server and 20 clients with readline, one thread, every line checked"):
        results = [types.SimpleNamespace(round_trips=0, bytes=0, ok=False) for _ in range(opts.clients)]
        count = types.SimpleNamespace(lines=0, bytes=0)
        # refused: the C++ server closes a connection at once when it has no fd left (or one
        # select() cannot watch); asyncio's server never does that (on EMFILE it pauses accepting),
        # so its count stays 0.
        stats = types.SimpleNamespace(accepted=0, failed=0, refused=0)
        run(echo_main(opts.clients, opts.messages, opts.size, results, count, stats), clock)
        ok = sum(r.ok for r in results)
        line(f"{ok} of {opts.clients} clients got back exactly what they sent")
        line(f"{sum(r.round_trips for r in results)} round trips, {sum(r.bytes for r in results)} bytes each way, "
             "every line checked")
        line(f"the server accepted {stats.accepted} connections and echoed {count.lines} lines ({count.bytes} bytes); "
             f"{stats.failed} handlers failed, {stats.refused} connections refused")
    if ok != opts.clients:
        raise SystemExit("some echo clients did not get back what they sent")


if __name__ == "__main__":
    main()
