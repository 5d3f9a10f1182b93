"""Drives the official EAS Python SDK's QueueClient (eas-prediction, unchanged) against Pier.

Usage: python queue_sdk.py MODE GATEWAY SERVICE TOKEN
  queue    operations on the service's sink queue itself (nobody else consumes it):
           put with tags, attributes, watch + commit, watch with auto-commit, search,
           get, delete, truncate
  service  puts on the input queue; the instances' answers are read from the sink
           by a watch (committing each) and by get(request_id=...)

Every result is one JSON line on stdout (the last line is the result).
"""

import json
import sys

from eas_prediction import QueueClient


def out(**fields):
    print(json.dumps(fields), flush=True)


def client(gateway, queue, token):
    c = QueueClient(gateway, queue)
    c.set_token(token)
    c.set_timeout(30000)
    c.init()
    return c


def watch_n(queue, n, window, auto_commit, commit=True):
    frames = []
    watcher = queue.watch(0, window, index_only=False, auto_commit=auto_commit)
    for df in watcher.run():
        frames.append({"index": int(df.index), "tags": dict(df.tags), "data": df.data.decode()})
        if commit and not auto_commit:
            queue.commit(df.index)
        if len(frames) >= n:
            break
    watcher.close()
    return frames


def queue_mode(gateway, service, token):
    sink = client(gateway, service + "/sink", token)
    puts = [sink.put(("item-%d" % i).encode(), {"k": "v%d" % i}) for i in range(5)]
    attrs = sink.attributes()
    frames = watch_n(sink, 5, 3, auto_commit=False)
    after_commit = sink.attributes()["stream.length"]
    more = [sink.put(("auto-%d" % i).encode()) for i in range(3)]
    auto = watch_n(sink, 3, 10, auto_commit=True)
    after_auto = sink.attributes()["stream.length"]
    index, _ = sink.put(b"searched")
    search = sink.search(index)
    got = sink.get(index=0, length=1, timeout="0s", auto_delete=False)
    sink.delete(index)
    gone = sink.get(index=0, length=1, timeout="0s", auto_delete=False)
    first, _ = sink.put(b"t1")
    second, _ = sink.put(b"t2")
    sink.truncate(second)
    left = sink.get(index=0, length=10, timeout="0s", auto_delete=True)
    out(
        ok=True,
        puts=[[int(i), rid] for i, rid in puts],
        attrs=attrs,
        frames=frames,
        afterCommit=after_commit,
        more=[int(i) for i, _ in more],
        auto=auto,
        afterAuto=after_auto,
        search=search,
        got=[g.data.decode() for g in got],
        gone=len(gone),
        left=[[int(g.index), g.data.decode()] for g in left],
        first=int(first),
        second=int(second),
    )


def service_mode(gateway, service, token):
    inq = client(gateway, service, token)
    sink = client(gateway, service + "/sink", token)
    sent = {}
    for i in range(20):
        body = "job-%d" % i
        _, rid = inq.put(body.encode(), {"job": str(i)})
        sent[rid] = body
    frames = watch_n(sink, 20, 5, auto_commit=False)
    _, rid = inq.put(b"polled")
    polled = sink.get(request_id=rid, timeout="20s")
    out(
        ok=True,
        sent=sent,
        frames=frames,
        polled=[{"data": p.data.decode(), "tags": dict(p.tags)} for p in polled],
        polledId=rid,
        sinkLength=sink.attributes()["stream.length"],
    )


if __name__ == "__main__":
    mode, gateway, service, token = sys.argv[1:5]
    {"queue": queue_mode, "service": service_mode}[mode](gateway, service, token)
