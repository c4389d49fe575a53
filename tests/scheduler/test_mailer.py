"""SmtpMailer against real SMTP servers on loopback: STARTTLS and implicit TLS with a
certificate the client really verifies, AUTH with the password from the environment (never
logged), failures reported as DeliveryError (exit 5), and a message whose reply was lost
reported as DeliveryUncertainError."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import logging
import ssl
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from scheduler.config import SmtpOptions
from scheduler.mailer import SmtpMailer, smtp_mailer
from storage.exceptions import ConfigError, DeliveryError, DeliveryUncertainError
from tests.scheduler.digest_support import SmtpSink, smtp_server

SECRET = "s3cret-Pa55"
MESSAGE = (
    b"From: newsmon@example.org\r\nTo: a@example.org\r\nSubject: hi\r\n"
    b"Message-ID: <t@example.org>\r\n\r\nbody\r\n"
)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    d = tmp_path_factory.mktemp("tls")
    (d / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return d / "cert.pem", d / "key.pem"


def _server_ctx(files: tuple[Path, Path]) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(*map(str, files))
    return ctx


def _client_ctx(files: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(files[0]))


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == b"newsmon"
        and data.password == SECRET.encode()
    )
    # handled=False: let the server answer 535 itself on failure
    return AuthResult(success=ok, handled=False)


def test_starttls_with_auth_from_environment_delivers_and_never_logs_the_password(
    tls_files: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    with smtp_server(
        tls_context=_server_ctx(tls_files),
        require_starttls=True,
        authenticator=_authenticator,
        auth_required=True,
    ) as (sink, port):
        opts = SmtpOptions(
            host="127.0.0.1",
            port=port,
            security="starttls",
            username="newsmon",
            password_env="NEWSMON_TEST_SMTP_PW",
            timeout=10,
        )
        mailer = smtp_mailer(
            opts, {"NEWSMON_TEST_SMTP_PW": SECRET}, ssl_context=_client_ctx(tls_files)
        )
        with caplog.at_level(logging.DEBUG):
            mailer.send(MESSAGE, sender="newsmon@example.org", recipients=["a@example.org"])
    assert [r.message["Subject"] for r in sink.received] == ["hi"]
    assert SECRET not in caplog.text and SECRET not in repr(mailer)


def test_wrong_password_is_a_delivery_error_without_the_password(
    tls_files: tuple[Path, Path],
) -> None:
    with smtp_server(
        tls_context=_server_ctx(tls_files), authenticator=_authenticator, auth_required=True
    ) as (sink, port):
        mailer = SmtpMailer(
            "127.0.0.1",
            port,
            security="starttls",
            username="newsmon",
            password="wrong-" + SECRET,
            ssl_context=_client_ctx(tls_files),
        )
        with pytest.raises(DeliveryError) as err:
            mailer.send(MESSAGE, sender="newsmon@example.org", recipients=["a@example.org"])
    assert err.value.exit_code == 5 and "login as 'newsmon' refused" in str(err.value)
    assert SECRET not in str(err.value) and sink.received == []


def test_implicit_tls_delivers(tls_files: tuple[Path, Path]) -> None:
    with smtp_server(ssl_context=_server_ctx(tls_files)) as (sink, port):
        SmtpMailer(
            "127.0.0.1", port, security="tls", ssl_context=_client_ctx(tls_files), timeout=10
        ).send(MESSAGE, sender="newsmon@example.org", recipients=["a@example.org"])
    assert len(sink.received) == 1


def test_untrusted_certificate_is_refused(tls_files: tuple[Path, Path]) -> None:
    with smtp_server(tls_context=_server_ctx(tls_files)) as (sink, port):
        # the system trust store does not know this self-signed certificate
        mailer = SmtpMailer("127.0.0.1", port, security="starttls", timeout=10)
        with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
            mailer.send(MESSAGE, sender="newsmon@example.org", recipients=["a@example.org"])
    assert sink.received == []


def test_plain_client_against_a_server_requiring_starttls_fails(
    tls_files: tuple[Path, Path],
) -> None:
    plain = SmtpMailer("127.0.0.1", port=0, security="none", timeout=10)
    with (
        smtp_server(tls_context=_server_ctx(tls_files), require_starttls=True) as (sink, port),
        pytest.raises(DeliveryError, match="STARTTLS"),
    ):
        plain.port = port
        plain.send(MESSAGE, sender="newsmon@example.org", recipients=["a@example.org"])
    assert sink.received == []


def test_password_env_missing_or_unnamed_is_a_config_error() -> None:
    opts = SmtpOptions(username="newsmon", password_env="NEWSMON_NOPE")
    with pytest.raises(
        ConfigError, match=r"\[smtp.password_env\] environment variable NEWSMON_NOPE"
    ):
        smtp_mailer(opts, {}, config_path="/etc/newsmon.toml")
    with pytest.raises(ConfigError, match=r"smtp.password_env"):
        smtp_mailer(SmtpOptions(username="newsmon"), {})


class KeepsTheMessageButNoReply(SmtpSink):
    """Stores the whole message, then never lets its 250 reach the client: ``slow`` answers
    after the client's timeout, otherwise the connection is dropped."""

    def __init__(self, *, slow: bool) -> None:
        super().__init__()
        self.slow = slow

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if self.slow:
            await asyncio.sleep(3)
        else:
            server.transport.close()
        return reply


