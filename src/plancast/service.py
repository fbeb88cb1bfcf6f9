"""``plancast serve``: the recommended forecast as an HTTP service a planning system calls (FastAPI, uvicorn).

- ``POST /forecast``: one or more export files as a multipart form (field ``files``) -> the forecast of
  every part, as JSON (default), CSV (forecast.csv's recommended rows) or the planner's workbook, chosen
  by ``?format=json|csv|xlsx`` or else the ``Accept`` header. The files are read as stage ingest reads
  them, in the order sent (a revision in a later file wins under ``ingest.file_order: name``).
- ``GET /model``: the model's version (the SHA-256 of its ``recommended.json``), route, design and test
  skill per delay (:meth:`plancast.serving.RecommendedModel.card`).

A bad file gets HTTP 422 and ``{"error": "<one line>"}``: ingest's line naming the file (as the client
named it), sheet, row and column. A request body over ``--max-upload-mb`` gets 413 and one line, whether
it declares its length or streams it (:class:`UploadLimit`), before more of it reaches the disk. The model
is loaded once, before the service listens.

Files: each request writes its uploads into its own temporary folder, named ``export-0001.xls`` ... by
the order sent (the client's file name is never a path: only its suffix is kept, and its name appears in
messages), and removes the folder when it answers. Everything temporary, including what Starlette
spools of a large upload, lies in one folder the service makes at start and removes at exit
(:func:`run`); it writes nowhere else.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

import pandas as pd
from fastapi import FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from plancast.errors import PlancastError
from plancast.serving import RecommendedModel, ServedForecast, load_recommended
from plancast.serving_manifest import one_line

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8", "xlsx": XLSX}
_SUFFIX = re.compile(r"\.[a-z0-9]{1,10}")  # what is kept of a client's file name


class _TooLarge(Exception):
    pass


class UploadLimit:
    """ASGI middleware around the app: a request whose body exceeds ``megabytes`` MiB is answered 413 with
    one line. A declared ``Content-Length`` over it is refused before the body is read; a streamed body is
    counted as it arrives and refused at the first chunk over (the parser never sees the rest)."""

    def __init__(self, app: Any, megabytes: float) -> None:
        self.app, self.megabytes, self.limit = app, megabytes, int(megabytes * 2**20)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            return await self._refuse(scope, send, f"{int(declared)} bytes")
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        async def sending(message: dict) -> None:
            if seen <= self.limit:  # else the app's answer to the cut-off body (FastAPI's 400) is replaced
                await send(message)

        with suppress(_TooLarge):
            await self.app(scope, counted, sending)
        if seen > self.limit:
            await self._refuse(scope, send, f"over {self.limit} bytes")

    async def _refuse(self, scope: dict, send: Any, size: str) -> None:
        await JSONResponse(
            {"error": f"request body: {size} exceeds --max-upload-mb {self.megabytes:g}"}, status_code=413
        )(scope, None, send)


class _Refused(PlancastError):
    """A request the service cannot answer: its one line, and the HTTP status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def create_app(model: RecommendedModel, scratch: Path | None = None) -> FastAPI:
    """The service's routes around one loaded ``model`` (module doc); ``scratch``, the service's temporary
    folder, is removed when it shuts down (uvicorn then re-raises SIGTERM: no ``finally`` after it runs)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)

    app = FastAPI(
        title="plancast", summary="the recommended forecast from plan exports", version=model.version, lifespan=lifespan
    )

    @app.exception_handler(PlancastError)
    def _one_line(_: Request, exc: PlancastError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=getattr(exc, "status", 422))

    @app.exception_handler(RequestValidationError)
    def _malformed(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        hint = " (send each export as a multipart form field 'files')" if "files" in first["loc"] else ""
        return JSONResponse({"error": f"{where}: {one_line(first['msg'])}{hint}"}, status_code=422)

    @app.get("/model")
    def model_card() -> dict[str, Any]:
        return model.card()

    @app.post("/forecast")
    def forecast(
        request: Request,
        files: Annotated[list[UploadFile], File(description="the export files (.xls, .xlsx, .csv, .parquet)")],
        asked: Annotated[str | None, Query(alias="format", description="json (default), csv or xlsx")] = None,
    ) -> Response:
        chosen = _format(asked, request.headers.get("accept", ""))
        with tempfile.TemporaryDirectory(prefix="request-") as own:
            folder = Path(own)
            names = _save_uploads(files, folder)
            try:
                served = model.serve_exports(list(names))
            except PlancastError as exc:
                raise _Refused(_as_sent(str(exc), names), 422) from None
            if chosen == "json":
                return JSONResponse(_as_json(model, served, names))
            model.write(served, folder / f"forecast.{chosen}")
            return Response((folder / f"forecast.{chosen}").read_bytes(), media_type=MEDIA[chosen])

    return app


def _format(asked: str | None, accept: str) -> str:
    """``json``, ``csv`` or ``xlsx``: ``?format=`` when given, else the first of them ``Accept`` names."""
    if asked is not None:
        if asked not in MEDIA:
            raise _Refused(f"format: must be {', '.join(MEDIA)} (got {asked!r})", 400)
        return asked
    offered = [kind for kind, media in MEDIA.items() if media.split(";")[0] in accept]
    return min(offered, key=lambda kind: accept.index(MEDIA[kind].split(";")[0])) if offered else "json"


def _save_uploads(files: Sequence[UploadFile], folder: Path) -> dict[str, str]:
    """Each upload written to ``folder`` as ``export-NNNN<suffix>`` in the order sent; returns each path
    (POSIX) with the name the client gave it, for messages (only its suffix ever reaches a path)."""
    names = {}
    for index, upload in enumerate(files, start=1):
        sent = PurePosixPath((upload.filename or "").replace("\\", "/")).name
        suffix = PurePosixPath(sent).suffix.lower()
        path = folder / f"export-{index:04d}{suffix if _SUFFIX.fullmatch(suffix) else ''}"
        with path.open("wb") as target:
            shutil.copyfileobj(upload.file, target)
        names[path.as_posix()] = one_line(sent) or f"upload {index}"
    return names


def _as_sent(text: str, names: dict[str, str]) -> str:
    """``text`` with each upload's temporary path replaced by the name the client sent it under."""
    for path, sent in sorted(names.items(), key=lambda item: -len(item[0])):
        text = text.replace(path, sent)
    return text


