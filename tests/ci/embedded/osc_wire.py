"""Minimal OSC 1.0 encoding/decoding and SLIP framing for the firmware test clients (stdlib only)."""

import struct

END, ESC, ESC_END, ESC_ESC = 0xC0, 0xDB, 0xDC, 0xDD


def _pad(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


def _string(s: str) -> bytes:
    return _pad(s.encode() + b"\0")


def message(address: str, *args) -> bytes:
    """Encodes a message; args are (tag, value) pairs with tags i, f, s, b."""
    tags, data = ",", b""
    for tag, value in args:
        tags += tag
        if tag == "i":
            data += struct.pack(">i", value)
        elif tag == "f":
            data += struct.pack(">f", value)
        elif tag == "s":
            data += _string(value)
        elif tag == "b":
            data += struct.pack(">i", len(value)) + _pad(bytes(value))
        else:
            raise ValueError(tag)
    return _string(address) + _string(tags) + data


def bundle(*elements: bytes, timetag: int = 1) -> bytes:
    """Encodes a bundle of encoded packets (timetag 1: immediately)."""
    out = b"#bundle\0" + struct.pack(">Q", timetag)
    for element in elements:
        out += struct.pack(">i", len(element)) + element
    return out


def _read_string(b: bytes, at: int):
    end = b.index(b"\0", at)
    return b[at:end].decode(), (end + 4) & ~3


def parse(packet: bytes):
    """Decodes a message into (address, [values]); supports i, f, s, b."""
    address, at = _read_string(packet, 0)
    tags, at = _read_string(packet, at)
    values = []
    for tag in tags[1:]:
        if tag == "i":
            values.append(struct.unpack_from(">i", packet, at)[0])
            at += 4
        elif tag == "f":
            values.append(struct.unpack_from(">f", packet, at)[0])
            at += 4
        elif tag == "s":
            s, at = _read_string(packet, at)
            values.append(s)
        elif tag == "b":
            n = struct.unpack_from(">i", packet, at)[0]
            values.append(packet[at + 4 : at + 4 + n])
            at += 4 + n + (-n % 4)
        else:
            raise ValueError(f"unexpected tag {tag!r}")
    return address, values


def slip_encode(packet: bytes) -> bytes:
    out = bytearray([END])
    for byte in packet:
        if byte == END:
            out += bytes([ESC, ESC_END])
        elif byte == ESC:
            out += bytes([ESC, ESC_ESC])
        else:
            out.append(byte)
    out.append(END)
    return bytes(out)


class SlipReader:
    """Reassembles SLIP frames from chunks of bytes."""

    def __init__(self):
        self.frame = bytearray()
        self.escaped = False

    def feed(self, data: bytes):
        frames = []
        for byte in data:
            if self.escaped:
                self.frame.append(END if byte == ESC_END else ESC)
                self.escaped = False
            elif byte == ESC:
                self.escaped = True
            elif byte == END:
                if self.frame:
                    frames.append(bytes(self.frame))
                self.frame = bytearray()
            else:
                self.frame.append(byte)
        return frames
