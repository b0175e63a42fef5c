"""Routes of the stand-in NOMAD API: auth."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
