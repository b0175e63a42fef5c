"""Routes of the stand-in NOMAD API: datasets."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
