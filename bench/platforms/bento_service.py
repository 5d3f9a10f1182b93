"""The model as a BentoML service: POST /predict with {"x": [...]}. Workers from BENCH_REPLICAS."""

import os
import sys

import bentoml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import predict  # noqa: E402


@bentoml.service(
    workers=int(os.environ.get("BENCH_REPLICAS", "1")),
    # Access log off, as for every other target in this benchmark.
    logging={"access": {"enabled": False}},
)
class Echo:
    @bentoml.api
    def predict(self, x: list[float]) -> dict:
        return predict({"x": x})
