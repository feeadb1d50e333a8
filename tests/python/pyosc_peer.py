#!/usr/bin/env python3
"""python-osc peer for osc-tests' interop test (tests/python_osc.rs).

Two modes, each a single process launch handling every vector:

  pyosc_peer.py build
      Builds messages and bundles with python-osc's own OscMessageBuilder and
      OscBundleBuilder, and prints one JSON object per line:
        {"name": ..., "hex": <the datagram>, "packet": <typed model>}
      The typed model records the type tag python-osc chose for every
      argument (read back from OscMessageBuilder.args), so the Rust side can
      check tags and values, not only values.

  pyosc_peer.py parse
      Reads lines "NAME HEX" from stdin, parses each datagram with python-osc
      (OscBundle / OscMessage, and OscPacket for the flattened view), and
      prints one JSON object per line:
        {"name": ..., "ok": true, "packet": <value model>, "flat": [...]}
        {"name": ..., "ok": false, "error": "..."}
      The value model is what python-osc hands an application: Python ints,
      floats, strs, bytes, bools, None, tuples and lists, each tagged with its
      Python type.

Floats travel as the hex of their IEEE-754 float64 bits so that no decimal
round trip can hide or invent a difference (NaN, -0.0, subnormals).

Needs python-osc 1.10.2 exactly; see /work/shared/notes/python-osc.md for
its quirks (no t/c/S/I writer, no empty blob writer, c/S/I misread).
"""

import datetime
import json
import struct
import sys
from importlib import metadata

from pythonosc.osc_bundle import OscBundle
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket

WANT_VERSION = "1.10.2"
NTP_EPOCH = datetime.datetime(1900, 1, 1)


def f64_hex(x):
    """The float64 bit pattern of a Python float (or int), as 16 hex digits."""
    return struct.pack(">d", float(x)).hex()


# --------------------------------------------------------------------------
# build mode
# --------------------------------------------------------------------------


def typed_args(builder_args):
    """Turns OscMessageBuilder.args (flat, with '[' and ']' entries) into a
    nested list of [tag, value] pairs: ["[", [...]] for arrays."""
    stack = [[]]
    for tag, value in builder_args:
        if tag == "[":
            stack.append([])
        elif tag == "]":
            inner = stack.pop()
            stack[-1].append(["[", inner])
        elif tag in ("i", "h", "r"):
            stack[-1].append([tag, int(value)])
        elif tag in ("f", "d"):
            stack[-1].append([tag, f64_hex(value)])
        elif tag == "s":
            stack[-1].append([tag, value])
        elif tag == "b":
            stack[-1].append([tag, bytes(value).hex()])
        elif tag == "m":
            stack[-1].append([tag, [v & 0xFF for v in value]])
        elif tag in ("T", "F", "N"):
            stack[-1].append([tag])
        else:
            raise SystemExit(f"unexpected builder tag {tag!r}")
    if len(stack) != 1:
        raise SystemExit("unbalanced array in builder args")
    return stack[0]


def tag_string(builder_args):
    return "".join(tag for tag, _ in builder_args)


def message(address, args, want_tags):
    """Builds a message. args: list of (value, arg_type or None to infer).
    want_tags: the type-tag string python-osc must choose (checked here, so a
    change in python-osc's inference shows up as a failure, not a skip)."""
    b = OscMessageBuilder(address=address)
    for value, arg_type in args:
        b.add_arg(value, arg_type)
    got = tag_string(b.args)
    if got != want_tags:
        raise SystemExit(f"{address}: python-osc chose tags {got!r}, expected {want_tags!r}")
    msg = b.build()
    model = {"message": {"address": address, "args": typed_args(b.args)}}
    return msg, model


def timestamp_model(ts):
    if isinstance(ts, int) and ts == IMMEDIATELY:
        return ["immediately"]
    return ["unix", f64_hex(ts)]


def bundle(ts, contents):
    """Builds a bundle. contents: (built object, model) pairs."""
    bb = OscBundleBuilder(ts)
    for obj, _ in contents:
        bb.add_content(obj)
    built = bb.build()
    model = {
        "bundle": {
            "timestamp": timestamp_model(ts),
            "elements": [m for _, m in contents],
        }
    }
    return built, model


