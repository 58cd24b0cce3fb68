"""Real SMTP servers on loopback for tests: aiosmtpd (plain, STARTTLS, implicit TLS, login, refusing RCPT)
and a scripted raw-socket peer (refusing greeting, dropping the connection mid-session).

    with SmtpServer(tls="starttls", login=("user", "pass")) as server:
        monkeypatch.setenv("SSL_CERT_FILE", server.ca_file)   # trust its test CA
        send_message(..., host=server.host, port=server.port, security="starttls", ...)
        server.messages[0]["Subject"]

TLS servers get a fresh test CA (trustme) and a certificate for 127.0.0.1, ::1 and localhost. The client
side uses ssl.create_default_context(), which reads SSL_CERT_FILE when it is called, so setting that
environment variable to `ca_file` makes the client trust the server (and only then).
"""

from __future__ import annotations

import email
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterable
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Self

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

LOOPBACK = "127.0.0.1"


class RecordingHandler:
    """aiosmtpd handler keeping every accepted message; refuses RCPT for the addresses in `refuse`."""

    def __init__(self, refuse: Iterable[str] = ()) -> None:
        self.refuse = {address.lower() for address in refuse}
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[str] = []

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if address.lower() in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        data = content if isinstance(content, bytes) else str(content).encode("utf-8")
        message = email.message_from_bytes(data, policy=policy.default)
        self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 2.0.0 accepted"


class _Controller(Controller):
    """Controller on an ephemeral port: learns the port the OS picked before poking the server.

    `auth_over_plain` lets AUTH through on connections aiosmtpd does not know are encrypted (implicit TLS,
    see aiosmtpd issue 281, or a plain test server); it is set after SMTP is built because the constructor
    warns (UserWarning) when AUTH is required without TLS, on every connection."""

    auth_over_plain = False

    def factory(self) -> SMTP:
        smtpd = super().factory()
        if self.auth_over_plain:
            smtpd._auth_require_tls = False
        return smtpd

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class LoopbackCertificates:
    """A throwaway CA and a server certificate for loopback; `ca_file` is the CA in PEM."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="watcher-smtp-ca-")
        self.ca = trustme.CA()
        self.cert = self.ca.issue_cert("127.0.0.1", "::1", "localhost")
        self.ca_file = str(Path(self._folder.name) / "ca.pem")
        self.ca.cert_pem.write_to_path(self.ca_file)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.cert.configure_cert(context)
        return context

    def close(self) -> None:
        self._folder.cleanup()


class SmtpServer:
    """aiosmtpd on 127.0.0.1 and a free port.

    tls: "none" (plain), "starttls" (offers and requires STARTTLS before MAIL) or "implicit" (TLS from the
    first byte). login: (user, password) makes AUTH required (offered only over TLS unless tls="none").
    refuse: recipient addresses answered with 550 at RCPT. port: 0 for a free one, or a given one (to bring
    a server back where a stopped one listened)."""

    def __init__(self, tls: str = "none", login: tuple[str, str] | None = None,
                 refuse: Iterable[str] = (), port: int = 0) -> None:
        if tls not in ("none", "starttls", "implicit"):
            raise ValueError(f"tls must be none, starttls or implicit, not {tls!r}")
        self.tls = tls
        self.login = login
        self.handler = RecordingHandler(refuse)
        self.certificates = LoopbackCertificates() if tls != "none" else None
        self.controller = _Controller(self.handler, hostname=LOOPBACK, port=port, server_hostname="smtp.test",
                                      **self._options())
        self.controller.auth_over_plain = bool(login) and tls != "starttls"
        try:
            self.controller.start()
        except BaseException:
            self._cleanup()
            raise

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if self.certificates and self.tls == "starttls":
            options.update(tls_context=self.certificates.server_context(), require_starttls=True)
        if self.certificates and self.tls == "implicit":
            options["ssl_context"] = self.certificates.server_context()
        if self.login:
            options.update(authenticator=self._authenticate, auth_required=True)
        return options

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                      auth_data: Any) -> AuthResult:
        assert self.login is not None
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.login[0]
              and auth_data.password.decode() == self.login[1])
        if ok:
            self.handler.logins.append(self.login[0])
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    @property
    def host(self) -> str:
        return LOOPBACK

    @property
    def port(self) -> int:
        return int(self.controller.port)

    @property
    def messages(self) -> list[EmailMessage]:
        """Every message the server accepted, parsed with the default email policy."""
        return self.handler.messages

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        """(MAIL FROM, RCPT TOs) of every accepted message."""
        return self.handler.envelopes

    @property
    def logins(self) -> list[str]:
        """User names that logged in successfully."""
        return self.handler.logins

    @property
    def ca_file(self) -> str | None:
        """PEM file of the CA that signed this server's certificate (None without TLS)."""
        return self.certificates.ca_file if self.certificates else None

    def close(self) -> None:
        if self.controller._thread is not None:  # closing twice is harmless
            self.controller.stop()
        self._cleanup()

    def _cleanup(self) -> None:
        if self.certificates:
            self.certificates.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


