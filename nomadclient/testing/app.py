"""The stand-in NOMAD application: the API under `/api/v1` with NOMAD's error shapes."""

from __future__ import annotations

import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._faults import FaultMiddleware, FaultPlan, RequestLog
from ._responses import json_response_class
from ._state import Store
from ._validation import validation_items
from .routes import auth, datasets, entries, info, uploads, users

API_PREFIX = "/api/v1"


def create_api(store: Store) -> FastAPI:
    """The NOMAD v1 API as a FastAPI app (mounted at `/api/v1` by `create_app`)."""
    response_class = json_response_class(store.api_version)
    api = FastAPI(
        title="NOMAD API (stand-in)",
        version=f"v1, NOMAD {store.api_version} (nomadclient stand-in)",
        docs_url="/extensions/docs",
        redoc_url="/extensions/redoc",
        default_response_class=response_class,
    )
    api.state.store = store
    for module in (auth, users, uploads, entries, datasets, info):
        # modules whose paths differ by version build their router per store
        factory = getattr(module, "create_router", None)
        api.include_router(factory(store.api_version) if factory else module.router)
    _install_error_handlers(api, store, response_class)
    api.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["Content-Disposition"],
    )
    api.add_middleware(UnexpectedErrorMiddleware, response_class=response_class)
    return api


def create_app(
    store: Store, faults: FaultPlan | None = None, requests: RequestLog | None = None
) -> ASGIApp:
    """The whole server: the API mounted where NOMAD serves it, behind fault injection."""
    app = Starlette(routes=[Mount(API_PREFIX, app=create_api(store))])
    app.state.store = store
    return FaultMiddleware(
        app,
        FaultPlan() if faults is None else faults,
        RequestLog() if requests is None else requests,
        API_PREFIX,
    )


def unexpected_error_body(error: BaseException) -> dict[str, Any]:
    """NOMAD's 500 body for an exception nobody handled."""
    return {
        "detail": {
            "reason": "Unexpected exception while handling your request",
            "exception": str(error),
            "exception_class": type(error).__name__,
            "exception_traceback": "".join(traceback.format_exception(error)),
        }
    }


def _install_error_handlers(api: FastAPI, store: Store, response_class: type[JSONResponse]) -> None:
    async def http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        return response_class(
            {"detail": error.detail}, status_code=error.status_code, headers=error.headers
        )

    async def invalid_request(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        items = validation_items(error.errors(), store.api_version)
        return response_class({"detail": items}, status_code=422)

    api.add_exception_handler(StarletteHTTPException, http_error)
    api.add_exception_handler(RequestValidationError, invalid_request)


class UnexpectedErrorMiddleware:
    """Turns exceptions escaping a route into NOMAD's 500 body, keeping the server serving.

    NOMAD registers an `Exception` handler; Starlette re-raises after calling such a handler,
    which would spill tracebacks into the server log for every deliberately provoked 500.
    """

    def __init__(self, app: ASGIApp, response_class: type[JSONResponse]) -> None:
        self.app = app
        self.response_class = response_class

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; answer 500 if it raises before responding."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            if started:
                raise
            response = self.response_class(unexpected_error_body(error), status_code=500)
            await response(scope, receive, send)