def build_vectors():
    v = []

    def add(name, built_and_model):
        built, model = built_and_model
        v.append({"name": name, "hex": built.dgram.hex(), "packet": model})

    # int32 (i): inferred when bit_length() <= 31; -2**31 has bit_length 32
    # and is inferred as h (python-osc quirk), so it is also sent explicitly.
    add("int32", message("/types/int32", [
        (0, None), (1, None), (-1, None), (2**31 - 1, None), (-(2**31) + 1, None),
        (-(2**31), None), (-(2**31), "i"), (123456, "i"),
    ], "iiiiihii"))
    # int64 (h)
    add("int64", message("/types/int64", [
        (2**31, None), (-(2**31) - 1, None), (2**63 - 1, None), (-(2**63), None),
        (5, "h"), (-5, "h"), (0, "h"),
    ], "hhhhhhh"))
    # float32 (f): every Python float is inferred as f
    add("float32", message("/types/float32", [
        (0.5, None), (-1.25, None), (0.1, None), (0.0, None), (-0.0, None),
        (float("inf"), None), (float("-inf"), None), (float("nan"), None),
        (3.4028234663852886e38, None), (1.401298464324817e-45, None),
        (1.1754943508222875e-38, None), (3, "f"), (-2.5, "f"),
    ], "fffffffffffff"))
    # float64 (d): explicit only
    add("float64", message("/types/float64", [
        (0.1, "d"), (-0.0, "d"), (1e308, "d"), (5e-324, "d"), (float("inf"), "d"),
        (float("-inf"), "d"), (float("nan"), "d"), (3.141592653589793, "d"), (7, "d"),
    ], "ddddddddd"))
    # string (s): every padding length, and UTF-8
    add("string", message("/types/string", [
        ("", None), ("a", None), ("ab", None), ("abc", None), ("abcd", None),
        ("abcde", None), ("h\u00e9llo w\u00f6rld", None), ("\u65e5\u672c\u8a9e", None),
        ("emoji \U0001F39B\uFE0F", None), ("tab\tand newline\n", "s"),
    ], "ssssssssss"))
    # blob (b): every padding length; python-osc cannot write an empty blob
    add("blob", message("/types/blob", [
        (b"\x01", None), (b"\x01\x02", None), (b"\x01\x02\x03", None),
        (b"\x01\x02\x03\x04", None), (b"\x00" * 5, None), (bytes(range(256)), "b"),
    ], "bbbbbb"))
    # rgba (r): explicit only
    add("rgba", message("/types/rgba", [
        (0, "r"), (0xFF0000FF, "r"), (0xFFFFFFFF, "r"), (0x12345678, "r"),
    ], "rrrr"))
    # midi (m): a 4-tuple is inferred as m
    add("midi", message("/types/midi", [
        ((0, 0x90, 60, 127), None), ((1, 0xB0, 7, 0), "m"), ((255, 255, 255, 255), "m"),
    ], "mmm"))
    # T F N: inferred from True/False/None, or explicit
    add("bool_nil", message("/types/bool_nil", [
        (True, None), (False, None), (None, None), (True, "T"), (False, "F"), (None, "N"),
    ], "TFNTFN"))
    # arrays: inferred from lists (nested), and explicit tag lists
    add("array", message("/types/array", [
        (7, None),
        ([1, 2.5, "x"], None),
        ([[1, [True, None]], "y", []], None),
        ([10, 0.25], ["h", "d"]),
        ([b"\xff", (0, 0x80, 1, 2)], None),
        ("after", None),
    ], "i[ifs][[i[TN]]s[]][hd][bm]s"))
    add("empty", message("/empty", [], ""))
    add("address_len3", message("/ab", [(1, None)], "i"))
    add("address_len4", message("/abc", [(1, None)], "i"))
    add("address_pattern", message("/mixer/*/ch[0-9]/{gain,pan}/?", [(0.75, None)], "f"))
    # every type python-osc can write, in one message
    add("all_types", message("/all/types", [
        (42, "i"), (-(2**40), "h"), (0.5, "f"), (0.2, "d"), ("str", "s"),
        (b"\xde\xad\xbe\xef\x01", "b"), (0x336699CC, "r"), ((3, 0x91, 64, 100), "m"),
        (True, "T"), (False, "F"), (None, "N"), ([1, ["nested"]], None),
    ], "ihfdsbrmTFN[i[s]]"))

    # bundles
    m1 = message("/b/one", [(1, None)], "i")
    m2 = message("/b/two", [("two", None), (2.0, None)], "sf")
    m3 = message("/b/three", [], "")
    add("bundle_immediately", bundle(IMMEDIATELY, [m1, m2]))
    # 2026-11-24 00:00:00.5 UTC: exact in float64 and in NTP
    add("bundle_exact_time", bundle(1795478400.5, [m1]))
    # not exact: python-osc truncates (t + 2208988800) * 2**32 computed in float64
    add("bundle_inexact_time", bundle(1700000000.123456, [m2]))
    add("bundle_empty", bundle(IMMEDIATELY, []))
    inner2 = bundle(IMMEDIATELY, [m3])
    inner1 = bundle(1700000001.125, [m2, inner2])
    add("bundle_nested", bundle(1700000000.25, [m1, inner1, m3]))

    # golden vectors osc-core/tests/vectors/W1, W3, W4 (W2 has a t, which
    # python-osc cannot write)
    w1 = message("/synth/1/freq", [(440, None), (0.5, None), ("sine", None)], "ifs")
    add("W1", w1)
    add("W3", bundle(IMMEDIATELY, [
        message("/synth/1/freq", [(440 + k, None), (0.5, None), ("sine", None)], "ifs")
        for k in range(16)
    ]))
    add("W4", message("/data/blob", [(bytes(range(256)) * 32, None)], "b"))
    return v


