"""The resumable Files API: `POST /upload/{v}/files` (start, then upload/finalize chunks on the
returned `x-goog-upload-url`), `GET` and `DELETE /{v}/files/{id}`. Uploaded bytes can be used
as `fileData.file_uri` (generateContent) or an Interactions block `uri`.
"""

from __future__ import annotations

import secrets

from aiohttp import web

from .errors import error_response
from .interactions import now_iso
from .parsing import pick
from .routes import API_VERSIONS, BODY_KEY
from .state import ServerState, StoredFile

RAW_KEY = web.RequestKey("fake_gemini_raw", bytes)
CHUNK_GRANULARITY = 8 * 1024 * 1024


class FileRoutes:
    """Handlers of the Files API."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    def add_to(self, app: web.Application) -> None:
        for version in API_VERSIONS:
            app.router.add_post(f"/upload/{version}/files", self.upload)
            app.router.add_get(f"/{version}/files/{{id}}", self.get_file)
            app.router.add_delete(f"/{version}/files/{{id}}", self.delete_file)

    async def upload(self, request: web.Request) -> web.Response:
        command = request.headers.get("x-goog-upload-command", "").lower()
        if "start" in command:
            return self._start(request)
        stored = self.state.files.get(request.query.get("upload_id", ""))
        if stored is None or stored.complete:
            return error_response(404, "Upload session not found.", style="google")
        offset = int(request.headers.get("x-goog-upload-offset", "0") or 0)
        if offset != len(stored.data):
            return error_response(400, "Upload offset does not match.", style="google")
        chunk: bytes = request[RAW_KEY]
        stored.data += chunk
        if "finalize" not in command:
            return web.json_response({}, headers={"x-goog-upload-status": "active"})
        stored.complete = True
        origin = str(request.url.origin())
        return web.json_response(
            {"file": stored.to_json(origin)}, headers={"x-goog-upload-status": "final"}
        )

    def _start(self, request: web.Request) -> web.Response:
        body = request[BODY_KEY]
        meta = body.get("file") if isinstance(body, dict) else None
        meta = meta if isinstance(meta, dict) else {}
        headers = request.headers
        stored = StoredFile(
            id=secrets.token_hex(6),
            mime_type=str(
                pick(meta, "mime_type", "mimeType")
                or headers.get("x-goog-upload-header-content-type", "application/octet-stream")
            ),
            display_name=pick(meta, "display_name", "displayName"),
            expected_size=int(headers.get("x-goog-upload-header-content-length", "0") or 0),
            created=now_iso(),
        )
        self.state.files[stored.id] = stored
        version = request.path.split("/")[2]
        upload_url = (
            f"{request.url.origin()}/upload/{version}/files"
            f"?upload_id={stored.id}&upload_protocol=resumable"
        )
        return web.json_response(
            {},
            headers={
                "x-goog-upload-url": upload_url,
                "x-goog-upload-status": "active",
                "x-goog-upload-chunk-granularity": str(CHUNK_GRANULARITY),
            },
        )

    async def get_file(self, request: web.Request) -> web.Response:
        stored = self.state.files.get(request.match_info["id"])
        if stored is None:
            return _file_not_found(request.match_info["id"])
        return web.json_response(stored.to_json(str(request.url.origin())))

    async def delete_file(self, request: web.Request) -> web.Response:
        if self.state.files.pop(request.match_info["id"], None) is None:
            return _file_not_found(request.match_info["id"])
        return web.json_response({})


def _file_not_found(file_id: str) -> web.Response:
    return error_response(
        403,
        f"You do not have permission to access the File {file_id} or it may not exist.",
        style="google",
    )
