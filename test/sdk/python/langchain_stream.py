"""LangChain's PaiEasEndpoint (langchain-community, unchanged) streaming through Pier.

Usage: python langchain_stream.py GATEWAY SERVICE TOKEN
The service runs fixtures/gated_app.py: it writes chunk k+1 of the NUL-delimited
stream only after this script acknowledges chunk k (POST /ack through the gateway),
so every chunk received here before the stream ends arrived on its own.
Prints one JSON line: the chunks, their acks, and the fixture's report.
"""

import json
import sys
import uuid

import requests
from langchain_community.llms.pai_eas_endpoint import PaiEasEndpoint


def main(gateway, service, token):
    url = "%s/api/predict/%s" % (gateway, service)
    key = "langchain-%s" % uuid.uuid4().hex
    llm = PaiEasEndpoint(eas_service_url=url, eas_service_token=token, streaming=True)
    session = requests.Session()
    headers = {"Authorization": token}
    chunks = []
    acks = []
    # stop=[]: without a stop list PaiEasEndpoint._stream raises TypeError ('NoneType'
    # object is not iterable) in langchain-community 0.4.2, as it loops over params["stop"].
    for i, text in enumerate(llm.stream(key, stop=[])):
        chunks.append(text)
        ack = session.post(url + "/ack", headers=headers, json={"key": key, "index": i}, timeout=30)
        acks.append(ack.status_code if ack.status_code == 200 else "%d %s" % (ack.status_code, ack.text[:300]))
    report = session.get(url + "/report", headers=headers, params={"key": key}, timeout=30).json()
    print(json.dumps({"ok": True, "chunks": chunks, "acks": acks, "report": report}), flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: langchain_stream.py GATEWAY SERVICE TOKEN")
    main(*sys.argv[1:])
