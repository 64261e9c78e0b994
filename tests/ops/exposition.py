"""A strict reader of the Prometheus text exposition format (0.0.4), enough to check what
wabridge's GET /metrics serves: HELP/TYPE once per family and before its samples, sample names
belonging to the declared family (histograms: _bucket with le, _sum, _count), label syntax and
escapes, float values, no duplicate series, histogram buckets cumulative up to le="+Inf" equal to
_count."""

import math
import re

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(rf"^({NAME})(?:\{{((?:{LABEL})(?:,{LABEL})*)?\}})? (\S+)$")
LABEL_RE = re.compile(rf'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class ExpositionError(Exception):
    pass


def _value(text):
    if text in ("+Inf", "-Inf", "NaN"):
        return {"+Inf": math.inf, "-Inf": -math.inf, "NaN": math.nan}[text]
    return float(text)  # ValueError: not a number


def parse(text):
    """Returns {family: {"type", "help", "samples": {(name, frozenset(labels)): value}}}; raises
    ExpositionError naming the line that breaks the format."""
    families, current = {}, None
    if text and not text.endswith("\n"):
        raise ExpositionError("the body does not end with a newline")
    for n, line in enumerate(text.splitlines(), 1):
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                fam = families.setdefault(name, {"type": None, "help": None, "samples": {}})
                if fam["samples"]:
                    raise ExpositionError(f"line {n}: {parts[1]} of {name} after its samples")
                key = parts[1].lower()
                if fam[key] is not None:
                    raise ExpositionError(f"line {n}: second {parts[1]} of {name}")
                fam[key] = parts[3] if len(parts) > 3 else ""
                if key == "type" and fam["type"] not in TYPES:
                    raise ExpositionError(f"line {n}: unknown type {fam['type']}")
                current = name
            continue
        m = SAMPLE.match(line)
        if not m:
            raise ExpositionError(f"line {n}: not a sample: {line!r}")
        name, labels_text, value_text = m.groups()
        try:
            value = _value(value_text)
        except ValueError:
            raise ExpositionError(f"line {n}: bad value {value_text!r}")
        labels = dict(LABEL_RE.findall(labels_text or ""))
        fam = families.get(current)
        if fam is None or fam["type"] is None:
            raise ExpositionError(f"line {n}: {name} has no TYPE before it")
        allowed = {current}
        if fam["type"] == "histogram":
            allowed = {current + "_bucket", current + "_sum", current + "_count"}
            if name == current + "_bucket" and "le" not in labels:
                raise ExpositionError(f"line {n}: bucket without le")
        if name not in allowed:
            raise ExpositionError(f"line {n}: {name} outside its family {current}")
        key = (name, frozenset(labels.items()))
        if key in fam["samples"]:
            raise ExpositionError(f"line {n}: duplicate series {name}{labels}")
        fam["samples"][key] = value
    for name, fam in families.items():
        if fam["type"] == "histogram":
            _check_histogram(name, fam["samples"])
    return families


def _check_histogram(name, samples):
    series = {}
    for (sname, labels), value in samples.items():
        base = frozenset((k, v) for k, v in labels if k != "le")
        s = series.setdefault(base, {"buckets": [], "sum": None, "count": None})
        if sname.endswith("_bucket"):
            s["buckets"].append((_value(dict(labels)["le"]), value))
        elif sname.endswith("_sum"):
            s["sum"] = value
        else:
            s["count"] = value
    for base, s in series.items():
        buckets = sorted(s["buckets"])
        where = f"{name}{dict(base)}"
        if not buckets or buckets[-1][0] != math.inf:
            raise ExpositionError(f"{where}: no le=\"+Inf\" bucket")
        if s["sum"] is None or s["count"] is None:
            raise ExpositionError(f"{where}: _sum or _count missing")
        counts = [c for _, c in buckets]
        if counts != sorted(counts):
            raise ExpositionError(f"{where}: buckets are not cumulative: {counts}")
        if counts[-1] != s["count"]:
            raise ExpositionError(f"{where}: +Inf bucket {counts[-1]} != _count {s['count']}")


def value(families, name, **labels):
    """The value of one series (0 when absent, like a counter not yet incremented); histogram
    parts by their sample name (e.g. wabridge_setup_seconds_count)."""
    for fam_name, fam in families.items():
        if name == fam_name or (fam["type"] == "histogram" and name.startswith(fam_name + "_")):
            for (sname, lab), v in fam["samples"].items():
                if sname == name and dict(lab) == labels:
                    return v
    return 0.0
