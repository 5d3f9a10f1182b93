"""The OpenAI Python client (unchanged) against an OpenAI-compatible service on Pier,
through <gateway>/api/predict/<service>/v1 with the service token as api_key
(sent as `Authorization: Bearer <token>`).

Usage: python openai_client.py MODE GATEWAY SERVICE TOKEN
  example  against examples/openai-compatible: models.list(), a chat completion,
           a streamed one, and a wrong key
  gated    against fixtures/gated_app.py: a streamed chat completion whose every
           chunk is acknowledged (POST /ack) before the service writes the next
Prints one JSON line.
"""

import json
import sys
import time
import uuid

import openai
import requests

MODEL = "pier-echo"


def client_for(gateway, service, token):
    # max_retries=0: every call here is one HTTP request, so the test sees Pier's answer.
    return openai.OpenAI(base_url="%s/api/predict/%s/v1" % (gateway, service), api_key=token, max_retries=0)


def example_mode(gateway, service, token):
    client = client_for(gateway, service, token)
    models = [m.id for m in client.models.list()]
    done = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "hello from the openai client"}])
    started = time.monotonic()
    deltas, arrivals, finish = [], [], None
    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "one two three four five"}], stream=True)
    for chunk in stream:
        arrivals.append(round((time.monotonic() - started) * 1000, 1))
        if chunk.choices:
            deltas.append(chunk.choices[0].delta.content)
            finish = chunk.choices[0].finish_reason or finish
    try:
        client_for(gateway, service, token + "-wrong").models.list()
        wrong = None
    except openai.AuthenticationError as e:
        wrong = e.status_code
    print(json.dumps({
        "ok": True,
        "models": models,
        "completion": {"object": done.object, "content": done.choices[0].message.content,
                       "finish_reason": done.choices[0].finish_reason,
                       "completion_tokens": done.usage.completion_tokens},
        "stream": {"deltas": deltas, "finish_reason": finish, "arrival_ms": arrivals},
        "wrong_key_status": wrong,
    }), flush=True)


def gated_mode(gateway, service, token):
    client = client_for(gateway, service, token)
    url = "%s/api/predict/%s" % (gateway, service)
    headers = {"Authorization": token}
    session = requests.Session()
    key = "openai-%s one two three four five" % uuid.uuid4().hex
    deltas, acks = [], []
    stream = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": key}], stream=True)
    for i, chunk in enumerate(stream):
        if chunk.choices:
            deltas.append(chunk.choices[0].delta.content)
        ack = session.post(url + "/ack", headers=headers, json={"key": key, "index": i}, timeout=30)
        acks.append(ack.status_code if ack.status_code == 200 else "%d %s" % (ack.status_code, ack.text[:300]))
    report = session.get(url + "/report", headers=headers, params={"key": key}, timeout=30).json()
    print(json.dumps({"ok": True, "key": key, "deltas": deltas, "acks": acks, "report": report}), flush=True)


if __name__ == "__main__":
    modes = {"example": example_mode, "gated": gated_mode}
    if len(sys.argv) != 5 or sys.argv[1] not in modes:
        sys.exit("usage: openai_client.py example|gated GATEWAY SERVICE TOKEN")
    modes[sys.argv[1]](*sys.argv[2:])
