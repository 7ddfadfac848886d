"""Multibase base58btc ('z' prefix) and the multicodec headers of Ed25519 keys, as Multikey writes them."""

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
ED25519_PUB = b"\xed\x01"  # multicodec ed25519-pub, as a varint
ED25519_PRIV = b"\x80\x26"  # multicodec ed25519-priv, as a varint


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, digit = divmod(number, 58)
        out = B58_ALPHABET[digit] + out
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading_zeros + out


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        digit = B58_ALPHABET.find(char)
        if digit < 0:
            raise ValueError(f"{char!r} is not a base58 character")
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    leading_zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * leading_zeros + body


def encode_z(data: bytes) -> str:
    return "z" + b58encode(data)


def decode_z(text: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("z"):
        raise ValueError("not a base58btc multibase value (it must start with 'z')")
    return b58decode(text[1:])


def public_key_multibase(raw: bytes) -> str:
    return encode_z(ED25519_PUB + raw)


def public_key_from_multibase(text: str) -> bytes:
    data = decode_z(text)
    if not data.startswith(ED25519_PUB) or len(data) != 34:
        raise ValueError("not an Ed25519 public key in Multikey form")
    return data[2:]


def private_key_multibase(raw: bytes) -> str:
    return encode_z(ED25519_PRIV + raw)


def private_key_from_multibase(text: str) -> bytes:
    data = decode_z(text)
    if not data.startswith(ED25519_PRIV) or len(data) != 34:
        raise ValueError("not an Ed25519 private key in Multikey form")
    return data[2:]
