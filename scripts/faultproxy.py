#!/usr/bin/env python3
"""A TCP proxy that misbehaves on demand, for scripts/faults.sh and the slow-network measurement.

    faultproxy.py LISTEN_PORT TARGET_PORT [--delay-ms N] [--pid-file F]

Modes, switched by signals:
    SIGHUP   pass       forward both ways (after --delay-ms in each direction)
    SIGUSR1  close      close every open connection; accept new ones and close them at once
                        (a proxy in front of a Redis at maxclients, a node mid-failover)
    SIGUSR2  blackhole  accept, never answer: bytes from either side are swallowed
"""
import asyncio
import os
import signal
import sys

mode = "pass"
conns = set()


async def pump(reader, writer, delay):
    queue = asyncio.Queue()
    loop = asyncio.get_running_loop()

    async def sender():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if mode == "blackhole":
                continue
            writer.write(data)
            await writer.drain()

    task = asyncio.create_task(sender())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            queue.put_nowait((loop.time() + delay, data))
    except (ConnectionError, OSError):
        pass
    finally:
        queue.put_nowait((0, None))
        try:
            await task
        except (ConnectionError, OSError):
            pass
        try:
            writer.close()
        except Exception:
            pass


async def handle(cr, cw, target, delay):
    if mode == "close":
        cw.transport.abort()
        return
    if mode == "blackhole":
        conns.add(cw)
        try:
            while await cr.read(65536):
                pass
        except (ConnectionError, OSError):
            pass
        conns.discard(cw)
        cw.close()
        return
    try:
        ur, uw = await asyncio.open_connection("127.0.0.1", target)
    except OSError:
        cw.transport.abort()
        return
    conns.add(cw)
    conns.add(uw)
    await asyncio.gather(pump(cr, uw, delay), pump(ur, cw, delay))
    conns.discard(cw)
    conns.discard(uw)


def set_mode(m):
    global mode
    mode = m
    if m == "close":
        for w in list(conns):
            w.transport.abort()
        conns.clear()


async def main():
    listen, target = int(sys.argv[1]), int(sys.argv[2])
    delay = 0.0
    args = sys.argv[3:]
    if "--delay-ms" in args:
        delay = float(args[args.index("--delay-ms") + 1]) / 1000
    if "--pid-file" in args:
        with open(args[args.index("--pid-file") + 1], "w") as f:
            f.write(str(os.getpid()))
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGHUP, set_mode, "pass")
    loop.add_signal_handler(signal.SIGUSR1, set_mode, "close")
    loop.add_signal_handler(signal.SIGUSR2, set_mode, "blackhole")
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, target, delay), "127.0.0.1", listen, backlog=1024
    )
    async with server:
        await server.serve_forever()


asyncio.run(main())
