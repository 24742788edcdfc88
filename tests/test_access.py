"""The access model of the web app served beyond localhost (README, "Web app").

Anonymous clients can ask and search; uploads (Gradio's own route included), removals and
evaluations need the login; wrong logins are slowed down; credentials are never echoed.
"""

from __future__ import annotations

import base64
import json
import socket

import httpx
import pytest

from app.auth import Gate, basic_credentials
from corpus.errors import PolicyError

USER, PASSWORD = "admin", "s3cret-pw"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _basic(user: str, password: str) -> dict:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture(scope="module")
def public_server(index_settings, plan_index):
    """The app bound to 0.0.0.0 with a login, as `policyqa serve --host 0.0.0.0` runs it."""
    from dataclasses import replace

    from app.web import launch

    settings = replace(index_settings, auth=f"{USER}:{PASSWORD}")
    port = _free_port()
    demo = launch(settings, host="0.0.0.0", port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}", demo
    demo.close()


def test_anonymous_upload_route_is_refused(public_server, tmp_path):
    url, _ = public_server
    files = {"files": ("doc.txt", "一、总则\n（一）测试。鼓励发展养老服务。\n".encode(), "text/plain")}
    anonymous = httpx.post(f"{url}/gradio_api/upload", files=files, timeout=30)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Basic")
    wrong = httpx.post(f"{url}/gradio_api/upload", files=files, headers=_basic(USER, "nope"), timeout=30)
    assert wrong.status_code == 401 and "nope" not in wrong.text
    # the failure above slowed this client down: even the right password waits now
    throttled = httpx.post(f"{url}/gradio_api/upload", files=files, headers=_basic(USER, PASSWORD), timeout=30)
    assert throttled.status_code == 401


def test_anonymous_can_ask_but_not_evaluate_upload_or_remove(public_server, tmp_path):
    from gradio_client import Client, handle_file

    url, demo = public_server
    client = Client(url, download_files=False, verbose=False)
    answer = client.predict("谁牵头推动社区基础服务设施达标？", "", "", "", "any", "", api_name="/ask")
    assert answer["departments"]["lead"] == ["省住建厅"]
    web = demo.policyqa
    before = web.core.version
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "q1", "question": "托位数", "type": "target",
                                     "gold": ["gansu-2022-46#二¶2"]}, ensure_ascii=False) + "\n",
                         encoding="utf-8")
    # handler level (the file already on the server): no login → refused, index unchanged
    summary, table, _plot, files = web.evaluate(str(questions), ["bm25"], "", "")
    assert "需要管理员登录" in summary and table.empty and files is None
    # (later tries within the delay are refused as throttled: "登录失败次数过多")
    assert "登录" in web.remove("anything", "", "")
    assert "登录" in web.upload(str(questions), "", "")
    assert web.core.version == before
    # through the API, the upload route itself refuses an anonymous file
    with pytest.raises(Exception):  # noqa: B017 — gradio_client raises its own HTTP error types
        client.predict(handle_file(str(questions)), ["bm25"], "", "", api_name="/evaluate")


def test_gate_delay_grows_per_client_and_resets_on_success():
    now = [100.0]
    gate = Gate([(USER, PASSWORD)], clock=lambda: now[0])
    for expected_wait in (1, 2, 4):
        with pytest.raises(PolicyError) as info:
            gate.check(USER, "wrong", client="10.0.0.9")
        assert info.value.code == "login_required"
        with pytest.raises(PolicyError) as info:  # blocked during the delay, even with the right one
            gate.check(USER, PASSWORD, client="10.0.0.9")
        assert info.value.code == "login_throttled"
        gate.check(USER, PASSWORD, client="10.0.0.8")  # another client is not affected
        now[0] += expected_wait + 0.01
    gate.check(USER, PASSWORD, client="10.0.0.9")
    with pytest.raises(PolicyError) as info:  # the count restarted: one failure → 1 s again
        gate.check(USER, "wrong", client="10.0.0.9")
    now[0] += 1.01
    gate.check(USER, PASSWORD, client="10.0.0.9")


def test_basic_header_parsing_rejects_garbage():
    assert basic_credentials(_basic("a", "b:c")["Authorization"]) == ("a", "b:c")
    assert basic_credentials("Basic !!!notbase64") is None
    assert basic_credentials("Bearer abc") is None
    assert basic_credentials("") is None


def test_refuses_to_serve_beyond_localhost_without_a_login(index_settings):
    from app.web import launch

    with pytest.raises(PolicyError) as info:
        launch(index_settings, host="0.0.0.0", port=_free_port(), prevent_thread_lock=True, quiet=True)
    assert info.value.code == "login_needed" and "POLICYQA_AUTH" in info.value.fix
