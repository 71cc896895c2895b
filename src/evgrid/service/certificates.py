"""Signing the certificates of security-profile-3 piles with the operator's CA.

A pile asks for a certificate with ``SignCertificate`` (OCPP 2.0.1 A02; OCPP 1.6 security
whitepaper edition 2, section 3.2) carrying a PKCS#10 certificate signing request (CSR). The
service checks that the CSR's signature is valid and that its subject names the pile (CN = the
pile's id: the gateway admits a profile-3 pile whose client certificate says so), signs it with
the CA the operator gave it (``--client-ca`` and ``--ca-key``) and sends the chain back with
``CertificateSigned``. Uses the ``cryptography`` package.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from evgrid.service import checks

CERT_DAYS = 365
"""Validity of a signed pile certificate [day] (evgrid's choice: renewed yearly)."""
MAX_CSR_CHARS = 5500
"""Largest CSR accepted [characters] (OCPP 2.0.1 SignCertificateRequest: csr up to 5500)."""


def sign_csr(csr_pem: str, pile_id: str, ca_cert: str | Path, ca_key: str | Path) -> str:
    """The PEM chain (pile certificate, then the CA's) of a pile's CSR signed by the CA.

    Raises
    ------
    RefusedError
        Not a PEM CSR, a bad signature, or a subject that does not name the pile.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    if not isinstance(csr_pem, str) or not 0 < len(csr_pem) <= MAX_CSR_CHARS:
        raise checks.refused("csr", csr_pem, f"a PEM CSR of at most {MAX_CSR_CHARS} characters")
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise checks.refused("csr", csr_pem, "a PEM certificate signing request") from None
    if not csr.is_signature_valid:
        raise checks.refused("csr", "(signature)", "a CSR signed by its own key")
    names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if [n.value for n in names] != [pile_id]:
        raise checks.ForeignReferenceError(
            str(
                checks.refused(
                    "csr subject CN", [n.value for n in names], f"the pile id {pile_id!r}"
                )
            )
        )
    ca = x509.load_pem_x509_certificate(Path(ca_cert).read_bytes())
    key = serialization.load_pem_private_key(Path(ca_key).read_bytes(), password=None)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(ca.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CERT_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
        .sign(key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return (
        cert.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)
    ).decode("ascii")
