"""A real SMTP server for the mailer tests, on aiosmtpd: every accepted message is written to a directory.

    python smtp_sink.py --port N --dir DIR [--tls none|starttls|smtps] [--auth USER:PASSWORD [--login-only]] [--refuse CODE]

- `--tls starttls` offers STARTTLS (and requires it before MAIL), `--tls smtps` speaks TLS from the first byte;
  both use a self-signed certificate for `localhost` and 127.0.0.1 made at start and written to DIR/cert.pem, which
  clients trust.
- `--auth` requires AUTH (PLAIN or LOGIN; LOGIN only with `--login-only`) with these credentials.
- `--refuse 550` answers every RCPT TO with that code, so nothing is accepted.

Each accepted message is DIR/<n>.json: {"mail_from", "rcpt_tos", "data" (the message as received), "tls", "auth"}.
DIR/ready is written once the server listens. The process stops when its standard input closes (the spawning test
holds it open), or on SIGTERM.
"""

import argparse
import asyncio
import datetime
import email
import email.policy
import ipaddress
import json
import os
import ssl
import sys
import threading

from aiosmtpd.smtp import SMTP, AuthResult


def make_certificate(directory):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = os.path.join(directory, "cert.pem")
    key_path = os.path.join(directory, "key.pem")
    with open(key_path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    with open(cert_path, "wb") as f:
        f.write(certificate.public_bytes(serialization.Encoding.PEM))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context


class Sink:
    def __init__(self, directory, refuse):
        self.directory = directory
        self.refuse = refuse
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return f"{self.refuse} 5.1.1 <{address}>: Recipient address rejected: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        parsed = parse(envelope.original_content)
        record = {
            **parsed,
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": envelope.original_content.decode("utf-8", "replace"),
            "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
            "auth": bool(session.authenticated),
        }
        path = os.path.join(self.directory, f"{self.count:04d}.json")
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 Message accepted for delivery"


def parse(raw):
    """The message as a mail client reads it (Python's email package): headers decoded, bodies decoded."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    defects = [repr(d) for part in message.walk() for d in part.defects]
    return {
        "subject": str(message["subject"]),
        "from": str(message["from"]),
        "to": str(message["to"]),
        "date": str(message["date"]),
        "message_id": str(message["message-id"]),
        "content_type": message.get_content_type(),
        "text": text.get_content() if text is not None else None,
        "html": html.get_content() if html is not None else None,
        "defects": defects,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--tls", choices=["none", "starttls", "smtps"], default="none")
    parser.add_argument("--auth")
    parser.add_argument("--refuse")
    parser.add_argument("--login-only", action="store_true", help="offer AUTH LOGIN only")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    context = make_certificate(args.dir) if args.tls != "none" else None
    handler = Sink(args.dir, args.refuse)

    def authenticator(server, session, envelope, mechanism, auth_data):
        user, password = args.auth.split(":", 1)
        ok = auth_data.login == user.encode() and auth_data.password == password.encode()
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535

    def factory():
        options = dict(hostname="localhost", decode_data=False, enable_SMTPUTF8=False)
        if args.tls == "starttls":
            options.update(tls_context=context, require_starttls=True)
        if args.auth:
            options.update(authenticator=authenticator, auth_required=True, auth_require_tls=False)
            if args.login_only:
                options.update(auth_exclude_mechanism=["PLAIN"])
        return SMTP(handler, **options)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(
            factory, host="127.0.0.1", port=args.port, ssl=context if args.tls == "smtps" else None
        )
    )
    with open(os.path.join(args.dir, "ready"), "w") as f:
        f.write(str(args.port))

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            loop.call_soon_threadsafe(loop.stop)

    threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()
