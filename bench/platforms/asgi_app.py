"""The model as a Starlette app, run by uvicorn: the bare floor and Pier's second instance kind.

POST to any path predicts; GET /health answers 200.
"""

import os
import sys

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import predict  # noqa: E402


async def health(_request: Request):
    return JSONResponse({"ok": True})


async def invoke(request: Request):
    return JSONResponse(predict(await request.json()))


app = Starlette(
    routes=[
        Route("/health", health, methods=["GET"]),
        Route("/{path:path}", invoke, methods=["POST"]),
    ]
)
