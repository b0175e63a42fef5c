"""The stand-in NOMAD application: the API under `/api/v1` with NOMAD's error shapes."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.routing import Mount

from ._state import Store
from .routes import auth, datasets, entries, info, uploads, users

API_PREFIX = "/api/v1"


def create_api(store: Store) -> FastAPI:
    """The NOMAD v1 API as a FastAPI app (mounted at `/api/v1` by `create_app`)."""
    api = FastAPI(
        title="NOMAD API (stand-in)",
        version=f"v1, NOMAD {store.api_version} (nomadclient stand-in)",
        docs_url="/extensions/docs",
        redoc_url="/extensions/redoc",
    )
    api.state.store = store
    for module in (auth, users, uploads, entries, datasets, info):
        api.include_router(module.router)
    return api


def create_app(store: Store) -> Starlette:
    """The whole server: the API mounted where NOMAD serves it."""
    app = Starlette(routes=[Mount(API_PREFIX, app=create_api(store))])
    app.state.store = store
    return app
