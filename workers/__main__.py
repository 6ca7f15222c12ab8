"""`python -m workers`: an RQ worker on the helpline's queues, most urgent first, with the scheduler."""

from __future__ import annotations

import logging
import os

from rq import Worker

from helpline import create_app, queues


def main() -> None:
    app = create_app()
    with app.app_context():
        connection = app.extensions["redis"]
        worker = Worker([queues.queue(name, connection) for name in queues.ALL_QUEUES], connection=connection)
        worker.work(
            with_scheduler=True, logging_level=os.environ.get("LOG_LEVEL", logging.getLevelName(logging.INFO))
        )


if __name__ == "__main__":
    main()