def _as_json(model: RecommendedModel, served: ServedForecast, names: dict[str, str]) -> dict[str, Any]:
    """The answer as JSON: forecast.csv's recommended rows (days as ISO dates), the parts without a
    forecast and why, the rows left out under quarantine (files as sent) and the model's version."""
    rows = served.rows.assign(day=served.rows["day"].map(_day))
    rejects = served.rejects.assign(source_file=served.rejects["source_file"].map(lambda path: names.get(path, path)))
    return {
        "model": model.version,
        "as_of": _day(served.as_of),
        "rows": _records(rows),
        "skipped": served.skipped,
        "rejects": _records(rejects),
    }


def _day(value: Any) -> str | int | None:
    """A day as JSON: a date as ISO text, a step of a step series as its number."""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return None if value is None else int(value)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON objects, NaN as null, NumPy numbers as Python's."""
    return [
        {key: (None if pd.isna(value) else value.item() if hasattr(value, "item") else value) for key, value in row}
        for row in (zip(frame.columns, values, strict=True) for values in frame.itertuples(index=False))
    ]


def run(folder: str | Path, host: str, port: int, max_upload_mb: float) -> None:
    """Load the servable ``folder`` and serve it on ``host:port`` until interrupted (SIGINT, SIGTERM),
    refusing request bodies over ``max_upload_mb`` (:class:`UploadLimit`).

    Every temporary file lies in one folder made first and removed when the service shuts down: the
    requests' folders, Starlette's spooled uploads and ONNX Runtime's own (it writes a session file to
    ``$TMPDIR`` when loaded). A bad folder raises InputDataError before the service listens.
    """
    import uvicorn

    scratch = Path(tempfile.mkdtemp(prefix="plancast-serve-"))
    os.environ["TMPDIR"] = tempfile.tempdir = str(scratch)
    try:
        model = load_recommended(folder)
    except BaseException:
        shutil.rmtree(scratch)
        raise
    uvicorn.run(UploadLimit(create_app(model, scratch), max_upload_mb), host=host, port=port)
