"""Sending mail. The digest code depends on the :class:`Mailer` protocol only, so tests and
dry runs inject their own; :class:`SmtpMailer` is the real one (smtplib).

The SMTP password never comes from the config file: the config names an environment variable
(``[smtp] password_env``) and :func:`smtp_mailer` reads it. It is never logged.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from typing import Protocol

from scheduler.config import SmtpOptions
from storage.exceptions import ConfigError, DeliveryError, DeliveryUncertainError

logger = logging.getLogger(__name__)


class Mailer(Protocol):
    """Anything that can hand a finished message to a mail system."""

    def send(self, message: bytes, *, sender: str, recipients: Sequence[str]) -> None:
        """Send ``message`` (RFC 5322 bytes, CRLF line ends); raise DeliveryError on failure."""


class _ReplyToDataLost(Exception):
    """The message data and its final dot were written, but no valid reply to them was read."""


class _SMTP(smtplib.SMTP):
    """smtplib.SMTP whose DATA tells "the server may have the message" apart from the rest.

    A failure before the final dot is written (the DATA command refused, the connection lost
    mid-message) is certain: the server cannot have taken the message. Once the whole message
    is written, a lost reply (timeout, dropped connection, garbage) leaves the outcome unknown
    and raises _ReplyToDataLost. A real reply, 250 or an error code, is returned as usual for
    ``sendmail`` to judge.
    """

    def data(self, msg: bytes | str) -> tuple[int, bytes]:  # type: ignore[override]
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        body = msg.encode("ascii") if isinstance(msg, str) else msg
        body = re.sub(rb"(?m)^\.", b"..", body)  # dot-stuffing, as smtplib does
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        self.send(body + b".\r\n")
        try:
            code, reply = self.getreply()
        except (smtplib.SMTPException, OSError) as exc:
            raise _ReplyToDataLost(f"{exc.__class__.__name__}: {exc}") from exc
        if not 200 <= code <= 599:
            raise _ReplyToDataLost(f"unreadable reply {reply[:100]!r}")
        return code, reply


class _SMTP_SSL(_SMTP, smtplib.SMTP_SSL):
    """Implicit TLS with the same DATA handling."""


class SmtpMailer:
    """SMTP delivery with STARTTLS (``starttls``), implicit TLS (``tls``) or none (``none``)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: str = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in ("none", "starttls", "tls"):
            raise ValueError(f"security must be none, starttls or tls, not {security!r}")
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self._password = password
        self.timeout = timeout
        self._ssl_context = ssl_context

    def __repr__(self) -> str:  # never shows the password
        return f"SmtpMailer({self.host}:{self.port}, security={self.security!r})"

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return _SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context())
        smtp = _SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.security == "starttls":
                smtp.starttls(context=self._context())
                smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: bytes, *, sender: str, recipients: Sequence[str]) -> None:
        """Deliver to every recipient; DeliveryError when the server cannot be used or
        refuses every recipient or the message. A partial refusal is logged and counts as
        delivered.

        The server's 250 reply to the message data is where it takes the message: whatever
        happens after it (an odd reply to QUIT, a dropped connection) is logged, not raised.
        When the whole message was written but that reply never came (timeout, dropped
        connection), the server may or may not have it: DeliveryUncertainError.
        """
        where = f"{self.host}:{self.port}"
        logger.info("sending to %d recipient(s) via %s (%s)", len(recipients), where, self.security)
        try:
            smtp = self._connect()
        except (smtplib.SMTPException, OSError) as exc:
            # OSError covers refused connections, timeouts and ssl.SSLError.
            raise DeliveryError(f"SMTP {where}: {exc.__class__.__name__}: {exc}") from exc
        try:
            try:
                if self.username:
                    smtp.login(self.username, self._password or "")
                refused = smtp.sendmail(sender, list(recipients), message)
            except _ReplyToDataLost as exc:
                raise DeliveryUncertainError(
                    f"SMTP {where}: the message was sent but the server's reply to it was lost "
                    f"({exc}); delivery is uncertain"
                ) from exc
            except smtplib.SMTPAuthenticationError as exc:
                raise DeliveryError(f"SMTP {where}: login as {self.username!r} refused") from exc
            except (smtplib.SMTPException, OSError) as exc:
                raise DeliveryError(f"SMTP {where}: {exc.__class__.__name__}: {exc}") from exc
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError) as exc:
                logger.warning(
                    "SMTP %s: message accepted, then QUIT failed: %s: %s",
                    where,
                    exc.__class__.__name__,
                    exc,
                )
        finally:
            smtp.close()
        for rcpt, (code, reply) in refused.items():
            logger.warning("SMTP %s refused recipient %s: %s %r", where, rcpt, code, reply)


def smtp_mailer(
    opts: SmtpOptions,
    environ: Mapping[str, str],
    *,
    config_path: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> SmtpMailer:
    """The SmtpMailer the config describes, with the password read from the environment."""
    password = None
    if opts.password_env:
        password = environ.get(opts.password_env)
        if password is None:
            raise ConfigError(
                f"environment variable {opts.password_env} (named by smtp.password_env) is not set",
                path=config_path,
                key="smtp.password_env",
            )
    elif opts.username:
        raise ConfigError(
            "smtp.username is set but smtp.password_env is not: name the environment "
            "variable that holds the password",
            path=config_path,
            key="smtp.password_env",
        )
    return SmtpMailer(
        opts.host,
        opts.port,
        security=opts.security,
        username=opts.username,
        password=password,
        timeout=opts.timeout,
        ssl_context=ssl_context,
    )
