"""``plancast serve``, started for real on a free port of 127.0.0.1 and called over HTTP with httpx.

The service runs with its working directory in an empty folder and ``TMPDIR`` in another: after every
request the first stays empty and the second holds only the service's own folder (no request's files),
and once the service is stopped both are empty.
"""

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openpyxl
import pandas as pd
import pytest
from served_folder import EXPORTS, plant

from plancast.serving import load_recommended

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Service:
    """A running ``plancast serve``: its base URL, process, working directory and TMPDIR."""

    def __init__(self, folder: Path, base: Path, *options: str) -> None:
        self.cwd, self.tmp = base / "cwd", base / "tmp"
        self.cwd.mkdir()
        self.tmp.mkdir()
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "TMPDIR": str(self.tmp)}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])
        command = [sys.executable, "-c", "from plancast.cli import main; main()", "serve", "--model", str(folder)]
        self.process = subprocess.Popen(
            [*command, "--port", str(port), *options],
            cwd=self.cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                httpx.get(f"{self.url}/model", timeout=1).raise_for_status()
                return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"plancast serve did not answer: {self.process.stdout.read().decode()}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)

    def files(self) -> list[str]:
        """Everything inside the working directory and TMPDIR (``cwd/...``, ``tmp/...``)."""
        inside = [*self.cwd.rglob("*"), *self.tmp.rglob("*")]
        return sorted(path.relative_to(self.cwd.parent).as_posix() for path in inside)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    return plant(tmp_path_factory.mktemp("plant"))


@pytest.fixture(scope="module")
def service(fitted, tmp_path_factory):
    running = Service(fitted.folder, tmp_path_factory.mktemp("service"))
    yield running
    running.stop()


def _uploads(fitted, names=EXPORTS) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (Path(name).name, (fitted.root / name).read_bytes(), "text/csv")) for name in names]


def test_get_model_names_the_version_route_and_test_skill(fitted, service):
    card = httpx.get(f"{service.url}/model").json()
    assert card == load_recommended(fitted.folder).card()
    assert card["route"] == {"1": "boosted", "2": "plan_linear"}
    assert card["test"]["1"] == {"mae": 4.5, "plan_mae": 6.0, "skill": 0.25}


def test_post_exports_answers_the_forecast_as_json(fitted, service):
    answer = httpx.post(f"{service.url}/forecast", files=_uploads(fitted))
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    body = answer.json()
    expected = load_recommended(fitted.folder).forecast(fitted.daily)
    got = pd.DataFrame(body["rows"]).astype({"day": "datetime64[us]"})
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert body["skipped"] == {} and body["rejects"] == [] and body["as_of"] == "2025-04-11"
    assert body["model"] == httpx.get(f"{service.url}/model").json()["version"]


@pytest.mark.parametrize(
    ("query", "accept", "media"),
    [
        ("?format=csv", "", "text/csv; charset=utf-8"),
        ("", "text/csv", "text/csv; charset=utf-8"),
        ("?format=xlsx", "application/json", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
    ids=["csv-by-query", "csv-by-accept", "xlsx"],
)
def test_post_exports_answers_csv_or_the_workbook(fitted, service, tmp_path, query, accept, media):
    answer = httpx.post(f"{service.url}/forecast{query}", files=_uploads(fitted), headers={"accept": accept})
    assert answer.status_code == 200 and answer.headers["content-type"] == media
    model = load_recommended(fitted.folder)
    suffix = ".xlsx" if "sheet" in media else ".csv"
    model.write(model.serve(fitted.daily), tmp_path / f"expected{suffix}")  # what `plancast forecast` writes
    assert answer.content == (tmp_path / f"expected{suffix}").read_bytes()
    if suffix == ".xlsx":
        assert openpyxl.load_workbook(io.BytesIO(answer.content)).sheetnames[0] == "Summary"


def test_a_bad_file_gets_422_and_ingests_line_naming_the_file_as_sent(fitted, service):
    lines = (fitted.root / EXPORTS[0]).read_text(encoding="utf-8").splitlines()
    stamp = lines[3].rsplit(",", 1)[1]
    lines[3] = lines[3].replace(f",{stamp}", f",x{stamp}")  # the third data row's CRET_TIME
    sent = [("files", ("../../../plant 0913.csv", "\n".join(lines).encode(), "text/csv"))]
    answer = httpx.post(f"{service.url}/forecast", files=sent)
    assert answer.status_code == 422
    assert answer.json() == {
        "error": f"plant 0913.csv, row 4, column 'CRET_TIME': cannot parse 'x{stamp}' with format %Y%m%d%H%M "
        "(expected e.g. 202511031430)"
    }
    assert not (service.cwd / "../../../plant 0913.csv").resolve().exists()


@pytest.mark.parametrize(
    ("request_args", "status", "error"),
    [
        ({"files": [("files", ("notes.txt", b"hello", "text/plain"))]}, 422,
         "notes.txt: unsupported file type '.txt' (expected .xls, .xlsx, .csv, .parquet)"),
        ({"files": [("files", ("plan", b"", "text/csv"))]}, 422, "plan: unsupported file type '(none)' "
         "(expected .xls, .xlsx, .csv, .parquet)"),
        ({}, 422, "body.files: Field required (send each export as a multipart form field 'files')"),
        ({"files": [("files", ("a.csv", b"x", "text/csv"))], "params": {"format": "pdf"}}, 400,
         "format: must be json, csv, xlsx (got 'pdf')"),
    ],
    ids=["not-an-export", "no-suffix", "no-files", "format"],
)  # fmt: skip
def test_a_bad_request_gets_one_line(service, request_args, status, error):
    answer = httpx.post(f"{service.url}/forecast", **request_args)
    assert (answer.status_code, answer.json()) == (status, {"error": error})


def test_nothing_is_left_outside_the_services_folder_and_nothing_at_all_once_stopped(service):
    own, *inside = service.files()  # after every request above
    assert own.startswith("tmp/plancast-serve-")
    assert inside in ([], [f"{own}/.ses"])  # ONNX Runtime's session file, written to $TMPDIR when it loads
    assert service.stop() in (0, -signal.SIGTERM)
    assert service.files() == []


def test_a_body_over_the_upload_limit_gets_413_declared_or_streamed(fitted, tmp_path):
    small = Service(fitted.folder, tmp_path, "--max-upload-mb", "0.01")  # 10,485 bytes
    try:
        fits = httpx.post(f"{small.url}/forecast", files=_uploads(fitted, EXPORTS[:1]))
        assert fits.status_code == 200, fits.text
        declared = httpx.post(f"{small.url}/forecast", files=[("files", ("big.csv", b"x" * 20_000, "text/csv"))])
        assert declared.status_code == 413
        assert re.fullmatch(r"request body: 20\d\d\d bytes exceeds --max-upload-mb 0.01", declared.json()["error"])
        head = (
            b'--b\r\nContent-Disposition: form-data; name="files"; filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
        )
        chunks = (part for part in (head, *[b"x" * 4096] * 10))  # no Content-Length: chunked, counted as it arrives
        streamed = httpx.post(
            f"{small.url}/forecast", content=chunks, headers={"content-type": "multipart/form-data; boundary=b"}
        )
        assert (streamed.status_code, streamed.json()) == (
            413, {"error": "request body: over 10485 bytes exceeds --max-upload-mb 0.01"}
        )  # fmt: skip
    finally:
        assert small.stop() in (0, -signal.SIGTERM)
    assert small.files() == []
