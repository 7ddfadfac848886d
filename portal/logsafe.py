"""Log lines that a request cannot forge.

A request path, a header or a form value that reaches a log message may carry a newline (a forged second
line), a carriage return or terminal escape codes. Every log record made in this process has its
message formatted once and its control characters written as \\xNN escapes, whoever logs it (the portal,
Flask, the outbox worker). Tracebacks are formatted later by the handler and keep their lines.
"""

import logging
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_control(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def install() -> None:
    """Wrap the log record factory once per process (create_app may run many times, as in tests)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "escapes_control", False):
        return

    def escaping_factory(*args, **kwargs):
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call; the handler reports it as logging always has
            return record
        escaped = escape_control(message)
        if escaped != message:
            record.msg, record.args = escaped, None
        return record

    escaping_factory.escapes_control = True
    logging.setLogRecordFactory(escaping_factory)
