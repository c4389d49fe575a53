"""Sending mail. The digest code depends on the :class:`Mailer` protocol only, so tests and
dry runs inject their own; :class:`SmtpMailer` is the real one (smtplib).

The SMTP password never comes from the config file: the config names an environment variable
(``[smtp] password_env``) and :func:`smtp_mailer` reads it. It is never logged.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from typing import Protocol

from scheduler.config import SmtpOptions
from storage.exceptions import ConfigError, DeliveryError

logger = logging.getLogger(__name__)


class Mailer(Protocol):
    """Anything that can hand a finished message to a mail system."""

    def send(self, message: bytes, *, sender: str, recipients: Sequence[str]) -> None:
        """Send ``message`` (RFC 5322 bytes, CRLF line ends); raise DeliveryError on failure."""


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
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self._context()
            )
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
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
        refuses every recipient. A partial refusal is logged and counts as delivered.

        The server's 250 reply to the message data is where it takes the message: whatever
        happens after it (an odd reply to QUIT, a dropped connection) is logged, not raised.
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
