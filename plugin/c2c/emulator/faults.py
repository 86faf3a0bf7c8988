"""Faults: what the emulator serves instead of, or around, the real answer to matching requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from c2c.emulator import bodyfaults
from c2c.emulator.messages import Request, Response


@dataclass
class Fault:
    """A fault served instead of (or around) the real answer for requests whose path starts with `path`.

    Wire faults: `status` (with `body`, `headers`) instead of the answer; `delay` before it; `reset` closes
    the connection with no answer; `truncate` sends the real headers (Content-Length of the whole body) and
    half the body, then closes: the HTTP framing itself is broken.

    Body faults keep the HTTP framing intact (Content-Length matches what is sent; gzip, when on, compresses
    the altered body):

    - `cut` (a fraction, e.g. 0.5): the real answer, status and headers, with its body cut after that share
      of its bytes; the JSON (or last text line) is incomplete.
    - `html`: 200 (or `status`) with `Content-Type: text/html` and an HTML page (`body` if it is a string,
      else a sign-in page) instead of the real answer, as a proxy or a maintenance window serves.
    - `poison_item`: the real answer with the middle item of its page (index len // 2) made undecodable,
      everything around it unchanged and well-formed:
      * a JSON object body: the first list-valued member holding items (`events`, `fileEvents`, `items`);
        a JSON list body: the list itself. The middle item is re-serialised with an invalid escape `\\E`
        in the middle of its first string value (depth-first; a new `"poison"` member when it has none;
        the string itself when the item is a string, as a JSON list of lines). Every other item and member
        decodes to the same value as before (members in their order, compact separators, UTF-8).
      * a text body (inSync CEF / Syslog, one event a line): the middle non-empty line is replaced by
        `POISON_LINE`, a line that is neither CEF nor Syslog; the other lines are byte for byte the same.
      A body with no item (an empty page, an error answer) is served unchanged and the fault stays armed
      for the next matching request.
    """

    path: str = "/"
    method: str | None = None
    status: int | None = None  # serve this status instead of the real answer
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    count: int = 1  # how many matching requests it hits; -1 = until cleared
    delay: float = 0.0  # seconds before answering
    truncate: bool = False  # send the real answer's headers and half its body, then close
    reset: bool = False  # close the connection without an answer
    skip: int = 0  # let this many matching requests through first
    cut: float | None = None  # serve the real body cut after this share of its bytes, framing intact
    html: bool = False  # serve an HTML page (200 unless `status`) instead of the real answer
    poison_item: bool = False  # make the middle item of the real page undecodable
    hits: int = 0  # how many requests it was applied to

    def __post_init__(self) -> None:
        if self.cut is not None and not 0 <= self.cut < 1:
            raise ValueError(f"cut must be a share of the body in [0, 1), not {self.cut!r}")

    def matches(self, req: Request) -> bool:
        return req.path.startswith(self.path) and (self.method is None or self.method == req.method)


def html_page(fault: Fault) -> Response:
    """The HTML page an `html` fault serves."""
    page = fault.body if isinstance(fault.body, str) else bodyfaults.HTML_PAGE
    return Response(fault.status or 200, page, {"Content-Type": "text/html; charset=utf-8", **fault.headers})


def altered(response: Response, fault: Fault) -> Response | None:
    """The real answer with a `cut` or `poison_item` fault applied; None when it has no item to poison."""
    payload = response.encoded()
    content_type = next((v for k, v in response.headers.items() if k.lower() == "content-type"), "")
    body = bodyfaults.poison(payload, content_type) if fault.poison_item else payload
    if body is None:
        return None
    if fault.cut is not None:
        body = bodyfaults.cut(body, fault.cut)
    return Response(response.status, body, response.headers)
