"""GET /healthz tells a load balancer whether this instance can serve."""

from config.settings import load_settings
from helpline import create_app
from helpline.store import new_data_key


def test_healthz_reports_redis_workers_and_queues(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["redis"] is True
    assert body["workers"] == 0
    assert set(body["queues"]) == {"urgent", "search", "housekeeping"}


def test_healthz_is_503_when_redis_is_unreachable(tmp_path, hours_file):
    settings = load_settings(
        redis_url="redis://127.0.0.1:1/0",
        var_dir=tmp_path,
        data_key=new_data_key(),
        hours_file=hours_file,
    )
    app = create_app(settings)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["redis"] is False
