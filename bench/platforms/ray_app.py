"""The model as a Ray Serve deployment on a local-only Ray, HTTP on 127.0.0.1.

Usage: python ray_app.py PORT REPLICAS TEMP_DIR. Prints "ready" once the app
answers; on SIGTERM or SIGINT shuts Serve and Ray down and exits.
"""

import os
import signal
import sys
import threading

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
# Ray on Linux turns 127.0.0.1 into the address of the default route's interface
# (services.resolve_ip_for_localhost) so other nodes can join; with clusters off it
# keeps loopback, as it does on macOS and Windows (ray_constants.ENABLE_RAY_CLUSTER).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

import ray  # noqa: E402
from ray import serve  # noqa: E402
from starlette.requests import Request  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import predict  # noqa: E402

port, replicas, temp_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]


@serve.deployment(num_replicas=replicas, ray_actor_options={"num_cpus": 1})
class Echo:
    async def __call__(self, request: Request):
        return predict(await request.json())


# Local-only: a new single-node cluster whose processes bind to loopback, no dashboard.
ray.init(
    address="local",
    include_dashboard=False,
    num_cpus=max(2, replicas),
    _node_ip_address="127.0.0.1",
    _temp_dir=temp_dir,
    logging_level="warning",
)
serve.start(
    http_options={"host": "127.0.0.1", "port": port},
    # Access log off, as for every other target in this benchmark.
    logging_config={"enable_access_log": False, "log_level": "WARNING"},
)
serve.run(Echo.bind(), route_prefix="/", blocking=False)
print("ready", flush=True)

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())
stop.wait()
serve.shutdown()
ray.shutdown()
