"""Ed25519 keys and the Data Integrity proof `eddsa-jcs-2022` (W3C vc-di-eddsa, section 3.3).

Pure functions: no Flask, no session. The private key is stored encrypted (AES-256-GCM under a
key derived from a configured secret, the key id as associated data); the public key is
published as a Multikey (`publicKeyMultibase`: base58btc of 0xed01 + the 32 key bytes).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CRYPTOSUITE = "eddsa-jcs-2022"
ED25519_MULTICODEC = b"\xed\x01"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class ProofError(Exception):
    """A proof that cannot be checked or does not hold; the message says why (French)."""


# --- encodings ----------------------------------------------------------------------------------


def base58btc(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + out


def from_base58btc(text: str) -> bytes:
    number = 0
    for char in text:
        index = _B58.find(char)
        if index < 0:
            raise ValueError(f"not base58btc: {char!r}")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + body


def multibase_key(public: bytes) -> str:
    """The Multikey form of an Ed25519 public key: z6Mk…"""
    return "z" + base58btc(ED25519_MULTICODEC + public)


def public_from_multibase(text: str) -> bytes:
    if not text.startswith("z"):
        raise ValueError("not a base58btc multibase value")
    raw = from_base58btc(text[1:])
    if not raw.startswith(ED25519_MULTICODEC) or len(raw) != 34:
        raise ValueError("not an Ed25519 Multikey")
    return raw[2:]


def public_jwk(public: bytes) -> dict[str, str]:
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": base64.urlsafe_b64encode(public).decode().rstrip("="),
    }


# --- keys ---------------------------------------------------------------------------------------


def new_key_pair() -> tuple[bytes, bytes]:
    """A new Ed25519 key pair as raw bytes: (private seed, public key)."""
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return seed, public


def _wrapping_key(secret: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"badge-signing-key/v1"
    ).derive(secret.encode())


def seal(seed: bytes, secret: str, kid: str) -> bytes:
    """The private key encrypted for storage: nonce (12 bytes) + AES-GCM ciphertext."""
    nonce = os.urandom(12)
    return nonce + AESGCM(_wrapping_key(secret)).encrypt(nonce, seed, kid.encode())


def unseal(sealed: bytes, secret: str, kid: str) -> bytes:
    try:
        return AESGCM(_wrapping_key(secret)).decrypt(sealed[:12], sealed[12:], kid.encode())
    except InvalidTag as exc:
        raise RuntimeError(
            f"the private key {kid} cannot be decrypted: BADGE_KEY_SECRET (or SECRET_KEY) "
            "is not the one it was stored with"
        ) from exc


# --- eddsa-jcs-2022 -----------------------------------------------------------------------------


def _hash_data(document: dict[str, Any], proof_options: dict[str, Any]) -> bytes:
    """SHA-256 of the JCS proof configuration, then of the JCS document (vc-di-eddsa 3.3.4)."""
    config = dict(proof_options)
    if "@context" in document:
        config["@context"] = document["@context"]
    return (
        hashlib.sha256(rfc8785.dumps(config)).digest()
        + hashlib.sha256(rfc8785.dumps(document)).digest()
    )


def sign(
    document: dict[str, Any], seed: bytes, verification_method: str, created: str
) -> dict[str, Any]:
    """`document` with an embedded DataIntegrityProof (eddsa-jcs-2022, assertionMethod)."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    signature = Ed25519PrivateKey.from_private_bytes(seed).sign(_hash_data(unsecured, options))
    # A list: the Open Badges schema wants `proof` as an array (a set of proofs).
    return {**unsecured, "proof": [{**options, "proofValue": "z" + base58btc(signature)}]}


def proof_of(document: dict[str, Any]) -> dict[str, Any]:
    """The document's one proof, or ProofError saying what is missing."""
    proof = document.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    if not isinstance(proof, dict):
        raise ProofError("Le badge ne porte pas de signature (propriété « proof » absente).")
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(
            f"La signature n'est pas du type attendu (DataIntegrityProof, {CRYPTOSUITE}) : "
            f"{proof.get('type')!s}, {proof.get('cryptosuite')!s}."
        )
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofError("La signature n'a pas pour but « assertionMethod ».")
    if not isinstance(proof.get("proofValue"), str) or not isinstance(
        proof.get("verificationMethod"), str
    ):
        raise ProofError("La signature est incomplète (proofValue ou verificationMethod).")
    return proof


def verify(document: dict[str, Any], public: bytes) -> None:
    """Check the embedded proof with `public`; ProofError when it does not hold."""
    proof = proof_of(document)
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    options.pop("@context", None)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    value = proof["proofValue"]
    try:
        if not value.startswith("z"):
            raise ValueError
        signature = from_base58btc(value[1:])
        data = _hash_data(unsecured, options)
        Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
    except (ValueError, InvalidSignature, TypeError) as exc:
        raise ProofError(
            "La signature ne correspond pas au contenu : le badge a été modifié après son "
            "émission, ou il n'a pas été signé avec cette clé."
        ) from exc


# --- Bitstring Status List ----------------------------------------------------------------------

MIN_LIST_BITS = 131_072  # 16 KB, the minimum size the Bitstring Status List spec asks for


def encode_status_list(revoked: set[int], size: int = MIN_LIST_BITS) -> str:
    """`encodedList`: multibase base64url (no padding) of the GZIP'd bitstring, index 0 being
    the most significant bit of the first byte."""
    bits = bytearray(size // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def status_bit(encoded: str, index: int) -> bool:
    if not encoded.startswith("u"):
        raise ValueError("not a base64url multibase value")
    body = encoded[1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
