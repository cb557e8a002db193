"""API tokens with roles (viewer, editor, admin), read from a file or the environment; never logged.

A tokens file is JSON: ``{"<token>": {"user": "张工", "role": "editor"}, …}``. The
environment variable ``PLANNER_API_TOKENS`` holds ``token:user:role`` entries separated
by commas. Requests send ``Authorization: Bearer <token>``. Reading needs no token
unless the server is started with ``read_needs_token``.
"""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from planner.errors import ConfigError

__all__ = ["ROLES", "Token", "find_secret", "find_token", "load_tokens"]

ROLES = ("viewer", "editor", "admin")
"""Roles in rising order: an editor may do what a viewer may, an admin what an editor may."""


@dataclass(frozen=True)
class Token:
    """Who a token belongs to and what they may do."""

    user: str
    role: str

    def may(self, role: str) -> bool:
        """Whether the token's role is ``role`` or above it."""
        return ROLES.index(self.role) >= ROLES.index(role)

    def __repr__(self) -> str:  # a token's holder, never the secret
        return f"Token(user={self.user!r}, role={self.role!r})"


def _check(entries: Mapping[str, Mapping[str, str]], where: str) -> dict[str, Token]:
    out = {}
    for k, (secret, value) in enumerate(entries.items(), start=1):
        if not isinstance(value, Mapping) or not isinstance(value.get("user"), str) or not value.get("user"):
            msg = f"{where}: entry {k} needs a `user` name (the token itself is not shown)"
            raise ConfigError(msg)
        role = value.get("role")
        if role not in ROLES:
            msg = f"{where}: entry {k} (user {value['user']!r}) has role {role!r}; allowed: {', '.join(ROLES)}"
            raise ConfigError(msg)
        if len(secret) < 16:
            msg = f"{where}: entry {k} (user {value['user']!r}) has a token under 16 characters"
            raise ConfigError(msg)
        out[secret] = Token(value["user"], role)
    return out


def load_tokens(path: str | Path | None = None, *, environ: Mapping[str, str] | None = None) -> dict[str, Token]:
    """Tokens from ``path`` (JSON) and from ``PLANNER_API_TOKENS``; messages never show a token."""
    tokens: dict[str, Token] = {}
    if path is not None:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            msg = f"tokens file {str(path)!r} cannot be read as JSON: {type(exc).__name__}"
            raise ConfigError(msg) from None
        if not isinstance(data, Mapping):
            msg = f"tokens file {str(path)!r} must hold an object of token → {{user, role}}"
            raise ConfigError(msg)
        tokens |= _check(data, f"tokens file {str(path)!r}")
    text = (environ if environ is not None else os.environ).get("PLANNER_API_TOKENS", "")
    entries = {}
    for k, part in enumerate(p for p in text.split(",") if p.strip()):
        pieces = part.strip().split(":")
        if len(pieces) != 3:
            msg = f"PLANNER_API_TOKENS entry {k + 1} must be token:user:role"
            raise ConfigError(msg)
        entries[pieces[0]] = {"user": pieces[1], "role": pieces[2]}
    tokens |= _check(entries, "PLANNER_API_TOKENS")
    return tokens


def find_token(tokens: Mapping[str, Token], header: str | None) -> Token | None:
    """The token an ``Authorization: Bearer …`` header names (compared in constant time), or None."""
    if not header or not header.startswith("Bearer "):
        return None
    return find_secret(tokens, header.removeprefix("Bearer ").strip())


def find_secret(tokens: Mapping[str, Token], secret_given: str | None) -> Token | None:
    """The token whose secret is ``secret_given`` (compared in constant time with every one), or None."""
    if not secret_given:
        return None
    given = secret_given.encode("utf-8", "surrogateescape")
    for secret, token in tokens.items():
        if hmac.compare_digest(secret.encode(), given):
            return token
    return None
