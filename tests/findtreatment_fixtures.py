"""A local fake FindTreatment.gov locator: a small WSGI app on a free port, in a thread.

It answers `GET /locator/exportsAsJson/v2` in the shape of the real export (SHARED_DATA's
findtreatment-locator-sample.json: rows around Charlottesville, VA 22902), filtering by the
`sAddr` point and `limitValue` metres and sorting nearest first, as the real one does. Tests tell
it to fail (`fake.fail_with = 503`), to hang (`fake.delay = 2.0`) or to answer garbage.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

SAMPLE = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "findtreatment-locator-sample.json"
)


def _miles(lat1, lng1, lat2, lng2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    )
    return 3958.7613 * 2 * math.asin(math.sqrt(a))


@dataclass
class FakeFindTreatment:
    rows: list[dict]
    url: str = ""
    fail_with: int | None = None  # HTTP status to answer instead of rows
    delay: float = 0.0  # seconds to hang before answering (timeouts)
    garbage: bool = False  # answer 200 with something that is not the export
    calls: list[dict] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)  # set by reset(): hung requests end

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.calls.append(dict(request.args))
        if self.delay:
            self.released.wait(self.delay)  # the fake server hangs; the client's timeout is under test
        if request.path != "/locator/exportsAsJson/v2":
            return Response("not found", 404)(environ, start_response)
        if self.fail_with:
            return Response("unavailable", self.fail_with)(environ, start_response)
        if self.garbage:
            return Response("<html>maintenance</html>", 200, content_type="text/html")(
                environ, start_response
            )
        try:
            lat, lng = (float(x) for x in request.args["sAddr"].strip('"').split(","))
            limit_miles = float(request.args.get("limitValue", 0)) / 1609.344
            page_size = int(request.args.get("pageSize", 10))
            page = int(request.args.get("page", 1))
        except (KeyError, ValueError):
            return Response("bad request", 400)(environ, start_response)
        near = []
        for row in self.rows:
            miles = _miles(lat, lng, float(row["latitude"]), float(row["longitude"]))
            if miles <= limit_miles:
                near.append({**row, "miles": round(miles, 2)})
        near.sort(key=lambda r: r["miles"])
        chunk = near[(page - 1) * page_size : page * page_size]
        body = {
            "page": page,
            "totalPages": max(1, -(-len(near) // page_size)),
            "recordCount": len(near),
            "rows": chunk,
        }
        return Response(json.dumps(body), 200, content_type="application/json")(environ, start_response)

    def reset(self) -> None:
        self.released.set()  # let requests still hanging from the last test finish now
        self.fail_with, self.delay, self.garbage = None, 0.0, False
        self.calls.clear()
        self.released = threading.Event()


@pytest.fixture(scope="session")
def findtreatment_server():
    fake = FakeFindTreatment(rows=json.loads(SAMPLE.read_text())["rows"])
    server = make_server("127.0.0.1", 0, fake, threaded=True)
    fake.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def findtreatment_fake(findtreatment_server):
    """The fake locator, reset for this test; point `findtreatment_api_url` at `.url`."""
    findtreatment_server.reset()
    yield findtreatment_server
    findtreatment_server.reset()
