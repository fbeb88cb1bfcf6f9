"""The ``plancast`` command: the recommended forecast straight from export files, once or as a service.

    plancast forecast EXPORT... [--model DIR] --out FILE.csv|FILE.xlsx
    plancast serve [--model DIR] --port N [--host 127.0.0.1] [--max-upload-mb 256]

Both run a servable folder (``serving/recommended`` as stage forecast writes it, or one fetched with
``dvc artifacts get <repo> plancast-recommended -o DIR``) on ONNX Runtime: no DVC project, no TensorFlow.
The exports are read and checked as stage ingest reads them (:meth:`plancast.serving.RecommendedModel.serve_exports`).
A bad export, model folder or output path ends in ``error: <one line>`` on stderr and exit status 2, as
a stage does; the service (:mod:`plancast.service`) answers a bad upload with that line as HTTP 422.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from plancast.catalog import RECOMMENDED_MODEL
from plancast.data.reading import where
from plancast.errors import PlancastError
from plancast.serving import WRITES, ServedForecast, load_recommended
from plancast.stage import EXIT_USER_ERROR

MAX_UPLOAD_MB = 256.0  # plancast serve's default: a year of daily CSV exports of 2,000 parts is ~60 MB
SHOWN_SKIPPED = 10  # parts without a forecast named on the terminal; the workbook's No-forecast sheet has all


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plancast", description="The recommended forecast straight from export files, once or as a service."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    model = argparse.ArgumentParser(add_help=False)
    model.add_argument(
        "--model", default=RECOMMENDED_MODEL.path, type=Path, help="the servable folder (default: %(default)s)"
    )
    forecast = commands.add_parser(
        "forecast", parents=[model], help="forecast from export files into a CSV or the planner's workbook"
    )
    forecast.add_argument("exports", nargs="+", type=Path, metavar="EXPORT", help=".xls, .xlsx, .csv or .parquet")
    forecast.add_argument(
        "--out", required=True, type=Path, help="FILE.csv: forecast.csv's recommended rows; FILE.xlsx: the workbook"
    )
    serve = commands.add_parser("serve", parents=[model], help="answer POST /forecast and GET /model over HTTP")
    serve.add_argument("--port", required=True, type=int)
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: %(default)s)")
    serve.add_argument(
        "--max-upload-mb",
        type=float,
        default=MAX_UPLOAD_MB,
        help="refuse larger request bodies, 413 (default: %(default)g)",
    )
    return parser


def _forecast(args: argparse.Namespace) -> None:
    if args.out.suffix.lower() not in WRITES:
        raise PlancastError(f"--out {args.out}: must end in {' or '.join(WRITES)}")
    model = load_recommended(args.model)
    served = model.serve_exports(args.exports)
    try:
        model.write(served, args.out)
    except OSError as exc:  # a missing folder is made; a read-only one or a full disk is the user's to fix
        raise PlancastError(f"{args.out}: cannot be written ({exc.strerror or exc})") from None
    print(f"forecast: {served.rows['part'].nunique()} part(s), {len(served.rows)} rows -> {args.out}")
    _report(served)


def _report(served: ServedForecast) -> None:
    """The parts without a forecast and the rows quarantined, on stderr: the output holds the rest."""
    for part, reason in list(served.skipped.items())[:SHOWN_SKIPPED]:
        print(f"  no forecast for {part}: {reason}", file=sys.stderr)
    if len(served.skipped) > SHOWN_SKIPPED:
        print(f"  ... and {len(served.skipped) - SHOWN_SKIPPED} more parts without a forecast", file=sys.stderr)
    if len(served.rejects):
        first = served.rejects.iloc[0]
        place = where(first["source_file"], first["sheet"], int(first["source_row"]), first["column"] or None)
        print(
            f"  {len(served.rejects)} row(s) left out (ingest.on_bad_rows: quarantine), the first: {place}: "
            f"{first['reason']}",
            file=sys.stderr,
        )


def _serve(args: argparse.Namespace) -> None:
    from plancast.service import run  # FastAPI and uvicorn: only to serve

    if not args.max_upload_mb > 0:
        raise PlancastError(f"--max-upload-mb: must be > 0 (got {args.max_upload_mb:g})")
    run(args.model, args.host, args.port, args.max_upload_mb)


def main(argv: Sequence[str] | None = None) -> None:
    """``plancast`` (console script): parse ``argv`` and run the command; a user's error is one line."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "forecast":
            _forecast(args)
        else:
            _serve(args)
    except PlancastError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)


if __name__ == "__main__":
    main()
