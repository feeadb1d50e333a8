"""Talks OSC to the riscv32 virt firmware through QEMU's user-network port forwards.

Usage: virt_client.py UDP_PORT TCP_PORT. UDP requests are retried until the guest is up (the first
ones may be lost while QEMU's slirp resolves the guest's MAC). Exits 0 when every reply is right.
"""

import socket
import sys
import time

from osc_wire import message, parse, slip_encode, SlipReader

HOST = "127.0.0.1"


def udp_request(sock, port, packet, attempts=50):
    for _ in range(attempts):
        sock.sendto(packet, (HOST, port))
        try:
            data, _ = sock.recvfrom(2048)
            return parse(data)
        except socket.timeout:
            continue
    raise SystemExit(f"no UDP reply to {parse(packet)[0]}")


def tcp_session(port, requests):
    deadline = time.monotonic() + 10
    while True:
        try:
            sock = socket.create_connection((HOST, port), timeout=2)
            reader = SlipReader()
            sock.sendall(b"".join(slip_encode(p) for p in requests))
            frames = []
            while len(frames) < len(requests):
                data = sock.recv(4096)
                if not data:
                    raise ConnectionError("closed")
                frames.extend(reader.feed(data))
            sock.close()
            return [parse(f) for f in frames]
        except (OSError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def main() -> int:
    udp_port, tcp_port = int(sys.argv[1]), int(sys.argv[2])
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.settimeout(0.2)
    tricky = bytes([0xC0, 0xDB, 0x00, 0xC0])
    checks = [
        (udp_request(udp, udp_port, message("/ping")), ("/pong", [])),
        (udp_request(udp, udp_port, message("/add", ("i", 40), ("i", 2))), ("/sum", [42])),
        (udp_request(udp, udp_port, message("/blob", ("b", tricky))), ("/blob", [tricky])),
    ]
    got = tcp_session(
        tcp_port,
        [message("/add", ("i", 1), ("i", 2)), message("/blob", ("b", tricky)), message("/gain", ("f", 0.25))],
    )
    checks += list(zip(got, [("/sum", [3]), ("/blob", [tricky]), ("/gain", [0.25])]))
    checks.append((udp_request(udp, udp_port, message("/quit")), ("/bye", [])))
    failed = [(g, w) for g, w in checks if g != w]
    for g, w in failed:
        print(f"virt client: got {g}, want {w}")
    print(f"virt client: {len(checks) - len(failed)} replies checked over UDP and TCP, {len(failed)} wrong")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
