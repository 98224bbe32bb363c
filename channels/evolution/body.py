"""An Evolution webhook's body, decoded without copying the file it carries.

With "webhook base64" on, Evolution puts a media message's file, base64-encoded, in
`data.message.base64` (messages.upsert and send.message, whatsapp.baileys.service.ts in 1.8 and
2.x): a body of up to 64 MiB is nearly all that one string. `json.loads(body)` would hold it
twice more, as the body decoded to a str and as the value's own str. Here a scanner finds the
value's bytes in the body, `json.loads` parses the rest with a short placeholder in the value's
place, and the value becomes a memoryview of the body: the file is held once, in the body.

The scanner reads only the structure on the way to `data.message.base64` (keys, brackets and
the ends of strings; a string is skipped with one `find` per quote, so the file costs a memchr,
not a Python loop), and only where JSON's own rules put it, so the key `base64` inside a text,
in another object or escaped in a key is told apart. Whatever it cannot follow (not an object,
a value that is not plain base64 text, not valid JSON) is decoded by `json.loads` as a whole,
which also gives malformed bodies the errors it always gave.
"""

import json
import re

# Where Evolution puts the file. Every string value at this path is cut out (with duplicate
# keys `json.loads` keeps the last, so each occurrence is), or none is.
PATH = ("data", "message", "base64")

_WHITESPACE = re.compile(rb"[ \t\n\r]*")
# Inside a value being skipped only strings and brackets matter (a string may hold brackets).
_STRING_OR_BRACKET = re.compile(rb'["{}\[\]]')
_SCALAR = re.compile(rb"[^ \t\n\r,:\]}\[{\"]+")
# What a file's base64 text holds; checked in place (a regex match copies nothing).
_BASE64 = re.compile(rb"[A-Za-z0-9+/=]*")
# A key longer than this, escapes and quotes included, cannot spell a key of PATH.
_KEY_MAX = 64
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPEN, _CLOSE = b"{[", b"}]"


class _Unfollowable(Exception):
    """The scanner cannot follow the body: json.loads decodes it whole (and judges it)."""


def decode(body: bytes) -> object:
    """The body's JSON, each string at `data.message.base64` a memoryview of the base64 text's
    bytes (in `body` itself when the scanner followed it). Raises what json.loads raises for a
    body that is not JSON (ValueError, UnicodeDecodeError, RecursionError)."""
    try:
        spans = _Scanner(body).spans()
    except (_Unfollowable, IndexError, ValueError):
        spans = []
    if not spans:
        return _as_bytes(json.loads(body))
    view = memoryview(body)
    pieces, last = [], 0
    for number, (start, end) in enumerate(spans):
        pieces += [view[last:start], str(number).encode()]
        last = end
    pieces.append(view[last:])
    payload = json.loads(b"".join(pieces))
    for holder in _holders(payload):
        if isinstance(holder.get(PATH[-1]), str):
            # Every string at the path was cut out: this one is a placeholder.
            start, end = spans[int(holder[PATH[-1]])]
            holder[PATH[-1]] = view[start:end]
    return payload


def _as_bytes(payload: object) -> object:
    """A payload json.loads decoded whole, its base64 texts made bytes too (the parser reads one
    type): such a body is small or unusual, not worth avoiding the copy."""
    for holder in _holders(payload):
        if isinstance(holder.get(PATH[-1]), str):
            holder[PATH[-1]] = memoryview(holder[PATH[-1]].encode("utf-8", "replace"))
    return payload


def _holders(payload: object) -> list[dict]:
    """The objects at `data.message`, where the file's key is: on the way an array's objects
    count each (some builds send `data` as a list of one message), as for the scanner."""
    level = [payload]
    for key in PATH[:-1]:
        values = [node.get(key) for node in level if isinstance(node, dict)]
        level = []
        for value in values:
            level += value if isinstance(value, list) else [value]
    return [node for node in level if isinstance(node, dict)]


class _Scanner:
    """The spans (start, end) of the string values at PATH, in body order: what is between a
    value's quotes, holding no escape."""

    def __init__(self, body: bytes):
        self.body = body
        self.found: list[tuple[int, int]] = []

    def spans(self) -> list[tuple[int, int]]:
        start = self.space(0)
        if self.body[start] != ord("{"):
            return []
        self.object(start, PATH)
        return self.found

    def space(self, at: int) -> int:
        return _WHITESPACE.match(self.body, at).end()

    def string_end(self, at: int) -> int:
        """Just past the string whose opening quote is at `at`: its closing quote is the first
        one after an even number of backslashes."""
        search_from = at + 1
        while True:
            quote = self.body.find(b'"', search_from)
            if quote < 0:
                raise _Unfollowable
            backslashes = quote
            while self.body[backslashes - 1] == _BACKSLASH:
                backslashes -= 1
            if (quote - backslashes) % 2 == 0:
                return quote + 1
            search_from = quote + 1

    def object(self, at: int, path: tuple[str, ...]) -> int:
        """Walk the object opening at `at` towards `path`; return the position past it."""
        at = self.space(at + 1)
        if self.body[at] == ord("}"):
            return at + 1
        while True:
            if self.body[at] != _QUOTE:
                raise _Unfollowable
            key_end = self.string_end(at)
            key = json.loads(self.body[at:key_end]) if key_end - at <= _KEY_MAX else None
            at = self.space(key_end)
            if self.body[at] != ord(":"):
                raise _Unfollowable
            at = self.value(self.space(at + 1), path[1:] if key == path[0] else None)
            at = self.space(at)
            if self.body[at] == ord("}"):
                return at + 1
            if self.body[at] != ord(","):
                raise _Unfollowable
            at = self.space(at + 1)

    def value(self, at: int, rest: tuple[str, ...] | None) -> int:
        """The value at `at`, `rest` of PATH below it (None: off the path); the position past it."""
        first = self.body[at]
        if rest and first == ord("{"):
            return self.object(at, rest)
        if rest and first == ord("["):
            return self.array(at, rest)
        if rest == () and first == _QUOTE:
            end = self.string_end(at)
            if not _BASE64.fullmatch(self.body, at + 1, end - 1):
                # Escaped, or holding what is not base64 (a control character, bytes that
                # are not UTF-8, which json.loads refuses): not the text Evolution sends.
                raise _Unfollowable
            self.found.append((at + 1, end - 1))
            return end
        return self.skip(at)

    def array(self, at: int, rest: tuple[str, ...]) -> int:
        """An array on the path: each of its objects is walked towards `rest`."""
        at = self.space(at + 1)
        if self.body[at] == ord("]"):
            return at + 1
        while True:
            at = self.object(at, rest) if self.body[at] == ord("{") else self.skip(at)
            at = self.space(at)
            if self.body[at] == ord("]"):
                return at + 1
            if self.body[at] != ord(","):
                raise _Unfollowable
            at = self.space(at + 1)

    def skip(self, at: int) -> int:
        """Past the value at `at`, however deep, without a Python call per level."""
        first = self.body[at]
        if first == _QUOTE:
            return self.string_end(at)
        if first not in _OPEN:
            scalar = _SCALAR.match(self.body, at)
            if scalar is None:
                raise _Unfollowable
            return scalar.end()
        depth = 0
        while True:
            found = _STRING_OR_BRACKET.search(self.body, at)
            if found is None:
                raise _Unfollowable
            at = found.start()
            if self.body[at] == _QUOTE:
                at = self.string_end(at)
                continue
            depth += 1 if self.body[at] in _OPEN else -1
            at += 1
            if depth == 0:
                return at
