#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/ from the conformance
suite, the examples and the JSONPath compliance suite (../shared beside the repository).
Generated, not committed: the sources are the truth."""

import hashlib
import json
import pathlib
import re

root = pathlib.Path(__file__).resolve().parent.parent
shared = root.parent / "shared"
corpus = root / "fuzz" / "corpus"


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    folder = corpus / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


payloads = sorted((shared / "conformance" / "cases").glob("*/payload*.json"))
payloads += sorted((root / "examples" / "payloads").glob("*.json"))
mappers = sorted((shared / "conformance" / "cases").glob("*/mapper.json"))
mappers += sorted((shared / "conformance" / "reject").glob("*.json"))
mappers += sorted((root / "examples" / "mappers").glob("*.json"))

for i, payload in enumerate(payloads):
    body = payload.read_bytes()
    put("reader_vs_serde_json", body)
    # The selector byte spreads the payloads over the mappers; the fuzzer finds the rest.
    for selector in range(0, 256, 16):
        put("map_payload", bytes([selector]) + body)
    put("gateway_request", b"\x80/v1/partner/contact_form/events/?configName=seed_1_simple_form\n"
        b"content-type: application/json\n\n" + body)

for mapper in mappers:
    text = mapper.read_text()
    put("compile_mapper", text)
    for path in re.findall(r'"(\$[^"]*)"', text):
        put("jsonpath_parse", path)

cts = json.loads((shared / "jsonpath-cts" / "cts.json").read_text())
for test in cts["tests"]:
    put("jsonpath_parse", test["selector"])

for pattern in ["yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "dd/MM/yyyy", "epoch_seconds", "epoch_millis",
                "yyyy-MM-dd HH:mm:ss", "MMM d, yyyy h:mm a", "yyyyMMdd'T'HHmmssZ", "HH:mm"]:
    put("date_pattern", pattern)
for line in (root / "docs" / "date-formats.md").read_text().splitlines():
    for code in re.findall(r"`([^`]{1,40})`", line):
        put("date_pattern", code)

for request in [b"\x01/healthz\n\n", b"\x81/v1/customers/john@example.com\n\n",
                b"\x81/v1/requests/abc\n\n", b"\x00/v1/partner/x/users/?configName=y\n\n{}",
                b"\x80/metrics\n\n"]:
    put("gateway_request", request)

for target in sorted(p.name for p in corpus.iterdir()):
    print(f"{target}: {len(list((corpus / target).iterdir()))} seeds")
