"""Drives the PAI Python SDK (alipai from PyPI, unchanged) against Pier.

Usage: python pai_sdk.py MODE CONTROL_URL ACCESS_KEY_ID ACCESS_KEY_SECRET SERVICE
  sync     Predictor(SERVICE): what describe_service() gave, predict(), raw_predict()
  async    AsyncPredictor(SERVICE): predict() and raw_predict() through the queue
           (put, then poll the sink by request id)
  badkey   Predictor(SERVICE) with this (wrong) secret: the exception it raises

The session is pointed at Pier the one way the SDK allows: its EAS OpenAPI client
for the session is made with the tea client's own `endpoint` and `protocol`
(docs/pai-sdk.md). Every result is one JSON line on stdout (the last is the result).
"""

import json
import sys
from urllib.parse import urlparse

from alibabacloud_credentials.models import Config as CredentialConfig
from alibabacloud_tea_openapi.models import Config
from pai.api.base import ServiceName
from pai.libs.alibabacloud_eas20210701.client import Client as EasClient
from pai.predictor import AsyncPredictor, Predictor
from pai.session import Session

REGION = "cn-pier"


def out(**fields):
    print(json.dumps(fields), flush=True)


def pier_session(control_url, access_key_id, access_key_secret):
    # A Session of our own, not setup_default_session(): that first looks for a
    # default session through the credential chain, which asks the ECS metadata
    # service. network="PUBLIC": otherwise it probes pai-vpc.<region>.aliyuncs.com.
    session = Session(
        region_id=REGION,
        credential_config=CredentialConfig(
            type="access_key",
            access_key_id=access_key_id,
            access_key_secret=access_key_secret,
        ),
        network="PUBLIC",
    )
    control = urlparse(control_url)
    session.acs_client_container[ServiceName.PAI_EAS] = EasClient(
        Config(
            access_key_id=access_key_id,
            access_key_secret=access_key_secret,
            region_id=REGION,
            endpoint=control.netloc,
            protocol=control.scheme,
            # What pai.api.client_factory.ClientFactory gives every client: ROA, HMAC-SHA1.
            signature_algorithm="v2",
        )
    )
    return session


def described(p):
    return {
        "status": p.service_status,
        "endpoint": p.endpoint,
        "intranet": p.intranet_endpoint,
        "token": p.access_token,
        "config": json.loads(p._service_api_object["ServiceConfig"]),
        "labels": p.labels,
    }


def sync_mode(session, service):
    p = Predictor(service, session=session)
    predicted = p.predict({"features": [5.1, 3.5]})
    raw = p.raw_predict(b"raw-bytes", path="/v1/echo", headers={"Content-Type": "text/plain"})
    out(
        ok=True,
        service=described(p),
        predicted=predicted,
        raw={"status": raw.status_code, "body": raw.json()},
    )


def async_mode(session, service):
    p = AsyncPredictor(service, session=session, max_workers=2)
    predicted = p.predict({"prompt": "a cat"}).result(timeout=60)
    raw = p.raw_predict(b"raw-async").result(timeout=60)
    out(
        ok=True,
        service=described(p),
        predicted=predicted,
        raw={"status": raw.status_code, "body": json.loads(raw.content)},
    )


def badkey_mode(session, service):
    try:
        Predictor(service, session=session)
    except Exception as e:  # noqa: BLE001 - the test reports whatever the SDK raised
        out(
            ok=True,
            raised=type(e).__module__ + "." + type(e).__name__,
            code=getattr(e, "code", None),
            status=getattr(e, "status_code", None),
            message=str(getattr(e, "message", e)),
        )
        return
    out(ok=False, raised=None)


def main():
    mode, control_url, access_key_id, access_key_secret, service = sys.argv[1:6]
    session = pier_session(control_url, access_key_id, access_key_secret)
    {"sync": sync_mode, "async": async_mode, "badkey": badkey_mode}[mode](session, service)


if __name__ == "__main__":
    main()
