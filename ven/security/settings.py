"""The VEN's [security] settings and what is built from them once at start (TLS context, signer, verifier)."""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass, field

from ven.errors import InputError
from ven.security.fingerprint import normalize
from ven.security.keys import load_credentials
from ven.security.signing import MessageSigner
from ven.security.verify import SignatureVerifier

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Security:
    """TLS client certificate, CA, VTN pinning, XML signatures. All optional for plain-HTTP test VTNs.

    - `cert` + `key`: the VEN's certificate, used for the TLS client handshake and to sign every message.
    - `ca_file`: the CA bundle the VTN's TLS certificate is checked against (system CAs when unset).
    - `vtn_fingerprint`: the VTN certificate's OpenADR fingerprint. When set, every VTN answer must be signed
      by that certificate (valid signature, fresh ReplayProtect); any other answer is logged and ignored.
    """

    cert: str | None = None
    key: str | None = None
    passphrase: str | None = field(default=None, repr=False)  # a secret: never in repr or logs
    ca_file: str | None = None
    vtn_fingerprint: str | None = None
    check_hostname: bool = True

    def __post_init__(self) -> None:
        if (self.cert is None) != (self.key is None):
            raise InputError("[security] cert and key go together: set both or neither")
        if self.vtn_fingerprint is not None:
            object.__setattr__(self, "vtn_fingerprint", normalize(self.vtn_fingerprint))

    def signer(self) -> MessageSigner | None:
        """The signer for outgoing messages (key loaded and checked once), or None without a certificate."""
        if self.cert is None or self.key is None:
            return None
        return MessageSigner(load_credentials(self.cert, self.key, self.passphrase))

    def verifier(self) -> SignatureVerifier | None:
        """The verifier for VTN answers, or None when no VTN fingerprint is pinned."""
        if self.vtn_fingerprint is None:
            if self.cert is not None:
                logger.warning("[security] has no vtn_fingerprint: VTN messages are not signature-checked")
            return None
        return SignatureVerifier()

    def ssl_context(self) -> ssl.SSLContext:
        """TLS ≥ 1.2 against `ca_file` (else the system CAs), presenting our certificate when we have one."""
        try:
            context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.ca_file)
            if self.cert is not None and self.key is not None:
                context.load_cert_chain(self.cert, self.key, self.passphrase)
        except (OSError, ssl.SSLError) as err:
            raise InputError(f"[security] TLS setup failed: {err}") from None
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.check_hostname = self.check_hostname
        return context
