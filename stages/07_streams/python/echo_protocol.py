"""echo_protocol.py: the twin of `07-streams echo-protocol` (demos/echo_protocol.cpp).

The echo workload of echo.py (20 clients, 50 seeded-random lines each, every echo checked), against
a server written as an asyncio.Protocol: loop.create_server gives each connection a transport and
a new EchoProtocol, whose data_received writes the chunk straight back. No task per connection:
the loop pushes. The clients are echo.py's, pulling lines with streams (readline).

C++ -> asyncio: Protocol -> asyncio.Protocol (the same five callbacks); create_server(factory) ->
loop.create_server(factory, "127.0.0.1", 0); Transport::write/pause_reading/resume_reading -> the
same names; eof_received returning false -> returning None (false: the transport closes itself).
ServerStats.refused -> always 0 here (asyncio's server never refuses; see echo.py).
"""

import asyncio
import types

from echo import echo_client
from looplab import VirtualClock, demo, line, parse_args, run


class EchoProtocol(asyncio.Protocol):
    """Each chunk goes straight back; when the client reads slower than we write, stop reading."""

    def __init__(self, tally):
        self.tally = tally
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        self.tally.made += 1

    def data_received(self, data):
        self.tally.bytes += len(data)
        self.transport.write(data)

    def eof_received(self):
        return False  # the client is done: the transport closes, after its buffer

    def connection_lost(self, exc):
        if exc is None:
            self.tally.clean += 1
        else:
            self.tally.failed += 1
        if self.tally.clean + self.tally.failed == self.tally.expected:
            self.tally.lost.set_result(None)  # the last one (echo_protocol_main waits for it)

    def pause_writing(self):
        self.transport.pause_reading()

    def resume_writing(self):
        self.transport.resume_reading()


async def echo_protocol_main(clients, messages, max_size, results, tally):
    loop = asyncio.get_running_loop()
    tally.lost = loop.create_future()
    tally.expected = clients
    server = await loop.create_server(lambda: EchoProtocol(tally), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tasks = [asyncio.create_task(echo_client(port, messages, max_size, i + 1, results[i]), name=f"client {i + 1}")
             for i in range(clients)]
    await asyncio.gather(*tasks)
    server.close()
    await server.wait_closed()
    # The C++ wait_closed() returns when every connection is lost; asyncio's does so only from
    # 3.12.1 (in 3.11 it returns at once), so we wait for the last connection_lost ourselves.
    await tally.lost


def main():
    opts = parse_args(numbers=[("--clients", 20, "how many echo clients"),
                               ("--messages", 50, "round trips per client"),
                               ("--size", 2048, "the longest line in bytes")])
    clock = VirtualClock()
    with demo("echo-protocol",
              "the echo workload against a Protocol server: the loop pushes chunks, the clients pull lines"):
        results = [types.SimpleNamespace(round_trips=0, bytes=0, ok=False) for _ in range(opts.clients)]
        tally = types.SimpleNamespace(made=0, bytes=0, clean=0, failed=0, lost=None, expected=0)
        run(echo_protocol_main(opts.clients, opts.messages, opts.size, results, tally), clock)
        ok = sum(r.ok for r in results)
        line(f"{ok} of {opts.clients} clients got back exactly what they sent")
        line(f"{sum(r.round_trips for r in results)} round trips, {sum(r.bytes for r in results)} bytes each way, "
             "every line checked")
        refused = 0  # asyncio's server never refuses a connection
        line(f"the server made {tally.made} protocols and echoed {tally.bytes} bytes; {tally.clean} connections "
             f"ended cleanly, {tally.failed} with an error, {refused} refused")
    if ok != opts.clients:
        raise SystemExit("some echo clients did not get back what they sent")


if __name__ == "__main__":
    main()
