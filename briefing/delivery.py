"""Email delivery: the only module that speaks SMTP. Building the message is a pure function."""

from __future__ import annotations

import base64
import logging
import re
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from briefing.config import EmailConfig
from briefing.errors import ConfigError, DeliveryError
from briefing.models import Digest
from briefing.output import write_atomic
from briefing.render import shown_headline, to_email_html, to_text
from briefing.safety import one_line

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "plain": 25}
MAX_SUBJECT_HEADLINE = 90


def subject(digest: Digest, prefix: str = "") -> str:
    """'Daily briefing 2026-11-23: <top headline>', on one line (a header cannot be forged from it)."""
    top = ""
    if digest.stories:
        top = shown_headline(digest.stories[0])
        if len(top) > MAX_SUBJECT_HEADLINE:
            top = top[: MAX_SUBJECT_HEADLINE - 1].rstrip() + "…"
    text = f"{one_line(digest.title)} {one_line(digest.date)}" + (f": {top}" if top else "")
    return one_line(f"{prefix} {text}")


def require_recipients(config: EmailConfig) -> None:
    """Stop before any work when there is nobody to send to."""
    if not config.to:
        raise ConfigError("email.to is empty: list at least one recipient (BRIEFING_EMAIL_TO=a@x.org,b@y.org)")


def build_message(digest: Digest, config: EmailConfig, message_id: str | None = None) -> EmailMessage:
    """The digest as a multipart/alternative message: plain text, then HTML for mail clients.

    Args:
        digest: the digest to send.
        config: sender, recipients, unsubscribe target.
        message_id: reuse an id (a re-send of the same digest keeps its id); new when None.
    """
    require_recipients(config)
    message = EmailMessage()
    message["Subject"] = subject(digest, config.subject_prefix)
    message["From"] = config.sender
    message["To"] = ", ".join(config.to)
    message["Date"] = formatdate(localtime=True)
    domain = config.sender.rpartition("@")[2] or "localhost"
    stamp = re.sub(r"[^0-9A-Za-z.-]", "", digest.date)  # a Message-ID holds no space or line break
    message["Message-ID"] = message_id or make_msgid(idstring=f"briefing.{stamp}", domain=domain)
    if config.unsubscribe:
        message["List-Unsubscribe"] = f"<{config.unsubscribe}>"
        if config.unsubscribe.startswith("https://"):
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["X-Briefing-Date"] = one_line(digest.date)
    message.set_content(to_text(digest), subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(
        to_email_html(digest, config.unsubscribe), subtype="html", charset="utf-8", cte="quoted-printable"
    )
    return message


def write_eml(message: EmailMessage, path: Path) -> Path:
    """The exact message, as a .eml file (for --dry-run)."""
    write_atomic(path, message.as_string())
    return path


def _tls_context(config: EmailConfig) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)
    return context


def send(message: EmailMessage, config: EmailConfig) -> list[str]:
    """Send over SMTP (STARTTLS, implicit TLS or plain), logging in when a username is set.

    Once the server has accepted the message (250 after DATA) it is sent: what goes wrong after
    that (an error answer to QUIT, a dropped connection) and recipients refused while others were
    accepted are logged as warnings, never raised, so a retry cannot deliver a second copy.

    Returns:
        The recipients the server refused while accepting the message for the others.

    Raises:
        DeliveryError: with the server's refusal or the network failure in plain words, when the
            message was not accepted.
    """
    port = config.port or DEFAULT_PORTS[config.security]
    where = f"{config.host}:{port}"
    password = config.smtp_password()
    if config.username and password is None:
        raise ConfigError("email.username is set but no password: set BRIEFING_EMAIL_PASSWORD or email.password_file")
    stage = "connect"
    try:
        client: smtplib.SMTP
        if config.security == "ssl":
            client = smtplib.SMTP_SSL(config.host, port, timeout=config.timeout_seconds, context=_tls_context(config))
        else:
            client = smtplib.SMTP(config.host, port, timeout=config.timeout_seconds)
        try:
            client.ehlo()
            if config.security == "starttls":
                client.starttls(context=_tls_context(config))
                client.ehlo()
            if config.username:
                stage = "login"
                _login(client, config.username, password or "")
            stage = "send"
            refused = client.send_message(message)
        except BaseException:
            client.close()
            raise
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"the mail server {where} refused the login for {config.username}: {_reply(exc)}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"the mail server {where} refused every recipient: {', '.join(exc.recipients)}") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(f"the mail server {where} does not support {config.security}: {exc}") from None
    except smtplib.SMTPServerDisconnected:
        if stage == "login":  # some servers hang up on a refused login instead of answering 535
            raise DeliveryError(f"the mail server {where} refused the login for {config.username}") from None
        raise DeliveryError(f"the mail server {where} closed the connection before the message was accepted") from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"the mail server {where} refused the message: {_reply(exc)}") from None
    except ssl.SSLError as exc:
        raise DeliveryError(f"TLS with {where} failed ({exc.reason}); check email.security and email.ca_file") from None
    except (ConnectionRefusedError, socket.gaierror, TimeoutError, OSError) as exc:
        raise DeliveryError(f"cannot reach the mail server {where}: {exc}; check email.host and email.port") from None
    _quit(client, where)
    if refused:
        log.warning("the mail server %s refused some recipients: %s", where, ", ".join(sorted(refused)))
    return sorted(refused)


def _quit(client: smtplib.SMTP, where: str) -> None:
    """End a session whose message was accepted; a failure here is only worth a warning."""
    try:
        code, reply = client.docmd("QUIT")
        if code != 221:
            text = reply.decode("utf-8", "replace")
            log.warning("the mail server %s accepted the message, then answered QUIT with %d %s", where, code, text)
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("the mail server %s accepted the message, then failed at QUIT: %s", where, exc)
    finally:
        client.close()


def _login(client: smtplib.SMTP, username: str, password: str) -> None:
    """Log in; smtplib sends credentials as ASCII only, so non-ASCII ones go as UTF-8 AUTH PLAIN (RFC 4616)."""
    if (username + password).isascii():
        client.login(username, password)
        return
    token = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
    code, reply = client.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return f"{exc.smtp_code} {text}"
