"""Drives the official EAS Python SDK (eas-prediction, unchanged) against Pier.

Usage: python eas_sdk.py MODE GATEWAY SERVICE TOKEN [ARG]
  gateway      one StringRequest through the gateway (signed `EAS` header)
  wrong-token  the same with a wrong token; reports the PredictException
  direct       ENDPOINT_TYPE_DIRECT: discovery, then ARG calls straight to instances
  kill         ARG calls; after the first quarter prints {"progress": n} and waits
               for a line on stdin (the test kills an instance then) before going on
  large        one call with an ARG-MiB body; reports sha256 of what went and came back

Every result is one JSON line on stdout (the last line is the result).
The fixture app (test/e2e/fixtures/app.mjs) answers any POST with
{"instance", "path", "query", "body"}.
"""

import hashlib
import json
import os
import sys
import time

from eas_prediction import ENDPOINT_TYPE_DIRECT, PredictClient, PredictException, StringRequest


def out(**fields):
    print(json.dumps(fields), flush=True)


def make_client(gateway, service, token, direct=False, timeout_ms=30000):
    client = PredictClient(gateway, service)
    client.set_token(token)
    client.set_timeout(timeout_ms)
    if direct:
        client.set_endpoint_type(ENDPOINT_TYPE_DIRECT)
    client.init()
    return client


def call(client, body):
    resp = client.predict(StringRequest(body))
    return json.loads(resp.response_data)


def gateway_mode(gateway, service, token, _arg):
    answer = call(make_client(gateway, service, token), "hello pier")
    out(ok=True, answer=answer)


def wrong_token_mode(gateway, service, token, _arg):
    client = make_client(gateway, service, token + "-wrong")
    try:
        client.predict(StringRequest("hello pier"))
        out(ok=False, error="the call succeeded with a wrong token")
    except PredictException as e:
        message = e.message.decode() if isinstance(e.message, bytes) else str(e.message)
        out(ok=True, code=e.code, message=message[:500], text=str(e)[:500])


def direct_mode(gateway, service, token, arg):
    # The SDK's discovery host is the gateway (it asks /api/v1/servicediscovery/...).
    client = make_client(gateway.replace("http://", ""), service, token, direct=True)
    calls = int(arg or 20)
    answers = [call(client, "direct %d" % i) for i in range(calls)]
    client.destroy()
    out(
        ok=True,
        calls=len(answers),
        paths=sorted({a["path"] for a in answers}),
        instances=sorted({a["instance"] for a in answers}),
    )


def kill_mode(gateway, service, token, arg):
    client = make_client(gateway, service, token)
    total = int(arg or 200)
    pause_at = total // 4
    ok, errors, before, after = 0, [], {}, {}
    for i in range(total):
        if i == pause_at:
            out(progress=i)
            # The kill happens between two calls: a call in flight on the killed
            # instance would end in 504 from the gateway, which this SDK does not
            # retry (it retries exactly 500 and network errors, predict_client.py).
            line = sys.stdin.readline()
            if line.strip() != "killed":
                out(ok=False, error="expected 'killed' on stdin, got %r" % line)
                return
        try:
            answer = call(client, "call %d" % i)
            ok += 1
            seen = before if i < pause_at else after
            seen[answer["instance"]] = seen.get(answer["instance"], 0) + 1
        except PredictException as e:
            errors.append("call %d: %s" % (i, str(e)[:300]))
    out(ok=not errors, calls=total, succeeded=ok, errors=errors[:20], before=before, after=after)


def large_mode(gateway, service, token, arg):
    size = int(arg or 16) * 1024 * 1024
    # Hex text: the fixture echoes the body as a JSON string.
    body = os.urandom(size // 2).hex()
    client = make_client(gateway, service, token, timeout_ms=120000)
    started = time.monotonic()
    answer = call(client, body)
    echoed = answer["body"]
    out(
        ok=True,
        bytes=len(body),
        echoed_bytes=len(echoed),
        sent_sha256=hashlib.sha256(body.encode()).hexdigest(),
        echoed_sha256=hashlib.sha256(echoed.encode()).hexdigest(),
        seconds=round(time.monotonic() - started, 2),
    )


MODES = {
    "gateway": gateway_mode,
    "wrong-token": wrong_token_mode,
    "direct": direct_mode,
    "kill": kill_mode,
    "large": large_mode,
}

if __name__ == "__main__":
    if len(sys.argv) < 5 or sys.argv[1] not in MODES:
        sys.exit("usage: eas_sdk.py %s GATEWAY SERVICE TOKEN [ARG]" % "|".join(MODES))
    mode, gw, svc, tok = sys.argv[1:5]
    MODES[mode](gw, svc, tok, sys.argv[5] if len(sys.argv) > 5 else None)
