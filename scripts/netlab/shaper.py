#!/usr/bin/env python3
"""A userspace link with controlled impairment between two network namespaces.

Why Python and not TypeScript: a TUN device is attached with an ioctl (TUNSETIFF), which
Node.js cannot make; Python's standard library can. Why not `tc netem`: the kernels these
machines run have no sch_netem. This script is the only non-TypeScript part of the
TCP vs UDP lab (scripts/netlab/netlab.ts drives it).

It opens two TUN devices, named on the command line, and copies every IP packet read from
one to the other: `client` -> `server` is the "up" direction, the reverse "down". The
driver moves each device into its namespace and gives it an address; the file
descriptors held here stay attached across the move.

Control, one JSON object per line on stdin:
  {"up": {"delayMs": 50, "jitterMs": 10, "loss": 0.05}, "down": {...}}
sets a direction's impairment (missing directions and fields become 0); the script answers
`ok {"up": {"passed": n, "dropped": m}, "down": {...}}` with its counts since start.
`stats` answers the same without changing anything. EOF on stdin ends it (and the TUN
devices disappear with their file descriptors).

Delay: each packet waits delay + uniform(-jitter, +jitter), but never leaves before the
packet ahead of it (a path that delays, not one that reorders). Loss: each packet is
dropped independently with probability `loss`.
"""
import asyncio
import fcntl
import json
import os
import random
import struct
import sys

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def open_tun(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


class Direction:
    def __init__(self, loop: asyncio.AbstractEventLoop, src: int, dst: int) -> None:
        self.loop, self.src, self.dst = loop, src, dst
        self.delay = 0.0
        self.jitter = 0.0
        self.loss = 0.0
        self.passed = 0
        self.dropped = 0
        self.last_due = 0.0

    def configure(self, spec: dict) -> None:
        self.delay = max(0.0, float(spec.get("delayMs", 0))) / 1000
        self.jitter = max(0.0, float(spec.get("jitterMs", 0))) / 1000
        self.loss = min(1.0, max(0.0, float(spec.get("loss", 0))))

    def counts(self) -> dict:
        return {"passed": self.passed, "dropped": self.dropped}

    def readable(self) -> None:
        while True:
            try:
                packet = os.read(self.src, 65535)
            except BlockingIOError:
                return
            except OSError:
                return
            if self.loss > 0 and random.random() < self.loss:
                self.dropped += 1
                continue
            self.passed += 1
            wait = self.delay + (random.uniform(-self.jitter, self.jitter) if self.jitter > 0 else 0.0)
            if wait <= 0 and self.last_due <= self.loop.time():
                self.write(packet)
                continue
            due = max(self.loop.time() + max(0.0, wait), self.last_due)
            self.last_due = due
            self.loop.call_at(due, self.write, packet)

    def write(self, packet: bytes) -> None:
        try:
            os.write(self.dst, packet)
        except OSError:
            pass  # the device is going away, or its queue is full: the packet is lost


async def main() -> None:
    client_name, server_name = sys.argv[1], sys.argv[2]
    loop = asyncio.get_running_loop()
    client_fd, server_fd = open_tun(client_name), open_tun(server_name)
    up = Direction(loop, client_fd, server_fd)
    down = Direction(loop, server_fd, client_fd)
    loop.add_reader(client_fd, up.readable)
    loop.add_reader(server_fd, down.readable)

    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print("ready", flush=True)
    while True:
        line = await reader.readline()
        if not line:
            break
        text = line.decode().strip()
        if not text:
            continue
        try:
            if text != "stats":
                spec = json.loads(text)
                up.configure(spec.get("up", {}))
                down.configure(spec.get("down", {}))
            print("ok " + json.dumps({"up": up.counts(), "down": down.counts()}), flush=True)
        except (ValueError, TypeError, AttributeError) as err:
            print("error " + json.dumps(str(err)), flush=True)


asyncio.run(main())
