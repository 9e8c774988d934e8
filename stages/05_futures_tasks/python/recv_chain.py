"""recv_chain.py: the twin of `05-futures-tasks recv-chain` (demos/recv_chain.cpp).

One sock_recv() followed through the split. A task named reader awaits loop.sock_recv() on one end
of a socketpair; nothing is there yet, so asyncio's sock_recv (selector_events.py) registers a
reader callback (_sock_recv) with add_reader and awaits a Future. At 1 s a timer callback sends 12
bytes into the other end. Then: select() says the socket is readable, the loop queues the reader
callback, which makes the recv() and sets the Future's result; the Future schedules its
done-callback, the task's wake-up, with call_soon; one iteration later the wake-up resumes the
coroutine where it awaited.

asyncio prints none of this, so the twin watches it happen: looplab.TracingLoop notes the loop's,
the Future's and the Task's steps where asyncio takes them (read its comment), and the two pieces
of the demo's own code note theirs: the sender callback, and the socket, whose recv() this file
wraps (asyncio's sock_recv calls recv() on the very socket object we hand it). Like the C++ demo,
the steps are kept and printed after the run, numbered, with the layer that took each.

One step of asyncio's the twin does not print: its Future has a second done-callback,
_sock_read_done, which removes the reader; the C++ sock_recv removes its reader with a guard in the
coroutine frame instead. The lesson is the task's wake-up, so both print that call_soon only.

C++ -> asyncio: sock_recv(sock, 100) -> loop.sock_recv(sock, 100); loop.call_later(seconds(1), f)
-> loop.call_later(1, f); loop.run_until_complete(loop.create_task(c, "reader")) -> the same.
"""

import asyncio
import socket

from looplab import TracingLoop, VirtualClock, demo, format_time, line, new_loop, parse_args

MESSAGE = b"hello, world"


def bytes_label(n):
    return "1 byte" if n == 1 else f"{n} bytes"


class TracedSocket(socket.socket):
    """A socket whose recv() notes what it got: EAGAIN inside the coroutine (asyncio's sock_recv
    tries at once), or the bytes inside the reader callback."""

    def recv(self, n, *flags):
        loop = asyncio.get_running_loop()
        in_task = asyncio.current_task() is not None
        try:
            data = super().recv(n, *flags)
        except BlockingIOError:
            if in_task:
                loop.note("coroutine", "sock_recv: recv() says EAGAIN, so add_reader() and await a Future")
            raise
        if not in_task:
            loop.note("callback", f"sock_recv callback: recv() read {bytes_label(len(data))}")
        return data


async def receive(sock):
    loop = asyncio.get_running_loop()
    data = await loop.sock_recv(sock, 100)
    loop.note("coroutine", f"sock_recv: resumes with {bytes_label(len(data))}")
    return data


def main():
    parse_args()
    clock = VirtualClock()
    with demo("recv-chain", "one sock_recv() through loop, callback, Future, Task and coroutine, from the trace"):
        near, far = socket.socketpair()
        near = TracedSocket(fileno=near.detach())
        near.setblocking(False)
        loop = new_loop(clock, TracingLoop)

        def sender():
            far.send(MESSAGE)
            loop.note("callback", f"sender callback: send() {len(MESSAGE)} bytes into the other end")

        loop.call_later(1, sender)
        got = loop.run_until_complete(loop.create_task(receive(near), name="reader"))
        loop.close()
        near.close()
        far.close()
        for n, (when, layer, text) in enumerate(loop.steps, start=1):
            line(f"{n:<3}{format_time(when)}  {layer:<11}{text}")
        line(f'the coroutine got "{got.decode()}"')


if __name__ == "__main__":
    main()
