"""Read the certificate in a kubernetes.io/tls Secret and say which hosts it covers (pure)."""

import base64
import binascii
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

CERT_MANAGER_ANNOTATIONS = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer")


@dataclass
class TlsSecretReport:
    problems: list[str] = field(default_factory=list)  # empty when the Secret is usable
    names: list[str] = field(default_factory=list)  # DNS SANs of the leaf certificate


def _value(secret: dict, key: str) -> bytes | None:
    """A Secret value as bytes: `stringData` is plain, `data` is base64."""
    if key in (secret.get("stringData") or {}):
        return str(secret["stringData"][key]).encode()
    raw = (secret.get("data") or {}).get(key)
    if raw is None:
        return None
    try:
        return base64.b64decode(str(raw), validate=False)
    except (binascii.Error, ValueError):
        return b""


def read_tls_secret(secret: dict) -> TlsSecretReport:
    """Check type, certificate, key and that they belong together; collect the DNS names."""
    report = TlsSecretReport()
    if secret.get("type") != "kubernetes.io/tls":
        report.problems.append(f"has type {secret.get('type') or 'Opaque'}, not kubernetes.io/tls")
    cert_pem, key_pem = _value(secret, "tls.crt"), _value(secret, "tls.key")
    if not cert_pem:
        report.problems.append("has no tls.crt")
        return report
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError:
        report.problems.append("holds a tls.crt that is not a PEM certificate")
        return report
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        report.names = [n.lower() for n in sans.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        common = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        report.problems.append("has a certificate without subjectAltName; clients ignore its "
                               f"common name ({', '.join(common) or 'none'})")
    if not key_pem:
        report.problems.append("has no tls.key")
        return report
    try:
        # Only "does the key match the certificate" matters here, which the public-key
        # comparison below answers. Skipping OpenSSL's RSA consistency check takes grading
        # from ~90 ms to ~15 ms and stops an oversized uploaded key from eating the worker.
        key = serialization.load_pem_private_key(key_pem, password=None,
                                                 unsafe_skip_rsa_key_validation=True)
    except (ValueError, TypeError):
        report.problems.append("holds a tls.key that is not an unencrypted PEM private key")
        return report
    spki = serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(*spki) != cert.public_key().public_bytes(*spki):
        report.problems.append("holds a tls.key that does not match its certificate")
    return report


def covers(names: list[str], host: str) -> bool:
    """Does a certificate with these DNS names cover `host`? A wildcard covers one label only:
    `*.podium.test` covers api.podium.test, not podium.test nor a.b.podium.test."""
    host = host.lower().rstrip(".")
    for name in names:
        if name == host:
            return True
        if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:] \
                and not host.startswith("*"):
            return True
    return False


def host_covered(tls_hosts: list[str], host: str) -> bool:
    """Does an Ingress TLS `hosts` list cover a rule host (wildcard TLS hosts included)?"""
    return covers([h.lower() for h in tls_hosts], host) or host.lower() in [h.lower() for h in tls_hosts]
