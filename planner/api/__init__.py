"""The HTTP API (FastAPI) over one or more park stores; ``planner serve`` runs it."""

from planner.api.app import create_app
from planner.api.auth import ROLES, Token, load_tokens

__all__ = ["ROLES", "Token", "create_app", "load_tokens"]
