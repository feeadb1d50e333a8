"""python-osc 1.10.2 peer for the `osc` CLI interop tests (tests/cli_python.rs).

Modes:
  udp-send PORT                 send the test packets with SimpleUDPClient
  tcp-send PORT MODE            send them with SimpleTCPClient (MODE "1.0" = length prefix, "1.1" = SLIP)
  udp-server COUNT              BlockingOSCUDPServer on an ephemeral port
  tcp-server MODE KIND COUNT    KIND "blocking" (BlockingOSCTCPServer) or "threading" (ThreadingOSCTCPServer)

Servers print "READY <port>" once bound, then one JSON line per received message:
  {"address": ..., "tags": ",..." , "args": [...]}
with python-osc's decoded values (blobs as {"blob": hex}, MIDI as {"midi": [...]}, timetag arguments as
{"timetag": [seconds since 1900, fraction]}, non-finite floats as "NaN"/"inf"/"-inf"), and answer each
message with the reply ("/reply", address, number of arguments). They exit after COUNT messages.
"""

import datetime
import json
import math
import sys
import threading

from pythonosc import osc_bundle_builder, osc_message_builder, osc_packet, udp_client, tcp_client
from pythonosc import osc_server, osc_tcp_server
from pythonosc.dispatcher import Dispatcher
from pythonosc.parsing import osc_types

NTP_EPOCH = datetime.datetime(1900, 1, 1)


def conv(v):
    if isinstance(v, bool) or v is None or isinstance(v, (int, str)):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if isinstance(v, bytes):
        return {"blob": v.hex()}
    if isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], datetime.datetime):
        return {"timetag": [int((v[0] - NTP_EPOCH).total_seconds()), v[1]]}
    if isinstance(v, tuple):
        return {"midi": list(v)}
    if isinstance(v, list):
        return [conv(x) for x in v]
    return {"unknown": repr(v)}


def emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n")
    sys.stdout.flush()


INFERRED = [1, -(2**31), 2**40, 0.5, 0.1, float("inf"), "sine", "é", b"\x00\x01\xff",
            True, False, None, [1, [2.5, "x"]], (0, 144, 60, 127)]


def send_test_packets(client):
    """Sends the test packets in order with a SimpleUDPClient or SimpleTCPClient; the Rust tests know
    the expected JSON of each."""
    # Types inferred by python-osc from Python values.
    client.send_message("/py/infer", INFERRED)
    # Types given explicitly.
    b = osc_message_builder.OscMessageBuilder("/py/explicit")
    b.add_arg(1.5, "d")
    b.add_arg(0xFF0000FF, "r")
    b.add_arg((1, 2, 3, 4), "m")
    b.add_arg(7, "h")
    b.add_arg(-3, "i")
    b.add_arg(2, "f")
    client.send(b.build())
    # No arguments.
    client.send_message("/py/empty", [])
    # A bundle timed "immediately" holding a message and a bundle timed at UNIX time 1e9.
    inner = osc_bundle_builder.OscBundleBuilder(1_000_000_000)
    inner.add_content(osc_message_builder.build_msg("/py/inner", [42]))
    outer = osc_bundle_builder.OscBundleBuilder(osc_bundle_builder.IMMEDIATELY)
    outer.add_content(osc_message_builder.build_msg("/py/bundled", ["a", 1]))
    outer.add_content(inner.build())
    client.send(outer.build())


class PrintingDispatcher(Dispatcher):
    def __init__(self, count, done):
        super().__init__(strict_timing=False)
        self.remaining = count
        self.done = done
        self.lock = threading.Lock()
        self.set_default_handler(lambda address, *args: ("/reply", address, len(args)))

    def call_handlers_for_packet(self, data, client_address):
        for timed in osc_packet.OscPacket(data).messages:
            m = timed.message
            _, idx = osc_types.get_string(m.dgram, 0)
            tags = osc_types.get_string(m.dgram, idx)[0] if idx < len(m.dgram) else ""
            emit({"address": m.address, "tags": tags, "args": conv(list(m.params))})
        replies = super().call_handlers_for_packet(data, client_address)
        with self.lock:
            self.remaining -= len(osc_packet.OscPacket(data).messages)
            if self.remaining <= 0:
                self.done.set()
        return replies


def serve(server, done):
    emit_ready(server.server_address[1])
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    done.wait(timeout=60)
    # Give the reply time to leave before the process ends.
    threading.Event().wait(0.2)


def emit_ready(port):
    sys.stdout.write(f"READY {port}\n")
    sys.stdout.flush()


def main():
    sys.stdout.reconfigure(encoding="utf-8")
    mode = sys.argv[1]
    if mode == "udp-send":
        send_test_packets(udp_client.SimpleUDPClient("127.0.0.1", int(sys.argv[2])))
    elif mode == "tcp-send":
        with tcp_client.SimpleTCPClient("127.0.0.1", int(sys.argv[2]), mode=sys.argv[3]) as client:
            send_test_packets(client)
    elif mode == "udp-server":
        done = threading.Event()
        d = PrintingDispatcher(int(sys.argv[2]), done)
        serve(osc_server.BlockingOSCUDPServer(("127.0.0.1", 0), d), done)
    elif mode == "tcp-server":
        done = threading.Event()
        d = PrintingDispatcher(int(sys.argv[4]), done)
        cls = {
            "blocking": osc_tcp_server.BlockingOSCTCPServer,
            "threading": osc_tcp_server.ThreadingOSCTCPServer,
        }[sys.argv[3]]
        serve(cls(("127.0.0.1", 0), d, mode=sys.argv[2]), done)
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
