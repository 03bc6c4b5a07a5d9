"""Aktenzeichen: short, unambiguous when read aloud or typed, with a check character.

Shape ``SP-2026-7KQ4-MZ3X``: prefix (``PORTAL_REFERENCE_PREFIX``), year, seven random symbols
and one check symbol from an alphabet without 0/O and 1/I/L. A typo in one symbol, or two
neighbours swapped, changes the check symbol.
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 symbols (no 0 O 1 I L): a prime
RANDOM_SYMBOLS = 7


def check_symbol(symbols: str) -> str:
    # Weighted sum modulo the alphabet's size, a prime: with weights 1..n every single change
    # and every swap of neighbours changes the result.
    total = sum((index + 1) * ALPHABET.index(char) for index, char in enumerate(symbols))
    return ALPHABET[total % len(ALPHABET)]


def new_reference(prefix: str, year: int) -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    body += check_symbol(body)
    return f"{prefix}-{year}-{body[:4]}-{body[4:]}"


def is_valid(reference: str) -> bool:
    parts = reference.strip().upper().split("-")
    if len(parts) != 4 or not parts[1].isdigit():
        return False
    body = parts[2] + parts[3]
    if len(body) != RANDOM_SYMBOLS + 1 or any(char not in ALPHABET for char in body):
        return False
    return check_symbol(body[:-1]) == body[-1]
