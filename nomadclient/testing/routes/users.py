"""Routes of the stand-in NOMAD API: users."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