@pytest.mark.parametrize("slow", [True, False], ids=["reply-too-late", "connection-dropped"])
def test_a_message_whose_reply_is_lost_is_an_uncertain_delivery(slow: bool) -> None:
    with smtp_server(KeepsTheMessageButNoReply(slow=slow)) as (sink, port):
        mailer = SmtpMailer("127.0.0.1", port, security="none", timeout=1)
        with pytest.raises(DeliveryUncertainError, match="delivery is uncertain") as err:
            mailer.send(MESSAGE, sender="newsmon@example.org", recipients=["a@example.org"])
    assert err.value.exit_code == 5 and isinstance(err.value, DeliveryError)
    assert [r.raw.replace(b"\r\n", b"\n") for r in sink.received] == [
        MESSAGE.replace(b"\r\n", b"\n")
    ]


class RefusesRecipients(SmtpSink):
    """Answers 550 to the recipients listed in ``unknown``."""

    def __init__(self, *unknown: str) -> None:
        super().__init__()
        self.unknown = unknown

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.unknown:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.mark.parametrize("refusal", ["554 to the message", "every recipient refused"])
def test_a_refusal_is_a_certain_failure(refusal: str) -> None:
    sink = SmtpSink(refuse=True) if refusal.startswith("554") else RefusesRecipients("a@x.org")
    with smtp_server(sink) as (sink, port):
        mailer = SmtpMailer("127.0.0.1", port, security="none", timeout=5)
        with pytest.raises(DeliveryError) as err:
            mailer.send(MESSAGE, sender="newsmon@example.org", recipients=["a@x.org"])
    assert not isinstance(err.value, DeliveryUncertainError)
    assert sink.received == []


def test_a_partly_refused_recipient_list_is_delivered_and_the_refusal_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with smtp_server(RefusesRecipients("gone@x.org")) as (sink, port):
        mailer = SmtpMailer("127.0.0.1", port, security="none", timeout=5)
        mailer.send(MESSAGE, sender="newsmon@example.org", recipients=["a@x.org", "gone@x.org"])
    assert [r.recipients for r in sink.received] == [["a@x.org"]]
    assert "refused recipient gone@x.org: 550" in caplog.text


def test_a_message_with_leading_dots_arrives_unchanged() -> None:
    # DATA is written by newsmon itself (to tell a lost reply apart): dot-stuffing must hold.
    body = MESSAGE + b".\r\n..two\r\n.three"
    with smtp_server() as (sink, port):
        SmtpMailer("127.0.0.1", port, security="none", timeout=5).send(
            body, sender="newsmon@example.org", recipients=["a@example.org"]
        )
    assert sink.received[0].raw.endswith(b"\r\n.\r\n..two\r\n.three\r\n")
