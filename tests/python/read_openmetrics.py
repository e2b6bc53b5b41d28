"""Reads OpenMetrics 1.0 text with client_python's strict parser and prints what it read.

The independent reader of the tests that check `Registry::encode_openmetrics`: the
OpenMetrics parser of the Python `prometheus_client` package (Debian's
python3-prometheus-client), which shares nothing with geno-metrics. Each argument is a file;
for each, one JSON line: either {"error": "..."} when the parser refuses the text, or
{"families": [...]}, each family {"name", "type", "unit", "help", "samples"}, each sample
{"name", "labels", "value"} with the value as a string ("NaN", "+Inf", "-Inf" or Python's
repr of the float), so that nothing is lost on the way to Rust.
"""

import json
import math
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families


def spell(value):
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def read(path):
    # newline="": no translation, a carriage return inside HELP or a label value stays one.
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    try:
        families = [
            {
                "name": family.name,
                "type": family.type,
                "unit": family.unit,
                "help": family.documentation,
                "samples": [
                    {"name": s.name, "labels": s.labels, "value": spell(s.value)}
                    for s in family.samples
                ],
            }
            for family in text_string_to_metric_families(text)
        ]
    except Exception as e:  # the parser raises ValueError, and others on odd input
        return {"error": f"{type(e).__name__}: {e}"}
    return {"families": families}


for path in sys.argv[1:]:
    print(json.dumps(read(path)))
