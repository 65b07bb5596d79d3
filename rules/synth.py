#!/usr/bin/env python3
"""Fills synthetic secrets into rule examples, so no example is ever a real or pasted token.

Write an example with «markers» and run `python3 rules/synth.py rules/acme.toml`: every marker
is replaced in place by random characters of that shape (valid checksum where the format has
one). `python3 rules/synth.py -e 'token = «gh:ghp_»'` prints one expansion instead.

Markers (N = length):
  «b62:N» «alnum:N»   0-9A-Za-z          «lower:N»   a-z0-9         «upper:N» A-Z0-9
  «hex:N»             0-9a-f             «HEX:N»     0-9A-F         «alpha:N» A-Za-z
  «lalpha:N»          a-z                «digits:N»  0-9            «b32:N»   A-Z2-7
  «b64:N»             A-Za-z0-9+/        «b64url:N»  A-Za-z0-9_-    «set:CHARS:N»
  «b64bytes:N»        standard base64 of N random bytes, padded
  «b64of:TEXT»        standard base64 of TEXT (markers inside TEXT are expanded first)
  «uuid»              a random UUIDv4
  «gh:PREFIX»         PREFIX + 30 base62 + 6-digit base62 CRC32 (GitHub, npm)
  «ghbad:PREFIX»      the same shape with a wrong checksum
  «jwt» «jwt:ROLE»    a JWT (HS256) whose payload is JSON; ROLE sets a "role" claim
  «age» «agebad»      an age X25519 identity (bech32, valid / broken checksum)
  «pem:LABEL:LINES»   a PEM block `-----BEGIN LABEL-----` with LINES random body lines
  «pemesc:LABEL:LINES» the same on one line, newlines written as the two characters \\n
"""

import base64
import json
import re
import secrets
import sys
import uuid
import zlib

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SETS = {
    "b62": B62,
    "alnum": B62,
    "lower": "abcdefghijklmnopqrstuvwxyz0123456789",
    "upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "hex": "0123456789abcdef",
    "HEX": "0123456789ABCDEF",
    "alpha": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "lalpha": "abcdefghijklmnopqrstuvwxyz",
    "digits": "0123456789",
    "b32": "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
    "b64": B62 + "+/",
    "b64url": B62 + "_-",
}
MARKER = re.compile("«([A-Za-z0-9]+)(?::([^«»]*))?»")


def rand(chars, n):
    return "".join(secrets.choice(chars) for _ in range(int(n)))


def base62_6(n):
    out = ""
    for _ in range(6):
        out = B62[n % 62] + out
        n //= 62
    return out


def github(prefix, broken=False):
    body = rand(B62, 30)
    crc = zlib.crc32(body.encode()) & 0xFFFFFFFF
    if broken:
        crc = (crc + 1) & 0xFFFFFFFF
    return prefix + body + base62_6(crc)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(role=None):
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": rand(SETS["lower"], 12), "iat": 1700000000 + secrets.randbelow(10**7)}
    if role:
        payload["role"] = role
    parts = [b64url(json.dumps(p, separators=(",", ":")).encode()) for p in (header, payload)]
    return ".".join(parts + [b64url(secrets.token_bytes(32))])


BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def age(broken=False, key=None):
    """An age identity for the 32 bytes `key` (random by default), bech32-checksummed."""
    hrp = "age-secret-key-"
    key = secrets.token_bytes(32) if key is None else key
    bits = "".join(f"{b:08b}" for b in key) + "0000"
    data = [int(bits[i : i + 5], 2) for i in range(0, 260, 5)]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    mod = bech32_polymod(expanded + data + [0] * 6) ^ 1
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    if broken:
        checksum[-1] ^= 1
    return (hrp + "1" + "".join(BECH32[d] for d in data + checksum)).upper()


def pem(label, lines, sep="\n"):
    body = []
    if label == "OPENSSH PRIVATE KEY":
        body.append("b3BlbnNzaC1rZXktdjEAAAAA" + rand(SETS["b64"], 46))
    while len(body) < int(lines):
        body.append(rand(SETS["b64"], 64))
    block = [f"-----BEGIN {label}-----"] + body + [f"-----END {label}-----"]
    return sep.join(block)


def expand_one(kind, arg):
    if kind in SETS:
        return rand(SETS[kind], arg)
    if kind == "set":
        chars, n = arg.rsplit(":", 1)
        return rand(chars, n)
    simple = {
        "uuid": lambda: str(uuid.uuid4()),
        "gh": lambda: github(arg),
        "ghbad": lambda: github(arg, broken=True),
        "jwt": lambda: jwt(arg),
        "age": lambda: age(),
        "agebad": lambda: age(broken=True),
        "b64bytes": lambda: base64.b64encode(secrets.token_bytes(int(arg))).decode(),
        "b64of": lambda: base64.b64encode(arg.encode()).decode(),
    }
    if kind in simple:
        return simple[kind]()
    if kind in ("pem", "pemesc"):
        label, lines = arg.rsplit(":", 1)
        return pem(label, lines, "\n" if kind == "pem" else "\\n")
    raise SystemExit(f"unknown marker «{kind}»")


def expand(text):
    while True:
        new = MARKER.sub(lambda m: expand_one(m.group(1), m.group(2)), text)
        if new == text:
            return new
        text = new


def main(args):
    if len(args) == 2 and args[0] == "-e":
        print(expand(args[1]))
        return
    if not args:
        raise SystemExit(__doc__)
    for path in args:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        with open(path, "w", encoding="utf-8") as f:
            f.write(expand(text))


if __name__ == "__main__":
    main(sys.argv[1:])