DEFAULT_ANSWERS: dict[str, str | None] = {
    "EHLO": "250-scripted.test\r\n250-8BITMIME\r\n250 SIZE 10000000",
    "HELO": "250 scripted.test",
    "MAIL": "250 2.1.0 OK",
    "RCPT": "250 2.1.5 OK",
    "DATA": "354 go ahead",
    ".": "250 2.0.0 accepted",
    "RSET": "250 OK",
    "NOOP": "250 OK",
    "QUIT": "221 bye",
}


class ScriptedSmtpServer:
    """A raw-socket SMTP peer on 127.0.0.1 that says `greeting`, then answers each command by its verb
    from `answers` (merged over DEFAULT_ANSWERS); an answer of None closes the connection right there.

    `commands` records what clients sent (message bodies are read but not kept)."""

    def __init__(self, greeting: str = "220 scripted.test ESMTP",
                 answers: dict[str, str | None] | None = None) -> None:
        self.greeting = greeting
        self.answers = {**DEFAULT_ANSWERS, **(answers or {})}
        self.commands: list[str] = []
        self._stop = threading.Event()
        self._listener = socket.create_server((LOOPBACK, 0))
        self._listener.settimeout(0.05)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def host(self) -> str:
        return LOOPBACK

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(5)
                try:
                    self._converse(conn.makefile("rb"), conn)
                except OSError:
                    pass

    def _converse(self, reader: Any, conn: socket.socket) -> None:
        with reader:
            conn.sendall(self.greeting.encode() + b"\r\n")
            if not self.greeting.startswith("2"):
                reader.readline()  # wait for QUIT or the client closing
                return
            while line := reader.readline():
                command = line.decode("utf-8", "replace").strip()
                self.commands.append(command)
                verb = command.split(" ", 1)[0].split(":", 1)[0].upper()
                answer = self.answers.get(verb, "502 5.5.2 command not recognized")
                if answer is None:
                    return
                conn.sendall(answer.encode() + b"\r\n")
                if verb == "QUIT":
                    return
                if verb == "DATA" and answer.startswith("354") and not self._body(reader, conn):
                    return

    def _body(self, reader: Any, conn: socket.socket) -> bool:
        """Read the message up to the lone '.', then answer it; False when the connection should close."""
        while line := reader.readline():
            if line in (b".\r\n", b".\n"):
                answer = self.answers["."]
                if answer is None:
                    return False
                conn.sendall(answer.encode() + b"\r\n")
                return True
        return False

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def refusing_greeting(code: str = "554 5.3.2 no service for you") -> ScriptedSmtpServer:
    """A server that answers the connection with a refusal instead of 220."""
    return ScriptedSmtpServer(greeting=code)


def dropping_at(verb: str = "MAIL") -> ScriptedSmtpServer:
    """A server that greets, answers EHLO, then closes the connection when the client says `verb`
    (MAIL, RCPT, DATA, or '.' for the end of the message body)."""
    return ScriptedSmtpServer(answers={verb.upper(): None})


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.create_server((LOOPBACK, 0)) as probe:
        return int(probe.getsockname()[1])