# --------------------------------------------------------------------------
# parse mode
# --------------------------------------------------------------------------


def value_model(v):
    """What python-osc handed us, tagged with its Python type."""
    if isinstance(v, bool):  # before int: bool is an int subclass
        return ["bool", v]
    if isinstance(v, int):
        return ["int", v]
    if isinstance(v, float):
        return ["float", f64_hex(v)]
    if isinstance(v, str):
        return ["str", v]
    if isinstance(v, bytes):
        return ["bytes", v.hex()]
    if v is None:
        return ["none"]
    if isinstance(v, list):
        return ["list", [value_model(x) for x in v]]
    if isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], datetime.datetime):
        delta = v[0] - NTP_EPOCH
        seconds = delta.days * 86400 + delta.seconds
        if delta.microseconds:
            raise SystemExit("timetag datetime with microseconds")
        return ["timetag", [seconds, v[1]]]
    if isinstance(v, tuple) and len(v) == 4:
        return ["midi", list(v)]
    raise SystemExit(f"unexpected python-osc value {v!r}")


def packet_model(obj):
    if isinstance(obj, OscBundle):
        ts = obj.timestamp
        if isinstance(ts, int):  # the IMMEDIATELY sentinel is the int 0
            tsm = ["immediately"] if ts == IMMEDIATELY else ["int", ts]
        else:
            tsm = ["float", f64_hex(ts)]
        return {"bundle": {"timestamp": tsm, "elements": [packet_model(e) for e in obj]}}
    if isinstance(obj, OscMessage):
        return {"message": {"address": obj.address, "args": [value_model(p) for p in obj.params]}}
    raise SystemExit(f"unexpected python-osc object {obj!r}")


def parse_one(dgram):
    if OscBundle.dgram_is_bundle(dgram):
        obj = OscBundle(dgram)
    elif OscMessage.dgram_is_message(dgram):
        obj = OscMessage(dgram)
    else:
        raise ValueError("neither a bundle nor a message")
    # OscPacket: python-osc's dispatch view, a time-sorted flat message list.
    flat = [tm.message.address for tm in OscPacket(dgram).messages]
    return packet_model(obj), flat


def parse_stdin():
    out = []
    for line in sys.stdin.read().splitlines():
        line = line.strip()
        if not line:
            continue
        name, hexdata = line.split(" ", 1)
        try:
            model, flat = parse_one(bytes.fromhex(hexdata))
            out.append({"name": name, "ok": True, "packet": model, "flat": flat})
        except Exception as e:  # reported to the Rust side, which decides
            out.append({"name": name, "ok": False, "error": f"{type(e).__name__}: {e}"})
    return out


def main():
    have = metadata.version("python-osc")
    if have != WANT_VERSION:
        raise SystemExit(f"python-osc {WANT_VERSION} needed, found {have}")
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "build":
        rows = build_vectors()
    elif mode == "parse":
        rows = parse_stdin()
    else:
        raise SystemExit("usage: pyosc_peer.py build|parse")
    w = sys.stdout
    for row in rows:
        w.write(json.dumps(row, sort_keys=True))
        w.write("\n")
    w.flush()


if __name__ == "__main__":
    main()
