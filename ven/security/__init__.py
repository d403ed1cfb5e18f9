"""TLS, certificates, fingerprints and XML signatures for both ends of OpenADR 2.0b."""

from ven.security.fingerprint import fingerprint_of_der, fingerprint_of_pem, normalize
from ven.security.keys import Credentials, load_credentials
from ven.security.replay import ReplayError, ReplayGuard
from ven.security.settings import Security
from ven.security.signing import MessageFactory, MessageSigner
from ven.security.verify import FingerprintMismatchError, SignatureError, SignatureVerifier, Verified

__all__ = [
    "Credentials",
    "FingerprintMismatchError",
    "MessageFactory",
    "MessageSigner",
    "ReplayError",
    "ReplayGuard",
    "Security",
    "SignatureError",
    "SignatureVerifier",
    "Verified",
    "fingerprint_of_der",
    "fingerprint_of_pem",
    "load_credentials",
    "normalize",
]
