"""Talks OSC as SLIP over the emulated UART of the mps2-an385 firmware (QEMU `-serial tcp:...`).

Usage: uart_client.py PORT. Exits 0 when every reply is right, 1 otherwise.
"""

import socket
import sys
import time

from osc_wire import bundle, message, parse, slip_encode, SlipReader


def connect(port: int) -> socket.socket:
    deadline = time.monotonic() + 10
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def main() -> int:
    port = int(sys.argv[1])
    sock = connect(port)
    reader = SlipReader()
    pending = []

    def request(packet: bytes, expect_reply: bool = True):
        sock.sendall(slip_encode(packet))
        if not expect_reply:
            return None
        while not pending:
            data = sock.recv(4096)
            if not data:
                raise SystemExit("firmware closed the line")
            pending.extend(reader.feed(data))
        return parse(pending.pop(0))

    checks = []
    checks.append((request(message("/ping")), ("/pong", [])))
    checks.append((request(message("/add", ("i", 2), ("i", 3))), ("/sum", [5])))
    tricky = bytes([0xC0, 0xDB, 0x00, 0xDC, 0xDD, 0xC0])
    checks.append((request(message("/blob", ("b", tricky))), ("/blob", [tricky])))
    # Not OSC (no leading slash), and a broken SLIP escape: both dropped without a reply.
    sock.sendall(slip_encode(b"nope\0\0\0\0,\0\0\0") + bytes([0xC0, 0x2F, 0xDB, 0x00, 0xC0]))
    request(message("/led", ("i", 3)), expect_reply=False)
    request(message("/name", ("s", "mps2")), expect_reply=False)
    checks.append((request(message("/gain", ("f", 0.5))), ("/gain", [0.5])))
    # Two frames in one write, the second split across two writes.
    framed = slip_encode(message("/status")) + slip_encode(message("/add", ("i", -7), ("i", 7)))
    sock.sendall(framed[:-5])
    time.sleep(0.05)
    sock.sendall(framed[-5:])
    while len(pending) < 2:
        pending.extend(reader.feed(sock.recv(4096)))
    checks.append((parse(pending.pop(0)), ("/status", [3, 0.5, 7])))
    checks.append((parse(pending.pop(0)), ("/sum", [0])))
    # Incoming address patterns (OSC 1.0: the receiver matches them against its addresses).
    checks.append((request(message("/st?tus")), ("/status", [3, 0.5, 9])))
    checks.append((request(message("/{nothing,ping}")), ("/pong", [])))
    # A bundle of two messages, one with a pattern: both handled, replies in order.
    sock.sendall(slip_encode(bundle(message("/a[c-e]d", ("i", 1), ("i", 2)), message("/p*g"))))
    while len(pending) < 2:
        pending.extend(reader.feed(sock.recv(4096)))
    checks.append((parse(pending.pop(0)), ("/sum", [3])))
    checks.append((parse(pending.pop(0)), ("/pong", [])))
    checks.append((request(message("/quit")), ("/bye", [])))
    sock.close()

    failed = [(got, want) for got, want in checks if want is not None and got != want]
    for got, want in failed:
        print(f"uart client: got {got}, want {want}")
    print(f"uart client: {len(checks) - len(failed)} replies checked, {len(failed)} wrong")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
